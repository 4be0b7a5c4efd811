-- The Layer 1 fixture in Twenty 1.17's shape: the v1.10 fixture with the morph-relation renames of
-- 1.12 (timelineActivity."personId" -> "targetPersonId", ...) and 1.17 (noteTarget/taskTarget
-- "personId" -> "targetPersonId", ...). Fixture only: never called on a real Twenty database.
CREATE OR REPLACE FUNCTION redkey.create_twenty_fixture_1_17(ws text, stages text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    r record;
BEGIN
    PERFORM redkey.create_twenty_fixture(ws, stages);
    FOR r IN SELECT * FROM (VALUES
        ('timelineActivity', 'personId'), ('timelineActivity', 'companyId'),
        ('timelineActivity', 'opportunityId'), ('timelineActivity', 'noteId'), ('timelineActivity', 'taskId'),
        ('noteTarget', 'personId'), ('noteTarget', 'companyId'), ('noteTarget', 'opportunityId'),
        ('taskTarget', 'personId'), ('taskTarget', 'companyId'), ('taskTarget', 'opportunityId')
    ) AS v(tbl, col) LOOP
        EXECUTE format('ALTER TABLE %I.%I RENAME COLUMN %I TO %I', ws, r.tbl, r.col,
                       'target' || upper(left(r.col, 1)) || substr(r.col, 2));
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION redkey.create_twenty_fixture_1_17(text, text[]) IS
    'Creates a Twenty 1.17-shaped workspace schema (target* columns; fixture for tests; never on a real Twenty).';
REVOKE ALL ON FUNCTION redkey.create_twenty_fixture_1_17(text, text[]) FROM PUBLIC;

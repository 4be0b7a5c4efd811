-- Stage changes logged before the deals' trigger wrote stage labels read "Volta: NEGOTIATE → CLOSE".
-- Relabel them with each client's own stage labels ("Volta: Negotiation → Closed won"); the ids stay
-- in properties (from, to). A stage no longer in the client's pipeline keeps its id.
DO $$
DECLARE
    c text;
BEGIN
    IF to_regclass('public.crm_pipeline') IS NULL THEN
        RETURN;  -- a new database: Layer 2 is generated after the migrations, and nothing is logged yet
    END IF;
    FOR c IN SELECT client_id FROM redkey.clients LOOP
        PERFORM set_config('redkey.client_id', c, true);
        UPDATE redkey.activities a
           SET subject = left(a.subject, length(a.subject) - length((a.properties ->> 'from') || ' → ' || (a.properties ->> 'to')))
                         || coalesce((SELECT p.label FROM public.crm_pipeline p WHERE p.stage_id = (a.properties ->> 'from')),
                                     (a.properties ->> 'from'))
                         || ' → '
                         || coalesce((SELECT p.label FROM public.crm_pipeline p WHERE p.stage_id = (a.properties ->> 'to')),
                                     (a.properties ->> 'to'))
         WHERE a.client_id = c AND a.kind = 'stage_change'
           AND a.properties ? 'from' AND a.properties ? 'to'
           AND right(a.subject, length((a.properties ->> 'from') || ' → ' || (a.properties ->> 'to')))
               = (a.properties ->> 'from') || ' → ' || (a.properties ->> 'to');
    END LOOP;
    PERFORM set_config('redkey.client_id', '', true);
END
$$;

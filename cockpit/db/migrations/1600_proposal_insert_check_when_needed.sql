-- The proposal lifecycle check has something to check on INSERT only when the new proposal names a
-- decision, or is committed without the low-risk auto rule. An import inserts ~100k proposals that are
-- pending or auto-committed, so on INSERT the trigger fires only in those two cases (the WHEN clause is
-- evaluated without calling the function): the same function, the same refusals, the same errors.
DROP TRIGGER IF EXISTS proposals_lifecycle ON redkey.proposals;
CREATE TRIGGER proposals_lifecycle BEFORE UPDATE OR DELETE ON redkey.proposals
    FOR EACH ROW EXECUTE FUNCTION redkey.check_proposal_transition();
DROP TRIGGER IF EXISTS proposals_lifecycle_insert ON redkey.proposals;
CREATE TRIGGER proposals_lifecycle_insert BEFORE INSERT ON redkey.proposals
    FOR EACH ROW WHEN (NEW.decision_id IS NOT NULL OR (NEW.status = 'committed' AND NEW.auto_rule IS NULL))
    EXECUTE FUNCTION redkey.check_proposal_transition();

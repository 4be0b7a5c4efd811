-- A proposal points at its decision and the decision at its proposal: as two foreign keys that is a
-- reference cycle (the schema explorer rightly flags it). Keep the decision -> proposal key (the audit
-- record must name what it decided) and let the lifecycle trigger check proposal -> decision: it already
-- verifies, when a proposal is committed or rejected, that decision_id is a decision on this proposal.
ALTER TABLE redkey.proposals DROP CONSTRAINT IF EXISTS proposals_decision_fk;
ALTER TABLE redkey.proposals DROP CONSTRAINT IF EXISTS proposals_decision_only_when_decided;
ALTER TABLE redkey.proposals ADD CONSTRAINT proposals_decision_only_when_decided
    CHECK (decision_id IS NULL OR status IN ('committed', 'rejected'));

-- Seed 002's artifact contracts, persisted: raw import batches (bytes exactly as received), mapping
-- manifests, import rows, proposals (import rows, merges, Oracle/arlo writebacks, context changes),
-- approval decisions, other artifacts (interaction/transcript/QD bundles, graph deltas), and merges.
--
-- The seed's lifecycle rules are enforced here, not by convention:
--   * raw batches, import rows and approval decisions are immutable (UPDATE/DELETE refused, 55000);
--   * a proposal reaches 'committed' only with an 'approved' decision on it, or by the low-risk auto
--     rule (a new record with no merge candidate and no review required);
--   * a decision is recorded once per proposal, and only for a pending proposal.

CREATE OR REPLACE FUNCTION redkey.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is immutable: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = '55000', HINT = 'record a new artifact instead of changing this one';
END
$$;

-- RawImportBatch: the uploaded file, byte for byte, with its digest checked by the database.
CREATE TABLE IF NOT EXISTS redkey.import_batches (
    batch_id           uuid PRIMARY KEY,
    client_id          text NOT NULL REFERENCES redkey.clients (client_id),
    uploaded_filename  text NOT NULL CHECK (btrim(uploaded_filename) <> ''),
    mime_type          text NOT NULL CHECK (mime_type ~ '^[a-z]+/[a-z0-9.+-]+$'),
    raw_bytes          bytea NOT NULL,
    byte_size          bigint GENERATED ALWAYS AS (octet_length(raw_bytes)) STORED,
    sha256             text NOT NULL,
    row_count          integer NOT NULL CHECK (row_count >= 0),
    uploaded_by        text NOT NULL CHECK (btrim(uploaded_by) <> ''),
    schema_version     text NOT NULL,
    artifact           jsonb NOT NULL CHECK (artifact ->> 'artifact_type' = 'RawImportBatch'),
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT import_batches_digest CHECK (sha256 = encode(sha256(raw_bytes), 'hex'))
);
CREATE INDEX IF NOT EXISTS import_batches_client_idx ON redkey.import_batches (client_id, created_at DESC);
DROP TRIGGER IF EXISTS import_batches_immutable ON redkey.import_batches;
CREATE TRIGGER import_batches_immutable BEFORE UPDATE OR DELETE ON redkey.import_batches
    FOR EACH ROW EXECUTE FUNCTION redkey.refuse_change();
DROP TRIGGER IF EXISTS import_batches_no_truncate ON redkey.import_batches;
CREATE TRIGGER import_batches_no_truncate BEFORE TRUNCATE ON redkey.import_batches
    FOR EACH STATEMENT EXECUTE FUNCTION redkey.refuse_change();

-- ImportMappingManifest: proposed from the headers, then confirmed (or edited and confirmed).
CREATE TABLE IF NOT EXISTS redkey.import_manifests (
    manifest_id     uuid PRIMARY KEY,
    batch_id        uuid NOT NULL REFERENCES redkey.import_batches (batch_id),
    client_id       text NOT NULL REFERENCES redkey.clients (client_id),
    schema_version  text NOT NULL,
    status          text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'confirmed', 'superseded')),
    artifact        jsonb NOT NULL CHECK (artifact ->> 'artifact_type' = 'ImportMappingManifest'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    confirmed_at    timestamptz,
    CHECK ((status = 'confirmed') = (confirmed_at IS NOT NULL) OR status = 'superseded')
);
CREATE INDEX IF NOT EXISTS import_manifests_batch_idx ON redkey.import_manifests (batch_id);
CREATE UNIQUE INDEX IF NOT EXISTS import_manifests_one_confirmed
    ON redkey.import_manifests (batch_id) WHERE status = 'confirmed';

-- ImportRowRecord: every data row as read (decoded values), with its problems. Immutable.
CREATE TABLE IF NOT EXISTS redkey.import_rows (
    batch_id     uuid NOT NULL REFERENCES redkey.import_batches (batch_id),
    row_number   integer NOT NULL CHECK (row_number >= 1),
    client_id    text NOT NULL REFERENCES redkey.clients (client_id),
    raw_values   jsonb NOT NULL CHECK (jsonb_typeof(raw_values) = 'array'),
    status       text NOT NULL CHECK (status IN ('ok', 'error')),
    errors       jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(errors) = 'array'),
    CHECK ((status = 'error') = (jsonb_array_length(errors) > 0)),
    PRIMARY KEY (batch_id, row_number)
);
DROP TRIGGER IF EXISTS import_rows_immutable ON redkey.import_rows;
CREATE TRIGGER import_rows_immutable BEFORE UPDATE OR DELETE ON redkey.import_rows
    FOR EACH ROW EXECUTE FUNCTION redkey.refuse_change();

-- Proposals: NormalizedEntityProposal (kind entity), duplicate merges (merge), OracleWritebackProposal
-- (writeback) and contradicted client-context facts (context). Committed state lives in the CRM, never here.
CREATE TABLE IF NOT EXISTS redkey.proposals (
    proposal_id      uuid PRIMARY KEY,
    client_id        text NOT NULL REFERENCES redkey.clients (client_id),
    kind             text NOT NULL CHECK (kind IN ('entity', 'merge', 'writeback', 'context')),
    artifact_type    text NOT NULL CHECK (artifact_type IN ('NormalizedEntityProposal', 'OracleWritebackProposal')),
    schema_version   text NOT NULL,
    batch_id         uuid REFERENCES redkey.import_batches (batch_id),
    row_number       integer,
    entity_type      text NOT NULL CHECK (entity_type IN ('contact', 'company', 'deal', 'client_context')),
    action           text NOT NULL CHECK (action IN ('create', 'update', 'merge', 'writeback', 'context_fact')),
    target_id        uuid,
    payload          jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    merge_candidate_refs jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(merge_candidate_refs) = 'array'),
    review_required  boolean NOT NULL,
    confidence       real NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    summary          text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'committed', 'rejected', 'failed')),
    auto_rule        text,
    decision_id      uuid,
    committed_at     timestamptz,
    failure          text,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    artifact         jsonb NOT NULL,
    -- the low-risk auto rule can only ever apply to a new record with no candidate and no review
    CONSTRAINT proposals_auto_rule_low_risk CHECK (
        auto_rule IS NULL OR (action = 'create' AND NOT review_required
                              AND jsonb_array_length(merge_candidate_refs) = 0)),
    -- a merge, an update or a candidate always needs a human
    CONSTRAINT proposals_review_when_risky CHECK (
        review_required OR (action = 'create' AND jsonb_array_length(merge_candidate_refs) = 0)),
    CONSTRAINT proposals_committed_has_basis CHECK (
        status <> 'committed' OR (committed_at IS NOT NULL AND (decision_id IS NOT NULL OR auto_rule IS NOT NULL))),
    CONSTRAINT proposals_rejected_has_decision CHECK (status <> 'rejected' OR decision_id IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS proposals_pending_idx ON redkey.proposals (client_id, created_at, proposal_id)
    WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS proposals_batch_idx ON redkey.proposals (batch_id, row_number);

-- ApprovalDecision: the human's verdict on one proposal. Immutable audit record.
CREATE TABLE IF NOT EXISTS redkey.approval_decisions (
    decision_id     uuid PRIMARY KEY,
    client_id       text NOT NULL REFERENCES redkey.clients (client_id),
    proposal_ref    uuid NOT NULL UNIQUE REFERENCES redkey.proposals (proposal_id),
    reviewer_ref    text NOT NULL CHECK (btrim(reviewer_ref) <> ''),
    decision        text NOT NULL CHECK (decision IN ('approved', 'rejected')),
    decision_notes  text NOT NULL DEFAULT '',
    decided_at      timestamptz NOT NULL,
    schema_version  text NOT NULL,
    artifact        jsonb NOT NULL CHECK (artifact ->> 'artifact_type' = 'ApprovalDecision'),
    CHECK (decision = 'approved' OR btrim(decision_notes) <> '')
);
DROP TRIGGER IF EXISTS approval_decisions_immutable ON redkey.approval_decisions;
CREATE TRIGGER approval_decisions_immutable BEFORE UPDATE OR DELETE ON redkey.approval_decisions
    FOR EACH ROW EXECUTE FUNCTION redkey.refuse_change();
DROP TRIGGER IF EXISTS approval_decisions_no_truncate ON redkey.approval_decisions;
CREATE TRIGGER approval_decisions_no_truncate BEFORE TRUNCATE ON redkey.approval_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION redkey.refuse_change();

-- A proposal names its decision, and the decision its proposal. Only decision -> proposal is a foreign
-- key (the audit record must name what it decided); both ways would be a reference cycle. The lifecycle
-- trigger below checks proposal -> decision when a proposal is committed or rejected.
ALTER TABLE redkey.proposals DROP CONSTRAINT IF EXISTS proposals_decision_only_when_decided;
ALTER TABLE redkey.proposals ADD CONSTRAINT proposals_decision_only_when_decided
    CHECK (decision_id IS NULL OR status IN ('committed', 'rejected'));

-- A decision only for a pending proposal of the same client.
CREATE OR REPLACE FUNCTION redkey.check_decision() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
    v_client text;
BEGIN
    SELECT status, client_id INTO v_status, v_client FROM redkey.proposals WHERE proposal_id = NEW.proposal_ref;
    IF v_client IS DISTINCT FROM NEW.client_id THEN
        RAISE EXCEPTION 'proposal % belongs to another client', NEW.proposal_ref USING ERRCODE = '42501';
    END IF;
    IF v_status <> 'pending' THEN
        RAISE EXCEPTION 'proposal % is already %', NEW.proposal_ref, v_status USING ERRCODE = '55000';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS approval_decisions_check ON redkey.approval_decisions;
CREATE TRIGGER approval_decisions_check BEFORE INSERT ON redkey.approval_decisions
    FOR EACH ROW EXECUTE FUNCTION redkey.check_decision();

-- The proposal lifecycle: pending -> committed | rejected | failed, nothing else; committing needs an
-- approved decision on this very proposal (or the auto rule, checked above); the evidence is frozen.
CREATE OR REPLACE FUNCTION redkey.check_proposal_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_decision text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'proposals are never deleted (reject them instead)' USING ERRCODE = '55000';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status <> 'pending' AND NEW.status IS DISTINCT FROM OLD.status THEN
            RAISE EXCEPTION 'proposal % is already %', OLD.proposal_id, OLD.status USING ERRCODE = '55000';
        END IF;
        IF (NEW.payload, NEW.artifact, NEW.kind, NEW.action, NEW.client_id, NEW.entity_type, NEW.review_required,
            NEW.merge_candidate_refs, NEW.created_at)
           IS DISTINCT FROM
           (OLD.payload, OLD.artifact, OLD.kind, OLD.action, OLD.client_id, OLD.entity_type, OLD.review_required,
            OLD.merge_candidate_refs, OLD.created_at) THEN
            RAISE EXCEPTION 'a proposal''s content is frozen once recorded' USING ERRCODE = '55000';
        END IF;
    END IF;
    IF NEW.status IN ('committed', 'rejected') AND NEW.decision_id IS NOT NULL THEN
        SELECT decision INTO v_decision FROM redkey.approval_decisions
        WHERE decision_id = NEW.decision_id AND proposal_ref = NEW.proposal_id;
        IF v_decision IS NULL THEN
            RAISE EXCEPTION 'decision % is not a decision on proposal %', NEW.decision_id, NEW.proposal_id
                USING ERRCODE = '55000';
        END IF;
        IF (NEW.status = 'committed') <> (v_decision = 'approved') THEN
            RAISE EXCEPTION 'proposal % cannot be % by a % decision', NEW.proposal_id, NEW.status, v_decision
                USING ERRCODE = '55000';
        END IF;
    ELSIF NEW.status = 'committed' AND NEW.auto_rule IS NULL THEN
        RAISE EXCEPTION 'proposal % cannot be committed without an approval or the low-risk auto rule',
            NEW.proposal_id USING ERRCODE = '55000';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS proposals_lifecycle ON redkey.proposals;
CREATE TRIGGER proposals_lifecycle BEFORE INSERT OR UPDATE OR DELETE ON redkey.proposals
    FOR EACH ROW EXECUTE FUNCTION redkey.check_proposal_transition();

-- Other artifacts (InteractionBundle, TranscriptBundle, QdSignalBundle, ClientGraphDelta, cached
-- Client360Snapshot): the validated JSON, indexed by what readers look them up by. Append-only.
CREATE TABLE IF NOT EXISTS redkey.artifacts (
    artifact_id     text PRIMARY KEY,
    client_id       text NOT NULL REFERENCES redkey.clients (client_id),
    artifact_type   text NOT NULL,
    schema_version  text NOT NULL CHECK (schema_version ~ '^[0-9]+\.[0-9]+\.[0-9]+$'),
    source_system   text NOT NULL,
    contact_id      uuid,
    deal_id         uuid,
    body            jsonb NOT NULL CHECK (body ->> 'artifact_type' = artifact_type),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS artifacts_contact_idx ON redkey.artifacts (client_id, contact_id, artifact_type, created_at DESC);
DROP TRIGGER IF EXISTS artifacts_immutable ON redkey.artifacts;
CREATE TRIGGER artifacts_immutable BEFORE UPDATE OR DELETE ON redkey.artifacts
    FOR EACH ROW EXECUTE FUNCTION redkey.refuse_change();

-- Merged duplicates: the loser is soft-deleted through the view; this keeps the link so both
-- histories stay reachable from the survivor.
CREATE TABLE IF NOT EXISTS redkey.record_merges (
    client_id    text NOT NULL REFERENCES redkey.clients (client_id),
    entity_type  text NOT NULL CHECK (entity_type IN ('contact', 'company')),
    loser_id     uuid NOT NULL,
    winner_id    uuid NOT NULL CHECK (winner_id <> loser_id),
    decision_id  uuid NOT NULL REFERENCES redkey.approval_decisions (decision_id),
    merged_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, entity_type, loser_id)
);
CREATE INDEX IF NOT EXISTS record_merges_winner_idx ON redkey.record_merges (client_id, winner_id);

GRANT SELECT ON redkey.import_batches, redkey.import_manifests, redkey.import_rows, redkey.proposals,
    redkey.approval_decisions, redkey.artifacts, redkey.record_merges
    TO redkey_readonly, redkey_operational, redkey_strategic;

-- (The grants an approved merge needs on the generated views -- re-pointing activities, soft-deleting
-- the loser -- are in cockpit/db/writes.py grants_sql, because those views are created after migrations.)
GRANT INSERT ON public.crm_client_context_history TO redkey_strategic;
GRANT INSERT, UPDATE ON public.crm_client_context TO redkey_strategic;

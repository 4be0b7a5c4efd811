-- A proposal from an import belongs to its batch and to the batch's client: one foreign key on
-- (batch_id, client_id) says both (the batch's own key to redkey.clients covers the client). A proposal
-- without a batch (arlo's, an approval's) still names an existing client, through the generated
-- client_without_batch (NULL when there is a batch, so that key is not checked twice). An import records
-- 100k proposals; each foreign key is a query per row. It also refuses what the two keys allowed: an
-- import's proposal recorded for a client other than its batch's.
ALTER TABLE redkey.proposals
    ADD COLUMN client_without_batch text GENERATED ALWAYS AS (CASE WHEN batch_id IS NULL THEN client_id END) STORED,
    ADD CONSTRAINT proposals_batch_client_fkey FOREIGN KEY (batch_id, client_id)
        REFERENCES redkey.import_batches (batch_id, client_id),
    ADD CONSTRAINT proposals_client_without_batch_fkey FOREIGN KEY (client_without_batch)
        REFERENCES redkey.clients (client_id),
    DROP CONSTRAINT IF EXISTS proposals_batch_id_fkey,
    DROP CONSTRAINT IF EXISTS proposals_client_id_fkey;
COMMENT ON COLUMN redkey.proposals.client_without_batch IS
    'client_id when the proposal has no import batch (then checked against redkey.clients); NULL otherwise (the batch key covers the client)';

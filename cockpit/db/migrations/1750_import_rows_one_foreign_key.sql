-- A row record belongs to its batch, and to the batch's client: one foreign key on (batch_id, client_id)
-- says both (the batch's own key to redkey.clients covers the client), where two keys checked each row
-- twice (an import records 100k rows; each check is a query). It also refuses what the two allowed: a row
-- recorded for a client other than its batch's.
ALTER TABLE redkey.import_batches ADD CONSTRAINT import_batches_batch_client_key UNIQUE (batch_id, client_id);
ALTER TABLE redkey.import_rows
    ADD CONSTRAINT import_rows_batch_client_fkey FOREIGN KEY (batch_id, client_id)
        REFERENCES redkey.import_batches (batch_id, client_id),
    DROP CONSTRAINT IF EXISTS import_rows_batch_id_fkey,
    DROP CONSTRAINT IF EXISTS import_rows_client_id_fkey;

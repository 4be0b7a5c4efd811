-- A failed email (Resend refused it, nothing was sent) can be planned again after the contact is fixed and
-- the enrollment resumed: the retry is a new revision of the row, with its own Idempotency-Key.
ALTER TABLE redkey.email_outbox ADD COLUMN IF NOT EXISTS revision integer NOT NULL DEFAULT 0;
-- Claims look rows up by status (email_outbox_work_idx); the batch index only cost inserts.
DROP INDEX IF EXISTS redkey.email_outbox_batch_idx;

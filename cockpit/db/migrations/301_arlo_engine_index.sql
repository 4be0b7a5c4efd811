-- The engine asks, every tick, per client and periodic task type: is one pending, and when was the last
-- one created? With a sequence step every 30 s that history grows by ~2,900 tasks a day per client, so
-- both answers come from this index (pending ones also from tasks_one_pending_periodic).
CREATE INDEX IF NOT EXISTS tasks_engine_history_idx ON redkey.tasks (client_id, task_type, created_at)
    WHERE created_by = 'engine';

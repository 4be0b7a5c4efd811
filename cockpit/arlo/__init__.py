"""arlo, the CRM agent: a task queue on roles.crm, engine timers, and the task types (enrichment,
pipeline health, strategic writes, ad-hoc queries), plus the providers it calls (LLM, enrichment).

Imports: the store, models, config, :mod:`cockpit.sequences` (a task type) and httpx; never Textual, and
no SQL (it lives in the store's repositories)."""

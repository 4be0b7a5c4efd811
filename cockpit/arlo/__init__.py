"""arlo, the CRM agent: a task queue on roles.crm, engine timers, and the task types (enrichment,
pipeline health, strategic writes, ad-hoc queries). Headless: nothing here imports Textual, and all
SQL lives in the store (cockpit/store/tasks.py, cockpit/store/arlo.py)."""

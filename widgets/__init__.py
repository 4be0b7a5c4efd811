"""Reusable widgets of the cockpit (no SQL here: widgets get data from screens, screens from the store)."""

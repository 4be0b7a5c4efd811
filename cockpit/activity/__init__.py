"""The live activity feed's headless core: the filter language and the feed state (what is shown,
what is pending behind the "N new" marker, paging back through history). No Textual here."""

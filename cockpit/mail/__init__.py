"""Mail sync over IMAP: mailbox messages become email activities on the CRM's contacts, exactly once.
Headless (no Textual): imports the store, the import service and the standard library's email package."""

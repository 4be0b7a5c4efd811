"""Exports without lock-in: contacts, companies and deals to CSV or XLSX, streamed, spreadsheet-safe."""

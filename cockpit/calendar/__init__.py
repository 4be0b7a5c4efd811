"""Calendar sync over CalDAV and ICS: meetings with contacts become meeting activities; moves update them,
cancellations retract them. Headless (no Textual)."""

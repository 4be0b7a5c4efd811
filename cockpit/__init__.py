"""RedKey Cockpit."""

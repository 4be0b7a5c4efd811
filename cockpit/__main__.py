"""`python -m cockpit` is the `cockpit` command."""

from cockpit.cli import entry

entry()

"""`python -m cockpit` is the `cockpit` command."""

from cockpit.boot import entry

entry()

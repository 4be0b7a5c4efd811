"""Approvals of arlo's writeback proposals (headless): deciding a proposal and the ``cockpit approvals``
CLI.

Imports: the store, :mod:`cockpit.contracts` and :mod:`cockpit.errors`; no Textual, no SQL."""

"""Approvals of proposals (headless)."""

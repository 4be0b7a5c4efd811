"""The cockpit's Textual stylesheets (.tcss), shipped as package data so any install finds them.

One file per screen plus ``app.tcss`` for the frame; no CSS strings in Python beyond a widget's small
``DEFAULT_CSS``. This module imports only the standard library."""

from pathlib import Path

STYLES = Path(__file__).resolve().parent


def sheet(name: str) -> str:
    """Path of the stylesheet ``name`` (e.g. ``"schema.tcss"``) as Textual's CSS_PATH wants it."""
    return str(STYLES / name)

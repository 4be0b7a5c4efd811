"""The cyclic garbage collector around the ``cockpit`` start-up.

Start-up creates some hundred thousand long-lived objects (modules, classes, Textual's styles, the first
screen's widgets) and almost no garbage; each full collection meanwhile re-scans all of them (a fifth of
the start-up's CPU to the painted board on the 1M-contact bench). The ``cockpit`` command therefore pauses the
collector first thing (:func:`pause`, in :mod:`cockpit.boot`) and resumes it (:func:`resume`) once a
subcommand starts, or in the terminal session once the first screen has painted its data (or
``RESUME_AFTER`` seconds after the app mounted, whichever is first). Resuming first freezes what is
alive then (never freed; kept out of later collections), so the objects of the start-up are not
re-scanned afterwards either. That includes the start-up's cyclic garbage (about 15,000 objects, ~2 MB
on the bench): freeing it would take a full collection, a 50-120 ms stall right after the first paint.

Only the ``cockpit`` command pauses: importing the package (tests, benches, other programs) leaves the
collector alone, and :func:`resume` does nothing unless :func:`pause` ran.
"""

from __future__ import annotations

import gc

RESUME_AFTER = 5.0  # seconds after the app mounted, when no first screen said it painted

_paused = False


def pause() -> None:
    """Stop automatic collections until :func:`resume` (a no-op if the collector is already off)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Freeze the objects alive now and collect automatically again (only after :func:`pause`)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def paused() -> bool:
    return _paused

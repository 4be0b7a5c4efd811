"""Normalize a large file's rows in a second process, ahead of the import that plans and writes them.

Normalizing is pure Python (phone numbers, emails, domains) and the largest share of an import's Python
work. In the importing process it competes for the interpreter lock with the planning and the database
writes; in a child process it runs on another core, some windows ahead, while this process plans and the
database writes. The child runs the very same :func:`normalize_rows`, so the rows are exactly the ones
an in-process normalization gives. Both processes claim pieces in a small shared array: while the child is
still starting, a piece it has not begun when the import needs it is done here instead.

The child is started with ``spawn`` (a fresh interpreter: nothing of the cockpit's threads, terminal or
connections is inherited), writes nothing to the terminal and ignores Ctrl-C (the importing process
decides what an interrupt means). A
small file, or a child that cannot start or dies, is normalized in this process instead. Closing the
iterator (an error, a cancellation, quitting) cancels what was queued and ends the child.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from cockpit.contracts import ImportMappingManifest
from cockpit.imports.normalize import NormalizedRow, normalize_rows
from cockpit.imports.reader import ParsedFile, ParsedRow

log = logging.getLogger(__name__)

PARALLEL_FROM_ROWS = 20_000  # smaller files are normalized in this process (a child costs ~0.5 s to start)
PIECE_ROWS = 5000            # rows the child normalizes per task
AHEAD = 5                    # pieces queued in the child at most (bounded memory): the window after the one
                             # being collected (LOOK_UP_ROWS), queued as soon as that one is taken

# the child's file shape, and the pieces' claims (shared with the importing process), set by its initializer
_shape: tuple[ParsedFile, ImportMappingManifest, str | None] | None = None
_claims: Any = None  # multiprocessing.Array of bytes: 0 nobody's yet, 1 the child's, 2 the importing process's
CHILD, HERE = 1, 2

_Row = tuple[int, int, list[str], list[tuple[str, str]]]  # a ParsedRow as plain data
_Normalized = tuple[Any, Any, list[tuple[str, str, str | None]], str | None]  # contact, company, errors, region


def _start_child(header: list[str], manifest: ImportMappingManifest, default_country: str | None,
                 claims: Any = None) -> None:
    """In the child: keep off the terminal (the cockpit paints it; what goes wrong comes back as an
    exception instead), leave Ctrl-C to the importing process, and remember the file's shape."""
    global _shape, _claims
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # it works a window ahead: on a busy machine the database server and the cockpit go first
    os.nice(10)
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    _shape = (ParsedFile(header, [], "utf-8", ",", []), manifest, default_country)
    _claims = claims


def _claim(claims: Any, piece: int, who: int) -> bool:
    """Take ``piece`` for ``who`` unless the other side has it already."""
    with claims.get_lock():
        if claims[piece]:
            return False
        claims[piece] = who
        return True


def _normalize_piece(piece: int, rows: list[_Row]) -> list[_Normalized] | None:
    """In the child: a piece of rows normalized (what a NormalizedRow holds beyond its row), or None when
    the importing process took the piece first."""
    assert _shape is not None, "the child was started without the file's shape"
    if _claims is not None and not _claim(_claims, piece, CHILD):
        return None
    parsed, manifest, country = _shape
    out = normalize_rows(parsed, manifest, default_country=country,
                         rows=[ParsedRow(n, line, values, errors) for n, line, values, errors in rows])
    return [(r.contact, r.company, r.errors, r.region) for r in out]


def _rows(rows: Sequence[ParsedRow]) -> list[_Row]:
    return [(r.number, r.line, r.values, r.errors) for r in rows]


def normalized_windows(parsed: ParsedFile, manifest: ImportMappingManifest, windows: Iterator[Sequence[ParsedRow]],
                       *, default_country: str | None = None, parallel: bool | None = None,
                       steal: bool = True, pieces_here: list[int] | None = None) -> Iterator[list[NormalizedRow]]:
    """Each window of rows, normalized, in order. ``parallel`` (default: for files of PARALLEL_FROM_ROWS
    rows or more) normalizes in a child process all windows but the first (which this process does
    while the child starts). Until the child has taken its first piece, a piece it has not started when it is
    needed is normalized here instead (unless not ``steal``): the import does not wait for the child to start. ``pieces_here`` (a one-item list) counts the pieces of the child's windows normalized here."""
    def here(rows: Sequence[ParsedRow]) -> list[NormalizedRow]:
        return normalize_rows(parsed, manifest, default_country=default_country, rows=rows)

    if parallel is None:
        parallel = len(parsed.rows) >= PARALLEL_FROM_ROWS
    first = next(windows, None)
    if first is None:
        return
    if not parallel:
        yield here(first)
        for window in windows:
            yield here(window)
        return
    pool: ProcessPoolExecutor | None = None
    queued: deque[tuple[Sequence[ParsedRow], list[tuple[int, Sequence[ParsedRow], Future[Any] | None]]]]
    queued = deque()  # (window, its pieces with their numbers and futures), in order
    pending = iter(windows)
    spawn = multiprocessing.get_context("spawn")
    claims = None
    if steal:
        try:
            claims = spawn.Array("b", len(parsed.rows) + 1)  # by piece number (a piece has a row at least)
        except OSError as exc:  # no shared memory: the child does every piece it is given
            log.warning("the import cannot share its pieces with the helper process: %s", exc)
    numbered = 0
    child_working = False  # the child has taken a piece (pieces are taken here only until then)

    def fall_back(why: BaseException) -> None:
        nonlocal pool
        log.warning("normalizing the import in this process: the helper process failed (%s: %s)",
                    type(why).__name__, why)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        pool = None

    def queue_more() -> None:
        nonlocal numbered
        while pool is not None and sum(len(p) for _, p in queued) < AHEAD:
            window = next(pending, None)
            if window is None:
                return
            pieces: list[tuple[int, Sequence[ParsedRow], Future[Any] | None]] = []
            for at in range(0, len(window), PIECE_ROWS):
                piece, future, numbered = window[at:at + PIECE_ROWS], None, numbered + 1
                if pool is not None:
                    try:
                        future = pool.submit(_normalize_piece, numbered, _rows(piece))
                    except (OSError, RuntimeError, BrokenProcessPool) as exc:
                        fall_back(exc)
                pieces.append((numbered, piece, future))
            queued.append((window, pieces))

    finished = False
    try:
        try:
            pool = ProcessPoolExecutor(max_workers=1, mp_context=spawn, initializer=_start_child,
                                       initargs=(parsed.header, manifest, default_country, claims))
        except (OSError, ValueError) as exc:
            fall_back(exc)
        queue_more()  # the child starts on the first submit, and works while this process does the first window
        yield here(first)
        while True:
            queue_more()
            if not queued:
                window = next(pending, None)
                if window is None:
                    finished = True
                    return
                yield here(window)
                continue
            window, pieces = queued.popleft()
            queue_more()  # the child goes on to the next window while this one is collected and planned
            out: list[NormalizedRow] = []
            for number, piece, future in pieces:
                got: list[_Normalized] | None = None
                # only while the child is starting: once it works, a piece done here would hold this
                # process's interpreter lock against the event loop that streams to the database
                taken_here = claims is not None and not child_working and _claim(claims, number, HERE)
                if future is not None and pool is not None and not taken_here:
                    child_working = True
                    try:
                        got = future.result()
                    except (BrokenProcessPool, OSError) as exc:
                        fall_back(exc)
                if got is None:
                    if pieces_here is not None:
                        pieces_here[0] += 1
                    out.extend(here(piece))
                else:
                    out.extend(NormalizedRow(r.number, r.values, contact, company, errors, region)
                               for r, (contact, company, errors, region) in zip(piece, got))
            yield out
    finally:
        if pool is not None:
            if finished:  # the child has nothing left to do: it exits at once
                pool.shutdown(wait=True)
            else:  # stop the child now rather than after the piece it is on: nobody wants it any more
                children = list((getattr(pool, "_processes", None) or {}).values())
                pool.shutdown(wait=False, cancel_futures=True)
                for child in children:
                    child.terminate()
                    child.join(timeout=5)

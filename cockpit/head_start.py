"""The terminal session's head start on its database: while the cockpit imports Textual and builds its
first screen, a thread opens the database (the URL, the embedded server if there is no URL, the migration
check), picks the client and reads the pipeline board's first page. The database's part of the start-up
then overlaps the imports instead of following them, and the board follows the first frame at once.

What it finds is used once:

- the pipeline screen shows the board it read: composed into its first frame when the reading is done
  by then (:meth:`HeadStart.board_now`), else as soon as both its first layout and the board are there
  (:meth:`HeadStart.on_board`); either way without waiting for the app's connection (which starts after
  the first frame);
- the app's first connection (:mod:`cockpit.reconnect`) takes its URL, migration check and client list
  (:meth:`HeadStart.found`) instead of doing that work again, and opens the app's own pool; a
  :class:`~cockpit.errors.CockpitError` met here (the database unreachable, a failed migration) is that
  first attempt's failure, reported the same way, and the retries then work as always.

Every screen reloads from the app's store once it is connected, and the change feed listens from then on,
so the board read here is on screen for a moment at most, never stale afterwards.

With a database URL given (an existing database, as a deployment has), the reading happens in a forked
child process instead of a thread: it imports the database modules (psycopg and the store, ~0.15 s of the
start) and validates the board on the other core, and hands the board back through a pipe, so the
cockpit's own process imports only what its first frame needs. The embedded server (no URL) is started
by the cockpit's own process, which keeps it running (a child that started it would stop it as it
exits), so there it is a thread. A thread is also used where there is no fork, or where threads run
already (a fork then copies their locks mid-use).

The thread does database work only: :meth:`HeadStart.begin` imports what it needs first (two threads
importing the same modules at once could each hold a module the other waits for) and builds the models
it validates (pydantic builds them on first use).
"""

from __future__ import annotations

import asyncio
import atexit
import os
import pickle
import shutil
import signal
import sys
import threading
from concurrent.futures import Future
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cockpit.errors import CockpitError, ScopeError

if TYPE_CHECKING:
    from cockpit.config import Settings
    from cockpit.models import BoardView

BOARD_SORT = "amount"  # the board's sort when it opens


def first_page_size(height: int, page_size: int) -> int:
    """Cards a board column loads first on a screen ``height`` rows tall: what a column shows (a card
    is 4 rows) plus a small buffer, at most ``page_size`` (and 40)."""
    return min(page_size, 40, max(height, 12) // 4 + 4)


def terminal_height() -> int:
    """Rows of the terminal the cockpit will draw in (LINES, else 24, when it is not a terminal)."""
    for stream in (sys.__stdout__, sys.__stdin__):
        try:
            return os.get_terminal_size(stream.fileno()).lines  # type: ignore[union-attr]
        except (AttributeError, OSError, ValueError):
            continue
    return shutil.get_terminal_size().lines


@dataclass(frozen=True)
class Found:
    """What the head start read: the resolved URL, the registered clients (id, name), the client the
    session starts on, and the board of that client with ``limit`` cards per column."""

    url: str
    registered: list[tuple[str, str]]
    client_id: str
    limit: int
    board: "BoardView"


class HeadStart:
    def __init__(self, settings: "Settings", *, height: int | None = None) -> None:
        self.settings = settings
        self.limit = first_page_size(terminal_height() if height is None else height, settings.page_size)
        self._future: Future[Found] = Future()
        self._board_taken = False
        self.child_pid: int | None = None  # the child process reading, when it reads in one

    @classmethod
    def begin(cls, settings: "Settings", *, height: int | None = None, fork: bool | None = None) -> "HeadStart":
        """Start reading, in a child process or a thread (see the module); ``height``: the screen's rows
        (default: the terminal's); ``fork``: whether in a child process (default: when it can)."""
        if fork is None:
            fork = bool(settings.database_url) and hasattr(os, "fork") and threading.active_count() == 1
        head_start = cls(settings, height=height)
        if fork:
            from cockpit.models import BoardView  # noqa: F401 - what the board is unpickled into, imported here

            head_start._fork()
            return head_start
        import cockpit.client_switch  # noqa: F401 - imported by this thread, not the reader
        import cockpit.db.connect  # noqa: F401
        import cockpit.db.migrate  # noqa: F401
        import cockpit.store.admin  # noqa: F401
        import cockpit.store.crm  # noqa: F401
        from cockpit.models import Client, DealCard, Page, Stage, StageTotal

        for model in (Client, Stage, StageTotal, DealCard, Page):  # what the reader validates: the models
            model.model_rebuild()  # are built on first use, here rather than in the thread
        threading.Thread(target=head_start._run, name="cockpit-head-start", daemon=True).start()
        return head_start

    def _run(self) -> None:
        try:
            self._future.set_result(asyncio.run(self._read()))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever takes the result
            self._future.set_exception(exc)

    def _fork(self) -> None:
        """Read in a child process; a thread here waits (off the interpreter lock) for what it sends."""
        readable, writable = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: read, send, and end without running anything of the parent's on exit
            status = 0
            try:
                os.close(readable)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the cockpit's to handle
                asyncio._set_running_loop(None)  # forked from inside a running loop (tests): not ours
                try:
                    outcome: tuple[bool, object] = (True, asyncio.run(self._read()))
                except BaseException as exc:  # noqa: BLE001 - sent to the parent, which raises it
                    outcome = (False, exc)
                try:
                    data = pickle.dumps(outcome)
                except Exception as exc:  # noqa: BLE001 - an error that does not pickle is sent by name
                    data = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
                with os.fdopen(writable, "wb") as out:
                    out.write(data)
            except BaseException:  # noqa: BLE001 - the parent's attempt of its own reports the failure
                status = 1
            finally:
                os._exit(status)
        os.close(writable)
        self.child_pid = pid
        atexit.register(self._end_child)  # a cockpit quit before the reading is done does not leave it running
        threading.Thread(target=self._collect, args=(readable, pid), name="cockpit-head-start", daemon=True).start()

    def _end_child(self) -> None:
        if self.child_pid is not None and not self._future.done():  # still reading (the database is slow)
            try:  # whatever it had begun is one transaction of its own: the server rolls it back
                os.kill(self.child_pid, signal.SIGKILL)
            except OSError:
                pass

    def _collect(self, readable: int, pid: int) -> None:
        try:
            with os.fdopen(readable, "rb") as pipe:
                data = pipe.read()
            os.waitpid(pid, 0)
            ok, value = pickle.loads(data) if data else (False, RuntimeError("the head start's child sent nothing"))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever takes the result
            ok, value = False, exc
        if ok:
            self._future.set_result(value)  # type: ignore[arg-type]
        else:
            self._future.set_exception(value if isinstance(value, BaseException) else RuntimeError(str(value)))

    async def _read(self) -> Found:
        from cockpit.cli import ensure_migrated
        from cockpit.client_switch import pick_client
        from cockpit.db.connect import resolve_url
        from cockpit.store import Store

        settings = self.settings
        url = resolve_url(settings)
        await ensure_migrated(settings, url)
        # one connection per query of the board (read concurrently), closed again: the app opens its own pool
        store = await Store.open(settings, url=url, reached=not settings.migration_database_url,
                                 min_size=0, max_size=3)
        try:
            registered = [(c.client_id, c.name) for c in await store.admin.clients()]
            _offered, client_id = pick_client(registered, settings.client_id, settings.clients)
            board = await store.scoped(client_id).crm.board_view(sort=BOARD_SORT, limit=self.limit)
        finally:
            await store.close()
        return Found(url, registered, client_id, self.limit, board)

    async def found(self) -> Found | None:
        """What it found, once the thread is done. Raises the CockpitError it met (the session's first
        connection failed with it); None when the app should open the database itself (no client to
        scope to, or an unexpected failure: the app's own attempt meets and reports them)."""
        try:
            return await asyncio.wrap_future(self._future)
        except ScopeError:
            return None
        except CockpitError:
            raise
        except Exception:  # noqa: BLE001 - the app's own attempt records it
            return None

    def board_now(self, limit: int) -> "BoardView | None":
        """The board it read, if the reading is done already and holds ``limit`` cards per column at least
        (once per head start, like :meth:`on_board`); else None."""
        future = self._future
        if self._board_taken or not future.done() or future.exception() is not None:
            return None
        found = future.result()
        if found.limit < limit:
            return None
        self._board_taken = True
        return found.board

    def on_board(self, limit: int, show: Callable[["BoardView"], None]) -> None:
        """Hand the board it read to ``show`` (once per head start), on the calling thread's event loop
        as soon as it is read, if it holds ``limit`` cards per column at least; nothing if the reading
        failed (the app's connection reports that)."""
        if self._board_taken:
            return
        self._board_taken = True
        loop = asyncio.get_running_loop()

        def done(future: "Future[Found]") -> None:
            if future.cancelled() or future.exception() is not None:
                return
            found = future.result()
            if found.limit >= limit:
                try:
                    loop.call_soon_threadsafe(show, found.board)
                except RuntimeError:  # the app has ended meanwhile
                    pass

        self._future.add_done_callback(done)  # at once when it is done already

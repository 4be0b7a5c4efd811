"""The cockpit's one-line header (client, screen, live counters, connection state) and the database-lost
banner. The counters (proposals to approve, arlo's open questions, unread inbox items) name the key that
jumps to each (``V``, ``Q``, ``I``) and are shown only when not zero.

Both follow the app's reactives (``client_name``, ``connection_state``, ``banner``) so every screen shows
the same state without the app having to know which widgets exist.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

STATE_STYLE = {
    "connecting": ("◌ connecting", "yellow"),
    "connected": ("● connected", "green"),
    "lost": ("✖ database lost", "bold red"),
    "no-client": ("● no client", "yellow"),
}


class StatusBar(Static):
    """``RedKey │ BezelIQ │ Pipeline            ● connected`` — docked at the top of every screen."""

    def __init__(self, title: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.screen_title = title

    def on_mount(self) -> None:
        for name in ("client_name", "connection_state", "status_note", "counters"):
            self.watch(self.app, name, self._changed, init=False)
        self._changed()

    def _changed(self, *_: object) -> None:
        app = self.app
        state = getattr(app, "connection_state", "connecting")
        label, style = STATE_STYLE.get(state, (state, "yellow"))
        left = Text.assemble(("RedKey", "bold red"), " │ ", (getattr(app, "client_name", "") or "—", "bold"),
                             " │ ", self.screen_title)
        note = getattr(app, "status_note", "")
        if note:
            left.append(f" │ {note}", style="dim")
        right = Text()
        counters = getattr(app, "counters", None)
        for key, count, what in ((("V", getattr(counters, "approvals", 0), "to approve"),
                                  ("Q", getattr(counters, "questions", 0), "asked"),
                                  ("I", getattr(counters, "unread", 0), "unread"))):
            if count:
                right.append(key, style="bold reverse")
                right.append(f" {count} {what}  ", style="bold yellow")
        right.append(label, style=style)
        width = max(self.size.width - 2, 0)
        pad = max(width - left.cell_len - right.cell_len, 1)
        self.update(Text.assemble(left, " " * pad, right))

    def on_resize(self) -> None:
        self._changed()


class DbBanner(Static):
    """Shown under the status bar while the database is unreachable (the cockpit keeps retrying)."""

    def on_mount(self) -> None:
        self.watch(self.app, "banner", self._changed)

    def _changed(self, text: str) -> None:
        self.set_class(bool(text), "-shown")
        self.update(text)


class FrameKeys(Static):
    """``? keys  t tell  q quit`` at the right of the footer row: the keys that work on every screen stay
    visible at any width (the footer's own list is cut at the right edge on a narrow terminal)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(Text.assemble(("?", "bold"), " keys  ", ("t", "bold"), " tell  ", ("q", "bold"), " quit"),
                         **kwargs)  # type: ignore[arg-type]

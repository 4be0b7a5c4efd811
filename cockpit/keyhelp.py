"""``?``: the keys that work right now (this screen's first, then the app's) and the go-to keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cockpit.app import CockpitApp

# Section titles for widgets that have keys of their own but no TITLE_TEXT.
WIDGET_SECTIONS = {"VerticalScroll": "Scrolling", "CardList": "Cards", "ContactList": "List", "Input": "Text box"}


def help_rows(app: "CockpitApp") -> list[tuple[str, str, str]]:
    """(section, keys, description) for every active binding and every screen's go-to key."""
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for _key, active in app.active_bindings.items():
        b = active.binding
        desc = b.description or b.tooltip or b.action.replace("_", " ")
        node = active.node
        section = ("App" if node is app else getattr(node, "TITLE_TEXT", None)
                   or WIDGET_SECTIONS.get(type(node).__name__, type(node).__name__))
        keys = b.key_display or app.get_key_display(b)
        if (keys, desc) in seen:
            continue
        seen.add((keys, desc))
        rows.append((section, keys, desc))
    for spec in app.screen_specs:
        rows.append(("Go to", f"g {spec.key}", spec.title))
    own = getattr(app.screen, "TITLE_TEXT", "")
    rows.sort(key=lambda r: (r[0] == "App", r[0] == "Go to", r[0] != own, r[0]))  # this screen's keys first
    return rows


def show_help(app: "CockpitApp") -> None:
    from screens.help import HelpScreen

    app.push_screen(HelpScreen(help_rows(app)))

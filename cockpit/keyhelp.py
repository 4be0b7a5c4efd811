"""``?``: the keys that work right now (this screen's first, then the app's) and the go-to keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cockpit.app import CockpitApp

# Section titles for widgets that have keys of their own but no TITLE_TEXT.
WIDGET_SECTIONS = {"VerticalScroll": "Scrolling", "CardList": "Cards", "ContactList": "List", "Input": "Text box"}
# The framework's own keys (copy, cursor movement inside a table…) are not the cockpit's: left out.
FRAMEWORK_KEYS = ("super+", "ctrl+c", "ctrl+q", "ctrl+insert", "shift+insert")

# What the marks on the screens mean.
LEGEND = [
    ("▲ ◆ ▽", "priority high · medium · low"),
    ("⚠12d", "open deal quiet past the stale limit (days since its last activity)"),
    ("overdue", "open deal past its close date (closed deals are never stale or overdue)"),
    ("◀ 2 · 3 of 7 · 2 ▶", "board: stages off screen to the left · shown · to the right"),
    ("◇ ◆ ▤ ⇢", "schema: view · materialized view · partitioned · foreign table"),
    ("⊘", "schema: a table the cockpit may not browse"),
    ("▶ ◀", "schema: the FK is held by this table · points at it"),
    ("● needs reply", "contact: a thread waiting on Justin"),
]


# How text boxes share the keys with the screen (the rule the app's navigator applies).
TEXT_BOXES = [
    ("/ n …", "the key that opens a box is not typed into it; an opened box takes every key, g and q included"),
    ("esc", "leaves the box (the pipeline filter also clears); g, q, :, ? are the screen's again"),
    ("enter", "runs the search or filter and goes back to the list"),
    ("g q : ?", "in an empty box you did not open (the import path, a box the focus came back to): navigation"),
]


def help_rows(app: "CockpitApp") -> list[tuple[str, str, str]]:
    """(section, keys, description) for every active binding and every screen's go-to key."""
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for _key, active in app.active_bindings.items():
        b = active.binding
        desc = b.description or b.tooltip or b.action.replace("_", " ")
        node = active.node
        section = ("App" if node is app else getattr(node, "TITLE_TEXT", None)
                   or WIDGET_SECTIONS.get(type(node).__name__))
        keys = b.key_display or app.get_key_display(b)
        if section is None or any(b.key.startswith(k) for k in FRAMEWORK_KEYS):
            continue  # a framework widget's own keys (DataTable cursor, copy): not the cockpit's
        if (keys, desc) in seen:
            continue
        seen.add((keys, desc))
        rows.append((section, keys, desc))
    for spec in app.screen_specs:
        rows.append(("Go to", f"g {spec.key}", spec.title))
    rows.extend(("Text boxes", keys, meaning) for keys, meaning in TEXT_BOXES)
    rows.extend(("Marks", mark, meaning) for mark, meaning in LEGEND)
    own = getattr(app.screen, "TITLE_TEXT", "")
    order = {"App": 1, "Go to": 2, "Text boxes": 3, "Marks": 4}
    rows.sort(key=lambda r: (order.get(r[0], 0), r[0] != own, r[0]))  # this screen's keys first, marks last
    return rows


def show_help(app: "CockpitApp") -> None:
    from screens.help import HelpScreen

    app.push_screen(HelpScreen(help_rows(app)))

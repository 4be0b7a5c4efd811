"""Commands the ``:`` palette runs, completed from the database as they are typed:

- ``move <deal> to <stage>`` — a deal found by name, a stage by its label (a closed stage asks first);
- ``edit <field> <value>`` (or ``set``) — a field of the record on screen, validated like the form;
- ``enroll <contact> in <sequence>``;
- ``tell <words>`` — to arlo (the Tell dialog shows the answer);
- ``client <name>`` — switch client;
- ``undo`` — the session's last move or edit.

Each ``*_hits`` function returns ``(text, command, help)`` triples; the provider scores and shows them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from cockpit.errors import CockpitError, ValidationFailed
from cockpit.fields import editor_fields, field, parse_value
from cockpit.session_undo import Edit, describe

if TYPE_CHECKING:
    from cockpit.app import CockpitApp

Hit3 = tuple[str, Callable[[], Any], str]
PER_KIND = 5
VERBS = ("move", "edit", "set", "enroll", "tell", "client", "undo")


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def stage_matches(stages: list[Any], words: str) -> list[Any]:
    w = _fold(words)
    if not w:
        return list(stages)
    return [s for s in stages if _fold(s.label).startswith(w) or s.stage_id.casefold().startswith(w)
            or w in _fold(s.label)]


async def move_hits(app: "CockpitApp", rest: str) -> list[Hit3]:
    from screens.deal_moves import move_deal

    store = app.store
    deal_words, _sep, stage_words = rest.partition(" to ")
    if store is None or len(deal_words.strip()) < 2:
        return [("move <deal> to <stage>", lambda: None, "type a deal's name, then “to” and a stage")]
    deals = await store.crm.search_deals(deal_words.strip(), PER_KIND)
    stages = await store.crm.pipeline()
    labels = {s.stage_id: s.label for s in stages}
    targets = stage_matches(stages, stage_words) if _sep else stages
    out: list[Hit3] = []
    for d in deals:
        for s in targets:
            if s.stage_id == d.stage_id:
                continue
            name = d.name or "(unnamed deal)"
            out.append((f"move {name} to {s.label}",
                        lambda d=d, s=s, name=name: move_deal(app, app.screen, d.id, name, s,
                                                              lambda _r: app.notify_screens()),
                        f"now in {labels.get(d.stage_id, d.stage_id)}{' · closed stage: asks first' if s.is_closed else ''}"))
    if not out:
        if not deals:
            why = f"no deal matches “{deal_words.strip()}”"
        elif _sep and not targets:
            why = f"no stage matches “{stage_words.strip()}”: " + ", ".join(s.label for s in stages)
        else:
            why = "the deal is already in that stage"
        out.append((f"move {rest}", lambda: None, why))
    return out


def under_palette(app: "CockpitApp") -> Any:
    """The screen the palette was opened over (the palette itself is the top screen while typing)."""
    from textual.command import CommandPalette

    return next((s for s in reversed(app.screen_stack) if not isinstance(s, CommandPalette)), app.screen)


def record_on_screen(app: "CockpitApp") -> tuple[str, Any] | None:
    """(view, record) of the page on screen (under the palette): a deal page, a company page, the
    contacts screen's contact."""
    screen = under_palette(app)
    data = getattr(screen, "data", None)
    if data is not None and hasattr(data, "deal"):
        return "crm_deals", data.deal
    if data is not None and hasattr(data, "company"):
        return "crm_companies", data.company
    contact = getattr(getattr(screen, "dossier", None), "contact", None)
    if contact is not None:
        return "crm_contacts", contact
    return None


def edit_hits(app: "CockpitApp", rest: str, today: date) -> list[Hit3]:
    target = record_on_screen(app)
    if target is None:
        return [("edit <field> <value>", lambda: None, "open a deal, a company or a contact first")]
    view, record = target
    name_words, _sp, raw = rest.strip().partition(" ")
    wanted = _fold(name_words)
    names = [n for n in editor_fields(view) if not wanted or n.startswith(wanted.replace(" ", "_"))
             or field(view, n).label.replace(" ", "").startswith(wanted.replace(" ", ""))]
    label = getattr(record, "display_name", None) or getattr(record, "name", None) or "(unnamed)"
    out: list[Hit3] = []
    for n in names:
        f = field(view, n)
        if not raw.strip():
            out.append((f"edit {f.label} <value>", lambda: None,
                        f"now {getattr(record, n, None) if getattr(record, n, None) not in (None, '') else 'empty'}"))
            continue
        try:
            value = parse_value(f, raw, today)
        except ValidationFailed as exc:
            msg = str(exc)
            out.append((f"edit {f.label} {raw}", lambda msg=msg: app.notify(msg, severity="error"), f"✗ {msg}"))
            continue
        shown = value.isoformat() if isinstance(value, date) else ("empty" if value is None else str(value))
        out.append((f"edit {f.label} {raw}", lambda n=n, value=value: save_field(app, view, record, n, value),
                    f"set {f.label} of {label} to {shown}"))
    return out


def save_field(app: "CockpitApp", view: str, record: Any, name: str, value: Any) -> None:
    label = getattr(record, "display_name", None) or getattr(record, "name", None) or "(unnamed)"
    entry = Edit(view, record.id, label, before={name: getattr(record, name, None)},  # type: ignore[arg-type]
                 after={name: value})
    screen = under_palette(app)

    async def save(store: Any) -> Any:
        return await store.crm.update_strategic(view, record.id, **{name: value})

    def saved(_row: Any) -> None:
        app.undo_stack.push(entry)
        app.notify(f"{field(view, name).label} of {label} saved · u undoes", timeout=3)
        reload = getattr(screen, "load", None) or getattr(screen, "reload", None)
        if callable(reload):
            reload()

    app.call_store(screen, save, saved, group="palette-save")


async def enroll_hits(app: "CockpitApp", rest: str) -> list[Hit3]:
    store = app.store
    who, _sep, seq_words = rest.partition(" in ")
    if store is None or len(who.strip()) < 2:
        return [("enroll <contact> in <sequence>", lambda: None, "type a contact's name, then “in” and a sequence")]
    contacts = (await store.crm.contacts_page(who.strip(), limit=PER_KIND)).items
    sequences = [s for s in await store.sequences.sequences() if s.is_active
                 and (not seq_words.strip() or _fold(seq_words) in _fold(s.name))]
    out: list[Hit3] = []
    for c in contacts:
        for s in sequences:
            out.append((f"enroll {c.display_name} in {s.name}",
                        lambda c=c, s=s: _enroll(app, c, s), f"{c.email or 'no email'} · {len(s.steps)} steps"))
    return out or [(f"enroll {rest}", lambda: None, "no contact or sequence matches")]


def _enroll(app: "CockpitApp", contact: Any, sequence: Any) -> None:
    async def enroll(store: Any) -> Any:
        return await store.sequences.enroll(contact.id, sequence.id, now=app.clock())

    app.call_store(app.screen, enroll,
                   lambda _e: (app.notify(f"{contact.display_name} enrolled in {sequence.name}", timeout=3),
                               app.notify_screens()), group="palette-enroll")


def tell_hits(app: "CockpitApp", rest: str) -> list[Hit3]:
    from screens.tell_arlo import TellArlo

    text = rest.strip()
    if not text:
        return [("tell <instruction or question>", lambda: None, "e.g. tell who needs a follow-up?")]
    return [(f"tell arlo: {text}", lambda: app.push_screen(TellArlo(text)), "arlo files it and answers in the dialog")]


def client_hits(app: "CockpitApp", rest: str) -> list[Hit3]:
    w = _fold(rest)
    return [(f"client {name}", lambda cid=cid: app.switch_client(cid), f"switch to {name} ({cid})")
            for cid, name in app.switchable_clients
            if cid != (app.store.client_id if app.store else None) and (not w or w in _fold(name) or w in cid)]


def undo_hits(app: "CockpitApp") -> list[Hit3]:
    entry = app.undo_stack.peek()
    if entry is None:
        return [("undo", lambda: None, "nothing to undo in this session")]
    return [("undo", app.action_undo, describe(entry))]


async def command_hits(app: "CockpitApp", query: str) -> list[Hit3]:
    """The commands ``query`` names (its first word is the verb); [] when it names none."""
    m = re.match(r"\s*(\w+)\b\s*(.*)", query, re.S)
    if not m:
        return []
    verb, rest = m.group(1).casefold(), m.group(2)
    try:
        if verb == "move":
            return await move_hits(app, rest)
        if verb in ("edit", "set"):
            return edit_hits(app, rest, app.clock().date())
        if verb == "enroll":
            return await enroll_hits(app, rest)
        if verb == "tell":
            return tell_hits(app, rest)
        if verb == "client":
            return client_hits(app, rest)
        if verb == "undo":
            return undo_hits(app)
    except CockpitError as exc:
        return [(f"{verb} {rest}", lambda: None, f"✗ {exc}")]
    return []

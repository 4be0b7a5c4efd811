"""``cockpit coverage``: for each thing Twenty does, whether the cockpit covers it and who really does the
work, ending in a verdict — what still depends on Twenty, or "Twenty can be switched off".

Coverage comes from facts: the stable views and functions the database has, the screens this install
offers, the mailboxes and calendars configured and when the cockpit last synced them. Who does the work
comes from the writes of the window (:meth:`cockpit.store.coverage.CoverageRepo.gather`). An area still
depends on Twenty when Twenty wrote in it during the window (or its mail/calendar channel is syncing),
whether or not the cockpit could do it; an area neither side covers nor uses is a gap, not a dependency.
A custom object holding rows depends on Twenty too: Twenty is the only screen that shows it.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from cockpit.config import Settings
from cockpit.store.coverage import Channel, CoverageData, CustomObject

AREAS = ("pipeline", "people", "companies", "timeline", "notes", "tasks", "email sync", "calendar sync",
         "import", "export", "search")
Status = Literal["cockpit", "twenty", "gap"]
# Twenty's channel states that mean it is not syncing.
IDLE_SYNC = {"NOT_SYNCED", "FAILED_INSUFFICIENT_PERMISSIONS", "FAILED_UNKNOWN", "FAILED"}


@dataclass
class Area:
    name: str
    covered: bool
    how: str  # the facts behind ``covered`` (or what is missing)
    twenty: dict[str, int] = field(default_factory=dict)  # who in Twenty -> writes in the window
    ours: dict[str, int] = field(default_factory=dict)  # cockpit / arlo / source -> writes
    twenty_syncing: list[str] = field(default_factory=list)  # Twenty's channels syncing (mail, calendar)
    status: Status = "gap"

    @property
    def twenty_total(self) -> int:
        return sum(self.twenty.values())

    @property
    def ours_total(self) -> int:
        return sum(self.ours.values())

    def why(self) -> str:
        """One line: why this area is where it is."""
        if self.status == "twenty":
            did = ", ".join(f"{n} {who}" for who, n in sorted(self.twenty.items(), key=lambda kv: -kv[1]))
            did = "; ".join(p for p in (did, ", ".join(f"{h} syncing" for h in self.twenty_syncing)) if p)
            return (f"covered, but Twenty still does it: {did}" if self.covered
                    else f"only Twenty does it: {did} — {self.how}")
        if self.status == "cockpit":
            return self.how
        return f"not covered ({self.how}), and Twenty did none of it either"


@dataclass
class Report:
    client_id: str
    days: int
    since: datetime
    now: datetime
    workspaces: list[str]
    areas: list[Area]
    custom_objects: list[CustomObject]

    @property
    def depends(self) -> list[str]:
        """What still depends on Twenty, one line each (empty: it can be switched off)."""
        out = [f"{a.name}: {a.why()}" for a in self.areas if a.status == "twenty"]
        out += [f"custom object {o.table}: {o.rows} rows only Twenty shows" for o in self.custom_objects if o.rows]
        return out

    @property
    def can_switch_off(self) -> bool:
        return not self.depends

    @property
    def verdict(self) -> str:
        if not self.workspaces:
            return "no Twenty workspace is registered for this client: nothing depends on Twenty"
        if self.can_switch_off:
            return "Twenty can be switched off"
        names = [a.name for a in self.areas if a.status == "twenty"]
        names += [o.table for o in self.custom_objects if o.rows]
        return "Twenty cannot be switched off yet: still depends on Twenty for " + ", ".join(names)

    def as_json(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id, "days": self.days, "since": self.since.isoformat(),
            "now": self.now.isoformat(), "workspaces": self.workspaces,
            "areas": [{**asdict(a), "why": a.why()} for a in self.areas],
            "custom_objects": [asdict(o) for o in self.custom_objects],
            "depends_on_twenty": self.depends, "can_switch_off": self.can_switch_off, "verdict": self.verdict,
        }


def available_modes() -> set[str]:
    """The screens this install offers (the registry has no Textual import)."""
    from screens import available_screens

    return {spec.mode for spec in available_screens()}


def _module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _facts(name: str, data: CoverageData, settings: Settings, modes: set[str], client_id: str) -> tuple[bool, str]:
    """Whether the cockpit covers the area, and the facts that say so (or what is missing)."""
    def needs(views: tuple[str, ...] = (), functions: tuple[str, ...] = (), screen: str | None = None,
              via: str = "") -> tuple[bool, str]:
        missing = [f"view {v}" for v in views if v not in data.views]
        missing += [f"function {f}" for f in functions if f not in data.functions]
        if screen and screen not in modes:
            missing.append(f"{screen} screen")
        if missing:
            return False, "missing " + ", ".join(missing)
        have = [*views, *functions] + ([f"{screen} screen"] if screen else []) + ([via] if via else [])
        return True, " + ".join(have)

    if name == "pipeline":
        return needs(("crm_deals", "crm_pipeline"), ("crm_move_deal",), "pipeline")
    if name == "people":
        return needs(("crm_contacts",), screen="contacts")
    if name == "companies":
        return needs(("crm_companies",), screen="companies")
    if name == "timeline":
        return needs(("crm_activities",), screen="activity")
    if name == "notes":
        return needs(("crm_notes",), via="record pages")
    if name == "tasks":
        return needs(("crm_tasks",), screen="tasks")
    if name == "search":
        return needs(functions=("crm_search_contacts", "crm_search_companies", "crm_search_deals"), via="`:` palette")
    if name == "import":
        return needs(screen="import", via="`cockpit import`") if _module("cockpit.imports.service") else (
            False, "missing the import service")
    if name == "export":
        from cockpit.export.models import ENTITIES

        gone = [e for e in ("contacts", "companies", "deals") if e not in ENTITIES]
        ok, how = needs(("crm_contacts", "crm_companies", "crm_deals"))
        if gone or not ok:
            return False, ("cannot export " + ", ".join(gone)) if gone else how
        return True, "`cockpit export " + "|".join(ENTITIES) + "` (csv, xlsx)"
    return _sync_facts("email" if name == "email sync" else "calendar", data, settings, client_id)


def _sync_facts(kind: str, data: CoverageData, settings: Settings, client_id: str) -> tuple[bool, str]:
    """Mail or calendar sync: configured for this client, and synced within the window."""
    from cockpit.errors import CockpitError
    from cockpit.mail.imap import parse_mailboxes
    from cockpit.mail.task import sync_client

    what = "IMAP mailbox" if kind == "email" else "CalDAV/ICS calendar"
    if kind == "email":
        try:
            configured = bool(parse_mailboxes(settings.imap_url))
        except CockpitError as exc:
            return False, f"{what} misconfigured: {exc}"
    else:
        configured = bool(settings.caldav_url or (settings.ics_urls or "").strip())
    if not configured:
        return False, f"no {what} configured"
    owner = sync_client(settings)
    if owner != client_id:
        plural = "IMAP mailboxes" if kind == "email" else "CalDAV/ICS calendars"
        return False, f"the {plural} configured belong to client {owner}" if owner else (
            f"{what} configured but no client for it (set COCKPIT_MAIL_CLIENT)")
    last = data.last_sync.get(kind)
    if last is None or last < data.since:
        when = f"last synced {last:%Y-%m-%d}" if last else "never synced"
        return False, f"{what} configured but {when}"
    return True, f"{what} configured, last synced {last:%Y-%m-%d %H:%M}"


def _syncing(channels: list[Channel], since: datetime) -> list[str]:
    out = []
    for ch in channels:
        if ch.enabled is False or (ch.status or "").upper() in IDLE_SYNC:
            continue
        if ch.synced_at is not None and ch.synced_at < since:
            continue
        if ch.synced_at is None and (ch.status or "").upper() not in ("ACTIVE", "ONGOING"):
            continue
        out.append(ch.handle or "a channel")
    return out


def build_report(client_id: str, data: CoverageData, settings: Settings, *, days: int,
                 modes: set[str] | None = None) -> Report:
    modes = available_modes() if modes is None else modes
    areas = []
    for name in AREAS:
        covered, how = _facts(name, data, settings, modes, client_id)
        area = Area(name, covered, how, dict(data.twenty.get(name, Counter())), dict(data.ours.get(name, Counter())))
        if name in ("email sync", "calendar sync"):
            area.twenty_syncing = _syncing(data.channels.get(name.split()[0], []), data.since)
        if area.twenty_total or area.twenty_syncing:
            area.status = "twenty"
        elif covered:
            area.status = "cockpit"
        areas.append(area)
    return Report(client_id, days, data.since, data.now, data.workspaces, areas, data.custom_objects)


async def coverage(store: Any, settings: Settings, *, days: int = 30, now: datetime | None = None,
                   modes: set[str] | None = None) -> Report:
    """The coverage report of the store's client."""
    data = await store.coverage.gather(days=days, now=now)
    return build_report(store.client_id, data, settings, days=days, modes=modes)

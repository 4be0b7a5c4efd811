"""The ``:`` command palette: jump to any screen, deal, contact or company by name.

Screens are matched locally; records are searched in the database as you type (the store's
full-text search functions), a few of each kind.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from cockpit.errors import CockpitError

if TYPE_CHECKING:
    from cockpit.app import CockpitApp

PER_KIND = 5


class CockpitProvider(Provider):
    """Screens, client switch, and records of the current client."""

    @property
    def cockpit(self) -> "CockpitApp":
        return self.app  # type: ignore[return-value]

    def _static_commands(self) -> list[tuple[str, object, str]]:
        app = self.cockpit
        cmds: list[tuple[str, object, str]] = [
            (f"Go to {spec.title}", partial(app.go, spec.mode), spec.help) for spec in app.screen_specs]
        if len(app.switchable_clients) > 1:
            cmds.append(("Switch client", app.action_switch_client, "re-scope the session"))
        cmds.append(("Keys (help)", app.action_help, "every key binding"))
        cmds.append(("Undo the last move or edit", app.action_undo, "u · this session's moves and edits"))
        return cmds

    def _examples(self) -> list[tuple[str, object, str]]:
        cmds: list[tuple[str, object, str]] = []
        for verb, example in (("move", "move <deal> to <stage>"), ("edit", "edit <field> <value> (record on screen)"),
                              ("enroll", "enroll <contact> in <sequence>"), ("tell", "tell <words for arlo>"),
                              ("client", "client <name>")):
            cmds.append((example, lambda: None, f"type “{verb} …”"))
        return cmds

    async def discover(self) -> Hits:
        for text, command, help_text in self._static_commands() + self._examples():
            yield DiscoveryHit(text, command, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        from screens.palette_commands import VERBS, command_hits

        matcher = self.matcher(query)
        verb = query.strip().split(" ", 1)[0].casefold()
        if verb in VERBS:
            for text, command, help_text in await command_hits(self.cockpit, query):
                yield Hit(1.0, text, command, text=text, help=help_text)  # type: ignore[arg-type]
            if " " in query.strip() or verb == "undo":
                return
        for text, command, help_text in self._static_commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, text=text, help=help_text)  # type: ignore[arg-type]
        store = self.cockpit.store
        if store is None or len(query.strip()) < 2:
            return
        app = self.cockpit
        try:
            deals = await store.crm.search_deals(query, PER_KIND)
            contacts = await store.crm.contacts_page(query, limit=PER_KIND)
            companies = await store.crm.companies_page(query, limit=PER_KIND)
            labels = {s.stage_id: s.label for s in await store.crm.pipeline()} if deals else {}
        except CockpitError as exc:
            app.report_error(exc)
            return
        for d in deals:
            text = f"deal: {d.name or '(unnamed)'}"
            yield Hit(0.9, matcher.highlight(text), partial(app.open_deal, d.id), text=text,
                      help=f"stage {labels.get(d.stage_id, d.stage_id)}")
        for c in contacts.items:
            text = f"contact: {c.display_name}"
            yield Hit(0.85, matcher.highlight(text), partial(app.open_contact, c.id), text=text,
                      help=" · ".join(x for x in (c.job_title, c.email) if x))
        for co in companies.items:
            text = f"company: {co.name or '(unnamed)'}"
            yield Hit(0.8, matcher.highlight(text), partial(app.open_company, co.id), text=text,
                      help=co.domain or "")

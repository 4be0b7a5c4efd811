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
        return cmds

    async def discover(self) -> Hits:
        for text, command, help_text in self._static_commands():
            yield DiscoveryHit(text, command, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
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
        except CockpitError as exc:
            app.report_error(exc)
            return
        for d in deals:
            text = f"deal: {d.name or '(unnamed)'}"
            yield Hit(0.9, matcher.highlight(text), partial(app.open_deal, d.id), text=text,
                      help=f"stage {d.stage_id}")
        for c in contacts.items:
            text = f"contact: {c.display_name}"
            yield Hit(0.85, matcher.highlight(text), partial(app.open_contact, c.id), text=text,
                      help=" · ".join(x for x in (c.job_title, c.email) if x))
        for co in companies.items:
            text = f"company: {co.name or '(unnamed)'}"
            yield Hit(0.8, matcher.highlight(text), partial(app.open_company, co.id), text=text,
                      help=co.domain or "")

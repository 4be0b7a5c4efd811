"""Contacts: a searchable list (full-text search in the database as you type, keyset pages) and the
contact's detail — identity and company, the client context panel, operational vs strategic fields,
recent activity, sequence enrollment and the context history. ``e`` edits the strategic fields.

Wide terminals show list and detail side by side; narrow ones show one at a time (enter / esc).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from cockpit.changes import Delivery
from cockpit.models import Activity, Company, Contact, CrmTask, Note, Page
from screens.base import CockpitScreen
from screens.record_detail import custom_rows, field_table
from widgets.context_panel import render_context
from widgets.debounce import Debounce
from widgets.formatting import ago, short_date
from widgets.timeline import render_timeline
from screens.note_forms import notes_summary

if TYPE_CHECKING:
    from cockpit.store import Store
    from cockpit.context.models import ClientContext, ContextSnapshot
    from cockpit.sequences.models import Enrollment

SEARCH_DEBOUNCE = 0.25
DETAIL_DEBOUNCE = 0.15  # the side-by-side detail follows the cursor once it rests
PREFETCH_MARGIN = 8


@dataclass
class Dossier:
    contact: Contact
    company: Company | None
    context: "ClientContext | None"
    activities: list[Activity]
    enrollments: "list[Enrollment]"
    history: "list[ContextSnapshot]"
    notes: list[Note] = field(default_factory=list)
    tasks: list[CrmTask] = field(default_factory=list)


async def load_dossier(store: "Store", contact_id: UUID) -> Dossier:
    contact = await store.crm.contact(contact_id)
    company, context, acts, enrollments, history, notes, tasks = await asyncio.gather(
        store.crm.company(contact.company_id) if contact.company_id else asyncio.sleep(0, None),
        store.context.client_context(contact_id),
        store.activity.activities_page(contact_id=contact_id, limit=12),
        store.sequences.enrollments_of_contact(contact_id),
        store.context.context_history(contact_id, limit=8),
        store.notes.of_record(contact_id, limit=5), store.crm_tasks.of_record(contact_id, limit=5))
    return Dossier(contact, company, context, acts.items, enrollments, history, notes.items, tasks.items)


class ContactList(OptionList):
    """The list; moving its cursor by hand lets the detail follow it again (see ``pinned``)."""

    BINDINGS = [Binding("j", "cursor_down", show=False), Binding("k", "cursor_up", show=False)]

    def _unpin(self) -> None:
        screen = self.screen
        if isinstance(screen, ContactsScreen):
            screen.pinned = None

    def action_cursor_down(self) -> None:
        self._unpin()
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        self._unpin()
        super().action_cursor_up()


class ContactsScreen(CockpitScreen):
    """List + detail of the client's contacts."""

    TITLE_TEXT = "Contacts"
    WATCHES = frozenset({"contact", "company", "activity", "enrollment", "deal", "note", "crm_task"})
    AUTO_FOCUS = "#contact-list"

    BINDINGS = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("e", "edit", "Edit strategic"),
        Binding("S", "sequences", "Sequences"),  # enroll / pause / unenroll
        Binding("x", "export", "Export"),
        Binding("n", "add_note", "Note"),
        Binding("T", "add_task", "Task"),
        Binding("N", "notes_page", "Notes & tasks"),
        Binding("escape", "back", "Back", show=False),
        Binding("tab", "toggle_pane", "List/detail", show=False),
        Binding("j", "scroll_detail(1)", "Scroll detail", show=False),
        Binding("k", "scroll_detail(-1)", "Scroll detail", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_text = ""
        self.contacts: dict[str, Contact] = {}
        self.next_after: tuple[Any, ...] | None = None
        self.loading_more = False
        self.dossier: Dossier | None = None
        self.pinned: UUID | None = None  # a contact opened on purpose: the list cursor does not replace it
        self._search = Debounce(self, SEARCH_DEBOUNCE, self._apply_search)
        self._detail = Debounce(self, DETAIL_DEBOUNCE, self._load_detail)

    def compose(self) -> ComposeResult:
        yield from self.compose_frame_top()
        with Horizontal(id="contacts-body"):
            with Vertical(id="contacts-list-pane"):
                yield Input(placeholder="search contacts (name, email, company…)", id="contact-search")
                yield Static("", id="contact-count")
                yield ContactList(id="contact-list")
            with VerticalScroll(id="contact-detail"):
                yield Static(Text("pick a contact (enter)", style="dim"), id="contact-identity")
                yield Static("", id="contact-context", classes="detail-box")
                with Horizontal(id="contact-fields"):
                    yield Static("", id="contact-operational", classes="detail-box")
                    yield Static("", id="contact-strategic", classes="detail-box")
                yield Static("", id="contact-custom", classes="detail-box")
                yield Static("", id="contact-timeline", classes="detail-box")
                yield Static("", id="contact-notes", classes="detail-box")
                yield Static("", id="contact-sequence", classes="detail-box")
                yield Static("", id="contact-history", classes="detail-box")
        yield from self.compose_frame_bottom()

    # --- list -----------------------------------------------------------------------------------
    @property
    def page_size(self) -> int:
        return self.cockpit.settings.page_size

    def reload(self) -> None:
        query, limit = self.query_text, self.page_size

        async def first(store: "Store") -> Page[Contact]:
            return await store.crm.contacts_page(query or None, limit=limit)

        self.call_store(first, lambda page: self._show_page(page, append=False), group="contact-list")
        if self._detail_id is not None:
            self._load_detail(self._detail_id)

    @property
    def _detail_id(self) -> UUID | None:
        """The contact the detail shows, or is loading: one opened on purpose while its detail is on its way
        counts (a reload of the one shown before would replace that load, and the opened one would never show)."""
        if self.pinned is not None:
            return self.pinned
        return self.dossier.contact.id if self.dossier is not None else None

    def apply_changes(self, delivery: "Delivery") -> None:
        """The contact on screen refreshes; a changed contact or company re-reads the list as far as it was
        loaded (the cursor stays on its contact)."""
        changed = delivery.ids.get("contact")
        detail = self._detail_id
        if detail is not None:
            others = delivery.kinds - {"contact"}
            if others or changed is None or not changed or str(detail) in changed:
                self._load_detail(detail)
        if changed and not delivery.touches({"company"}) and len(changed) <= 20:
            # named contacts: re-read only the rows on screen, in place (an enrichment burst elsewhere
            # costs nothing here)
            rows = [UUID(i) for i in changed if i in self.contacts]
            if rows:
                async def fresh(store: "Store") -> list[Contact | None]:
                    got = await asyncio.gather(*(store.crm.contact(i) for i in rows), return_exceptions=True)
                    return [c if isinstance(c, Contact) else None for c in got]  # None: gone (deleted)

                self.call_store(fresh, self._replace_rows, group="contact-rows")
            return
        if delivery.touches({"contact", "company"}):
            query, limit = self.query_text, max(self.page_size, min(len(self.contacts), 1000))

            async def again(store: "Store") -> Page[Contact]:
                return await store.crm.contacts_page(query or None, limit=limit)

            self.call_store(again, lambda page: self._show_page(page, append=False), group="contact-list")

    def _replace_rows(self, contacts: list[Contact | None]) -> None:
        if None in contacts:  # a contact went away: the list as it is now
            self.apply_changes(Delivery({"contact": set()}))
            return
        ol = self.query_one(ContactList)
        for c in contacts:
            assert c is not None
            key = str(c.id)
            if key in self.contacts:
                self.contacts[key] = c
                ol.replace_option_prompt(key, self._row(c))

    def clear_records(self) -> None:
        super().clear_records()
        self.contacts.clear()
        self.dossier, self.pinned, self.next_after = None, None, None
        self.remove_class("-detail")
        self.query_one("#contact-identity", Static).update(Text("pick a contact (enter)", style="dim"))
        for box in ("context", "operational", "strategic", "custom", "timeline", "notes", "sequence", "history"):
            self.query_one(f"#contact-{box}", Static).update("")
        self.query_one("#contact-count", Static).update("")
        self.query_one("#contact-custom", Static).display = False

    def _show_page(self, page: Page[Contact], *, append: bool) -> None:
        ol = self.query_one(ContactList)
        keep = ol.highlighted_option.id if (not append and ol.highlighted_option) else None
        if not append and [str(c.id) for c in page.items] == list(self.contacts):
            # the same rows in the same order (an enrichment burst): only the changed ones are redrawn
            for c in page.items:
                key = str(c.id)
                if self.contacts[key] != c:
                    self.contacts[key] = c
                    ol.replace_option_prompt(key, self._row(c))
            self.next_after = page.next_after
            self.loading_more = False
            return
        if not append:
            self.contacts.clear()
            ol.clear_options()
        fresh = [c for c in page.items if str(c.id) not in self.contacts]
        for c in fresh:
            self.contacts[str(c.id)] = c
        ol.add_options([Option(self._row(c), id=str(c.id)) for c in fresh])
        self.next_after = page.next_after
        self.loading_more = False
        more = "+" if page.next_after else ""
        what = f"matching “{self.query_text}”" if self.query_text else "by name"
        noun = "contact" if len(self.contacts) == 1 and not more else "contacts"
        self.query_one("#contact-count", Static).update(f"{len(self.contacts):,}{more} {noun} {what}")
        if not append and self.contacts:
            ol.highlighted = ol.get_option_index(keep) if keep in self.contacts else 0

    @staticmethod
    def _row(c: Contact) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if c.priority == "high":
            text.append("▲ ", style="bold red")
        text.append(c.display_name, style="bold")
        if c.job_title:
            text.append(f"  {c.job_title}", style="dim")
        return text

    def _load_more(self) -> None:
        if self.next_after is None or self.loading_more:
            return
        self.loading_more = True
        query, after, limit = self.query_text, self.next_after, self.page_size

        async def more(store: "Store") -> Page[Contact]:
            return await store.crm.contacts_page(query or None, after=after, limit=limit)

        def show(page: Page[Contact]) -> None:
            if self.next_after == after:
                self._show_page(page, append=True)

        def failed(_exc: BaseException) -> None:
            self.loading_more = False

        self.call_store(more, show, group="contact-more", failed=failed)

    @on(OptionList.OptionHighlighted, "#contact-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index >= len(self.contacts) - PREFETCH_MARGIN:
            self._load_more()
        if self.has_class("-wide") and event.option.id and self.pinned is None:
            # follow the cursor in the side-by-side layout (not while a jumped-to contact is shown),
            # without a query per keystroke
            self._detail.later(UUID(event.option.id))

    @on(OptionList.OptionSelected, "#contact-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.show_contact(UUID(event.option.id))

    # --- search ---------------------------------------------------------------------------------
    def action_search(self) -> None:
        self.cockpit.open_field(self.query_one("#contact-search", Input))

    @on(Input.Changed, "#contact-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._search.later(event.value.strip())

    def _apply_search(self, value: str) -> None:
        if value != self.query_text:
            self.query_text = value
            limit = self.page_size

            async def search(store: "Store") -> Page[Contact]:
                return await store.crm.contacts_page(value or None, limit=limit)

            self.call_store(search, lambda page: self._show_page(page, append=False), group="contact-list")

    @on(Input.Submitted, "#contact-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self._search.now(event.value.strip())
        self.query_one(ContactList).focus()

    # --- detail ---------------------------------------------------------------------------------
    def show_contact(self, contact_id: UUID) -> None:
        """Open a contact's detail (enter in the list, or a jump from the palette / a deal)."""
        self.pinned = contact_id
        self._detail.cancel()  # a detail still due from the cursor would replace this one
        self.add_class("-detail")
        self._load_detail(contact_id)
        if not self.has_class("-wide"):
            self.query_one("#contact-detail").focus()

    def _load_detail(self, contact_id: UUID) -> None:
        self.call_store(lambda store: load_dossier(store, contact_id), self._show_dossier, group="contact-detail")

    def _show_dossier(self, d: Dossier) -> None:
        if self.pinned is not None and d.contact.id != self.pinned:
            return  # read for the cursor before a contact was opened on purpose: notes typed now go to that one
        self.dossier = d
        c, now = d.contact, self.cockpit.clock()
        identity = Text()
        identity.append(c.display_name, style="bold")
        if c.job_title:
            identity.append(f"  {c.job_title}", style="italic")
        if d.company:
            identity.append("  at ", style="dim")
            identity.append(d.company.name or "?", style="bold cyan")
            if d.company.domain:
                identity.append(f" ({d.company.domain})", style="dim")
        contact_bits = [x for x in (c.email, c.phone, c.city) if x]
        if contact_bits:
            identity.append("\n" + " · ".join(contact_bits), style="dim")
        self.query_one("#contact-identity", Static).update(identity)
        self._box("#contact-context", "Client context",
                  render_context(d.context.context if d.context else None,
                                 d.context.last_updated_at if d.context else None))
        self._box("#contact-operational", "Operational · arlo", field_table([
            ("last activity", ago(c.last_activity_at, now)), ("enriched", short_date(c.enriched_at)
                                                              if c.enriched_at else "not yet"),
            ("email threads", c.email_thread_count), ("opens", c.open_count), ("industry", c.industry),
            ("company size", c.company_size), ("linkedin", c.linkedin_url),
            ("sequence step", c.sequence_step)]))
        self._box("#contact-strategic", "Strategic · Justin  (e edits)", field_table([
            ("priority", c.priority), ("strategy note", c.strategy_note),
            ("relationship", c.relationship_note),
            ("recontact", short_date(c.recontact_at) if c.recontact_at else None)]))
        custom = custom_rows(c.custom)
        box = self.query_one("#contact-custom", Static)
        box.display = bool(custom)  # only workspaces with custom fields show the box
        if custom:
            self._box("#contact-custom", "Custom fields · Twenty", field_table(custom))  # type: ignore[arg-type]
        self._box("#contact-timeline", "Recent activity", render_timeline(d.activities, now))
        self._box("#contact-notes", "Tasks & notes  (n note · T task · N open)", notes_summary(d.notes, d.tasks, now.date()))
        if d.enrollments:
            seq = Text("\n".join(
                f"{e.sequence_name}: {e.progress} · {e.status}"
                + (f" ({e.status_reason})" if e.status_reason else "")
                + (f" · next {short_date(e.next_due_at)}" if e.next_due_at and e.status == "active" else "")
                for e in d.enrollments))
        else:
            seq = Text("not in a sequence", style="dim")
        self._box("#contact-sequence", "Sequence", seq)
        if d.history:
            hist = Text("\n".join(f"{short_date(h.recorded_at)}  {h.change_note or 'context updated'}  ({h.changed_by})"
                                  for h in d.history))
        else:
            hist = Text("no history yet", style="dim")
        self._box("#contact-history", "Context history", hist)

    def _box(self, selector: str, title: str, body: Any) -> None:
        widget = self.query_one(selector, Static)
        widget.border_title = title
        widget.update(Group(body) if not isinstance(body, (Text, Group)) else body)

    # --- editing --------------------------------------------------------------------------------
    def _acting_on(self) -> Dossier | None:
        """The contact the keys act on: the one on screen, once it is the one asked for (after a jump or
        enter, the previous contact stays on screen until the opened one is read: it is not the one)."""
        d = self.dossier
        if d is None:
            self.notify("pick a contact first (enter)", timeout=3)
            return None
        if self.pinned is not None and d.contact.id != self.pinned:
            self.notify("still opening that contact: try again in a moment", timeout=3)
            return None
        return d

    def action_edit(self) -> None:
        d = self._acting_on()
        if d is None:
            return
        from screens.strategic_editor import StrategicEditor

        contact = d.contact
        self.app.push_screen(StrategicEditor(contact), self._edited)

    def _edited(self, updated: Contact | None) -> None:
        if updated is None:
            return
        self.notify(f"saved strategic fields of {updated.display_name}", timeout=3)
        self._load_detail(updated.id)
        key = str(updated.id)
        if key in self.contacts:
            self.contacts[key] = updated
            self.query_one(ContactList).replace_option_prompt(key, self._row(updated))

    def _contact_links(self) -> dict[str, UUID] | None:
        d = self._acting_on()
        if d is None:
            return None
        c = d.contact
        return {"contact_id": c.id, **({"company_id": c.company_id} if c.company_id else {})}

    def _write(self, kind: str) -> None:
        from screens.note_forms import NoteForm

        links = self._contact_links()
        if links is not None and self.dossier is not None:
            contact_id = self.dossier.contact.id
            self.app.push_screen(NoteForm(kind, links=links, about=self.dossier.contact.display_name),
                                 lambda saved: self._load_detail(contact_id) if saved is not None else None)

    def action_add_note(self) -> None:
        self._write("note")

    def action_add_task(self) -> None:
        self._write("task")

    def action_notes_page(self) -> None:
        if self._contact_links() is not None and self.dossier is not None:
            from screens.contact_notes import ContactNotesPage

            contact_id = self.dossier.contact.id
            self.app.push_screen(ContactNotesPage(contact_id), lambda _r: self._load_detail(contact_id))

    def action_sequences(self) -> None:
        d = self._acting_on()
        if d is None:
            return
        from screens.sequence_actions import SequenceActions

        contact_id = d.contact.id
        self.app.push_screen(SequenceActions(d.contact),
                             lambda changed: self._load_detail(contact_id) if changed else None)

    # --- panes ----------------------------------------------------------------------------------
    def action_export(self) -> None:
        from screens.exporting import start_export

        start_export(self, "contacts", self.query_text)

    def action_back(self) -> None:
        search = self.query_one("#contact-search", Input)
        if search.has_focus:
            if search.value:
                search.value = ""
            self.query_one(ContactList).focus()
            return
        if self.pinned is not None and self.cockpit.navigator.back():
            # opened by a jump (Enter on an activity, a deal's contact): back to that screen and row
            self.pinned = None
            return
        if self.has_class("-detail") and not self.has_class("-wide"):
            self.remove_class("-detail")
            self.query_one(ContactList).focus()

    def action_scroll_detail(self, step: int) -> None:
        """j/k in the detail pane (the list has its own j/k)."""
        detail = self.query_one("#contact-detail", VerticalScroll)
        detail.scroll_down() if step > 0 else detail.scroll_up()

    def action_toggle_pane(self) -> None:
        if self.query_one(ContactList).has_focus:
            if self.dossier is not None:
                self.add_class("-detail")
                self.query_one("#contact-detail").focus()
        else:
            self.remove_class("-detail") if not self.has_class("-wide") else None
            self.query_one(ContactList).focus()

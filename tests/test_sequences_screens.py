"""Pilot tests: enroll / pause / resume / unenroll from the contacts screen, and the sequences overview
(counts per step from the database; ``x`` runs an offline step that records drafts)."""

from __future__ import annotations

from cockpit.app import CockpitApp
from screens.sequence_actions import SequenceActions
from screens.sequences import SequencesScreen
from tests.test_contacts_screen import _contacts, _search
from tests.tui_support import fixed_clock, scoped_rows, screen_text, wait_until


async def _status(conn, contact_id) -> list[tuple[str, str, str | None]]:  # type: ignore[no-untyped-def]
    return [tuple(r) for r in await scoped_rows(  # type: ignore[misc]
        conn, "bezeliq", "SELECT s.name, e.status, e.status_reason FROM crm_sequence_contacts e "
                         "JOIN crm_sequences s ON s.id = e.sequence_id WHERE e.contact_id = %s", (contact_id,))]


async def test_enroll_pause_resume_unenroll_from_contacts(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _contacts(settings, store, pilot, app, waiter)
        await _search(pilot, screen, "priya raman", waiter)
        since = waiter.mark()
        await pilot.press("enter", "enter")
        await waiter.worker(pilot, "contact-detail", since=since)
        priya = screen.dossier.contact  # type: ignore[union-attr]
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, SequenceActions), what="sequence actions")
        modal = app.screen
        assert isinstance(modal, SequenceActions)
        await wait_until(pilot, lambda: modal.data is not None, what="sequences loaded")
        assert "not in a sequence" in screen_text(app) and "Cold intro" in screen_text(app)
        await pilot.press("n")  # enroll in the highlighted (first) sequence
        await wait_until(pilot, lambda: modal.data is not None and len(modal.data.enrollments) == 1, what="enrolled")
        [(name, status, _)] = await _status(conn, priya.id)
        assert status == "active" and name == modal.data.enrollments[0].sequence_name  # type: ignore[union-attr]
        modal.query_one("#seq-enrollments").focus()
        await pilot.press("p")
        await wait_until(pilot, lambda: modal.data.enrollments[0].status == "paused", what="paused")  # type: ignore[union-attr]
        assert (await _status(conn, priya.id))[0][1:] == ("paused", "paused by user")
        await pilot.press("p")
        await wait_until(pilot, lambda: modal.data.enrollments[0].status == "active", what="resumed")  # type: ignore[union-attr]
        await pilot.press("u")
        await wait_until(pilot, lambda: modal.data.enrollments[0].status == "complete", what="unenrolled")  # type: ignore[union-attr]
        assert (await _status(conn, priya.id))[0][1:] == ("complete", "unenrolled by user")
        await pilot.press("n")  # the finished sequence is no longer offered: this enrolls in the next one
        await wait_until(pilot, lambda: len(modal.data.enrollments) == 2, what="second enrollment")  # type: ignore[union-attr]
        assert len(await _status(conn, priya.id)) == 2
        since = waiter.mark()
        await pilot.press("escape")
        await waiter.worker(pilot, "contact-detail", since=since)  # the contact's detail reloads with the sequence box
        await pilot.pause()
        assert "unenrolled by user" in screen_text(app)


async def test_sequences_overview_counts_and_offline_step(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.connection_state == "connected", what="connection")
        await pilot.press("g", "e")
        await wait_until(pilot, lambda: isinstance(app.screen, SequencesScreen), what="sequences screen")
        screen = app.screen
        assert isinstance(screen, SequencesScreen)
        await waiter.worker(pilot, "seq-overview")
        await pilot.pause()
        text = screen_text(app)
        for name, in await scoped_rows(conn, "bezeliq", "SELECT name FROM crm_sequences"):
            assert name in text
        [(active,)] = await scoped_rows(conn, "bezeliq",
                                        "SELECT count(*) FROM crm_sequence_contacts WHERE status = 'active'")
        shown = sum(c.count for c in screen.overview.counts if c.status == "active")  # type: ignore[union-attr]
        assert shown == active and "offline: no Resend key" in text
        since = waiter.mark()
        await pilot.press("x")
        await waiter.worker(pilot, "seq-overview", since=since, timeout=10)
        assert screen.overview.outbox.draft > 0  # type: ignore[union-attr]
        [(drafts,)] = await scoped_rows(conn, "bezeliq", "SELECT count(*) FROM redkey.email_outbox WHERE status = 'draft'")
        assert drafts == screen.overview.outbox.draft  # type: ignore[union-attr]
        await waiter.idle(pilot)


async def test_contact_page_and_enroll_dialog_agree_on_the_step(settings, store, conn, waiter) -> None:  # type: ignore[no-untyped-def]
    """After one email of a sequence has gone, the contact's page and the enroll dialog say the same thing."""
    app = CockpitApp(settings, store=store, clock=fixed_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _contacts(settings, store, pilot, app, waiter)
        await _search(pilot, screen, "priya raman", waiter)
        since = waiter.mark()
        await pilot.press("enter", "enter")
        await waiter.worker(pilot, "contact-detail", since=since)
        priya = screen.dossier.contact  # type: ignore[union-attr]
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, SequenceActions), what="sequence actions")
        modal = app.screen
        assert isinstance(modal, SequenceActions)
        await wait_until(pilot, lambda: modal.data is not None, what="sequences loaded")
        await pilot.press("n")
        await wait_until(pilot, lambda: modal.data is not None and len(modal.data.enrollments) == 1, what="enrolled")
        [(total,)] = await scoped_rows(conn, "bezeliq", "SELECT jsonb_array_length(s.steps) FROM crm_sequence_contacts e"
                                       " JOIN crm_sequences s ON s.id = e.sequence_id WHERE e.contact_id = %s", (priya.id,))
        assert f"0 of {total} sent · step 1 next · active" in screen_text(app)
        # the first email goes out: the enrollment now points at the second step
        await scoped_rows(conn, "bezeliq", "UPDATE crm_sequence_contacts SET current_step = 1 WHERE contact_id = %s"
                                           " RETURNING id", (priya.id,))
        since = waiter.mark()
        await pilot.press("escape")
        await waiter.worker(pilot, "contact-detail", since=since)
        await pilot.pause()
        said = f"1 of {total} sent · step 2 next · active"
        assert said in screen_text(app)
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, SequenceActions) and app.screen.data is not None,
                         what="sequence actions again")
        await pilot.pause()
        assert said in screen_text(app)

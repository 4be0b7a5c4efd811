"""Meeting notes in: an InteractionBundle (optionally with its TranscriptBundles) becomes a 'meeting' or
'note' activity from source 'quill' on the contact (and deal), its next steps extracted, the bundles
kept as artifacts, and the contact's client context told about the open follow-up.

Idempotent: the same bundle twice records one activity (``external_id`` = the bundle id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from cockpit.context.policy import ContextUpdate
from cockpit.context.service import update_context
from cockpit.contracts import InteractionBundle, QdSignalBundle, TranscriptBundle, read_artifact
from cockpit.errors import NotFound, ValidationFailed
from cockpit.intake.nextsteps import extract_next_steps


@dataclass
class IntakeResult:
    bundle_id: str
    contact_id: UUID
    deal_id: UUID | None
    activity_id: UUID | None
    duplicate: bool
    next_steps: list[str] = field(default_factory=list)
    transcripts: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"bundle_id": self.bundle_id, "contact_id": str(self.contact_id),
                "deal_id": str(self.deal_id) if self.deal_id else None,
                "activity_id": str(self.activity_id) if self.activity_id else None, "duplicate": self.duplicate,
                "next_steps": self.next_steps, "transcripts": self.transcripts}


def split_payload(data: Any) -> tuple[InteractionBundle, list[TranscriptBundle]]:
    """Accepts one InteractionBundle, ``{"interaction": {...}, "transcripts": [...]}``, or a list of
    artifacts holding exactly one InteractionBundle and its transcripts."""
    if isinstance(data, dict) and "interaction" in data:
        items = [data["interaction"], *(data.get("transcripts") or [])]
    elif isinstance(data, list):
        items = data
    else:
        items = [data]
    arts = [read_artifact(x) for x in items]
    bundles = [a for a in arts if isinstance(a, InteractionBundle)]
    transcripts = [a for a in arts if isinstance(a, TranscriptBundle)]
    others = [a.artifact_type for a in arts if not isinstance(a, (InteractionBundle, TranscriptBundle))]
    if others:
        raise ValidationFailed(f"meeting intake takes InteractionBundle and TranscriptBundle, not {', '.join(others)}")
    if len(bundles) != 1:
        raise ValidationFailed(f"expected exactly one InteractionBundle, got {len(bundles)}")
    for t in transcripts:
        if t.interaction_ref != bundles[0].bundle_id:
            raise ValidationFailed(f"transcript {t.transcript_id} refers to interaction {t.interaction_ref}, "
                                   f"not {bundles[0].bundle_id}")
    return bundles[0], transcripts


async def _resolve_contact(store: Any, ref: str) -> Any:
    try:
        return await store.crm.contact(UUID(ref))
    except ValueError:
        pass
    found = await store.context.contact_by_email(ref)
    if found is None:
        raise NotFound(f"no contact {ref!r} in this client", "add the contact (or import it) and send the notes again")
    return found


async def intake(store: Any, data: Any) -> IntakeResult:
    bundle, transcripts = split_payload(data)
    contact = await _resolve_contact(store, bundle.client_ref)
    deal = None
    if bundle.deal_ref:
        try:
            deal = await store.crm.deal(UUID(bundle.deal_ref))
        except ValueError:
            raise ValidationFailed(f"deal_ref {bundle.deal_ref!r} is not a deal id") from None
    given = "\n".join(f"- [ ] {s}" for s in bundle.next_steps)  # steps the sender already listed come first
    steps = extract_next_steps(given, bundle.summary, bundle.notes,
                               *(s.text for t in transcripts for s in t.speaker_segments))
    fresh = await store.context.save_artifact(bundle, contact_id=contact.id, deal_id=deal.id if deal else None)
    for t in transcripts:
        await store.context.save_artifact(t, contact_id=contact.id, deal_id=deal.id if deal else None)
    kind = "note" if bundle.channel == "note" else "meeting"
    activity = await store.crm.log_activity(
        kind=kind, channel=bundle.channel, direction="internal" if kind == "note" else "outbound",
        subject=bundle.title or f"{bundle.channel.title()} notes", summary=bundle.summary,
        contact_id=contact.id, company_id=contact.company_id, deal_id=deal.id if deal else None,
        source="quill", external_id=f"quill:{bundle.bundle_id}",
        occurred_at=bundle.occurred_at or bundle.created_at,
        properties={"bundle_id": bundle.bundle_id, "event_refs": bundle.event_refs, "next_steps": steps,
                    "participants": bundle.participants, "transcript_ids": [t.transcript_id for t in transcripts],
                    "attachments": [a.model_dump() for a in bundle.attachments], "notes": bundle.notes})
    if activity is not None and steps:
        await update_context(store, contact.id, ContextUpdate(
            open_threads=[{"channel": bundle.channel, "thread_id": f"quill:{bundle.bundle_id}",
                           "topic": bundle.title or "meeting follow-up", "next_steps": steps,
                           "last_message_at": (bundle.occurred_at or bundle.created_at).isoformat(),
                           "needs_reply": True}],
            evidence_refs=[f"activity:{activity.id}", *bundle.event_refs]), changed_by="arlo")
    return IntakeResult(bundle.bundle_id, contact.id, deal.id if deal else None,
                        activity.id if activity else None, duplicate=activity is None or not fresh,
                        next_steps=steps, transcripts=[t.transcript_id for t in transcripts])


async def record_signal(store: Any, data: Any) -> tuple[QdSignalBundle, bool]:
    """Keep a QdSignalBundle for its contact (client_ref = contact id or email); the Client360 snapshot
    shows the latest per score type. Returns (signal, stored) — False when it was already stored."""
    signal = read_artifact(data, QdSignalBundle)
    contact = await _resolve_contact(store, signal.client_ref)
    return signal, await store.context.save_artifact(signal, contact_id=contact.id)


async def intake_any(store: Any, data: Any) -> dict[str, Any]:
    """File/webhook dispatch: a QdSignalBundle is recorded as a signal; anything else is meeting notes."""
    if isinstance(data, dict) and data.get("artifact_type") == "QdSignalBundle":
        signal, stored = await record_signal(store, data)
        return {"signal_id": signal.signal_id, "score_type": signal.score_type, "duplicate": not stored}
    return (await intake(store, data)).as_json()

"""Interaction artifacts: InteractionBundle, TranscriptBundle and QdSignalBundle.

A bundle may summarize, but it always keeps the raw event refs it summarizes; transcripts carry speaker
segmentation and timing as data, not as comments; every QD score points back to evidence or to an
explicit operator input.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cockpit.contracts.base import Artifact

Channel = Literal["meeting", "call", "email", "sms", "visit", "chat", "note"]
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class AttachmentRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ref: str = Field(min_length=1)
    name: str | None = None
    mime_type: str | None = None


class InteractionBundle(Artifact):
    """One interaction thread or event cluster (a meeting, a call, an email thread).

    ``client_ref`` names the contact (a record id or an email); ``deal_ref`` optionally names a deal.
    """

    ARTIFACT_TYPE: ClassVar[str] = "InteractionBundle"
    VERSION: ClassVar[str] = "1.0.0"
    ID_FIELD: ClassVar[str | None] = "bundle_id"

    bundle_id: str
    client_ref: str = Field(min_length=1)
    channel: Channel
    event_refs: list[str] = Field(min_length=1)
    attachments: list[AttachmentRef]
    summary: str
    title: str | None = None
    occurred_at: datetime | None = None
    deal_ref: str | None = None
    participants: list[str] = Field(default_factory=list)
    next_steps: list[str] = Field(default_factory=list)
    notes: str | None = None

    @model_validator(mode="after")
    def _refs(self) -> "InteractionBundle":
        if any(not r.strip() for r in self.event_refs):
            raise ValueError("event_refs must not contain blank refs (raw events are kept even when summarized)")
        if self.occurred_at is not None and self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must carry a time zone")
        return self


class SpeakerSegment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    speaker: str = Field(min_length=1)
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)
    text: str

    @model_validator(mode="after")
    def _timing(self) -> "SpeakerSegment":
        if self.end_s < self.start_s:
            raise ValueError(f"segment of {self.speaker} ends ({self.end_s}s) before it starts ({self.start_s}s)")
        return self


class TranscriptBundle(Artifact):
    """Transcript of an interaction: speaker segments with timing are first-class data."""

    ARTIFACT_TYPE: ClassVar[str] = "TranscriptBundle"
    VERSION: ClassVar[str] = "1.0.0"
    ID_FIELD: ClassVar[str | None] = "transcript_id"

    transcript_id: str
    interaction_ref: str = Field(min_length=1)
    media_ref: str | None
    speaker_segments: list[SpeakerSegment] = Field(min_length=1)
    language: str
    text: str
    duration_s: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _segments(self) -> "TranscriptBundle":
        if not _LANG.match(self.language):
            raise ValueError(f"language {self.language!r} is not a BCP 47 tag such as 'en' or 'en-US'")
        starts = [s.start_s for s in self.speaker_segments]
        if starts != sorted(starts):
            raise ValueError("speaker_segments must be in time order")
        if self.duration_s is not None and self.speaker_segments[-1].end_s > self.duration_s + 0.5:
            raise ValueError("a speaker segment ends after the media does")
        return self


class TimeWindow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _order(self) -> "TimeWindow":
        if self.end <= self.start:
            raise ValueError("time_window must end after it starts")
        return self


class QdSignalBundle(Artifact):
    """A QD-relevant signal for a client over a time window, pointing back to its evidence."""

    ARTIFACT_TYPE: ClassVar[str] = "QdSignalBundle"
    VERSION: ClassVar[str] = "1.0.0"
    ID_FIELD: ClassVar[str | None] = "signal_id"

    signal_id: str
    client_ref: str = Field(min_length=1)
    source_ref: str = Field(min_length=1)
    score_type: str = Field(min_length=1)
    value: float
    time_window: TimeWindow
    supporting_evidence_refs: list[str]
    operator_input: str | None = None

    @model_validator(mode="after")
    def _evidence(self) -> "QdSignalBundle":
        if not self.supporting_evidence_refs and not (self.operator_input or "").strip():
            raise ValueError("every score must point back to evidence refs or an explicit operator input")
        return self

"""The common spine of every artifact: required metadata and semantic versions.

Every artifact carries ``artifact_id``, ``artifact_type``, ``schema_version``, ``source_system``,
``created_at``, ``created_by``, ``confidence`` and ``provenance``. Versions are semantic per artifact
family (``MAJOR.MINOR.PATCH``): a minor bump only adds optional fields, so a reader of the same major
reads it; a major bump needs an explicit reader that upgrades the old shape (see ``registry``).
"""

from __future__ import annotations

import re
import uuid
from functools import lru_cache
from datetime import datetime, timezone
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


@lru_cache(maxsize=64)
def parse_version(version: str) -> tuple[int, int, int]:
    m = _SEMVER.match(version or "")
    if not m:
        raise ValueError(f"schema_version {version!r} is not MAJOR.MINOR.PATCH")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def is_email(value: str) -> bool:
    """Syntactic email check (what an import can verify without sending mail)."""
    if len(value) > 254:
        return False
    local, at, host = value.rpartition("@")
    return bool(at and len(local) <= 64 and _LOCAL.fullmatch(local) and _HOST.fullmatch(host))


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Provenance(BaseModel):
    """Where an artifact's content came from: kept attached to inferred data, so an inference
    can be traced to its evidence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["upload", "import", "human", "ai", "rule", "webhook", "file", "system"]
    source_ref: str | None = None
    evidence_refs: list[str] = Field(default_factory=list)
    notes: str | None = None


class Artifact(BaseModel):
    """Base of all artifacts. Subclasses set ``ARTIFACT_TYPE``, ``VERSION`` and ``ID_FIELD`` (their own
    primary id, e.g. ``batch_id``), which defaults to ``artifact_id`` and must agree with it."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    ARTIFACT_TYPE: ClassVar[str] = "Artifact"
    VERSION: ClassVar[str] = "1.0.0"
    ID_FIELD: ClassVar[str | None] = None

    artifact_id: str = Field(default_factory=new_id, min_length=1)
    artifact_type: str
    schema_version: str
    source_system: str = Field(min_length=1)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(min_length=1)
    confidence: float = Field(ge=0.0, le=1.0)
    provenance: Provenance

    @model_validator(mode="before")
    @classmethod
    def _fill_identity(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        data.setdefault("artifact_type", cls.ARTIFACT_TYPE)
        data.setdefault("schema_version", cls.VERSION)
        if cls.ID_FIELD:
            own, art = data.get(cls.ID_FIELD), data.get("artifact_id")
            if own and not art:
                data["artifact_id"] = str(own)
            elif art and not own:
                data[cls.ID_FIELD] = art
            elif not own and not art:
                data["artifact_id"] = data[cls.ID_FIELD] = new_id()
        return data

    @model_validator(mode="after")
    def _check_identity(self) -> "Artifact":
        if self.artifact_type != self.ARTIFACT_TYPE:
            raise ValueError(f"artifact_type must be {self.ARTIFACT_TYPE!r}, not {self.artifact_type!r}")
        got, want = parse_version(self.schema_version), parse_version(self.VERSION)
        if got[0] != want[0] or got[1] > want[1]:
            raise ValueError(f"{self.ARTIFACT_TYPE} schema_version {self.schema_version} is not readable as "
                             f"{self.VERSION}; use cockpit.contracts.read_artifact to upgrade it")
        if self.ID_FIELD and str(getattr(self, self.ID_FIELD)) != self.artifact_id:
            raise ValueError(f"{self.ID_FIELD} must equal artifact_id")
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must carry a time zone")
        return self

    @field_validator("created_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("created_at must carry a time zone")
        return v

    def to_json(self) -> dict[str, Any]:
        """The artifact as stored (JSON types only)."""
        return self.model_dump(mode="json")

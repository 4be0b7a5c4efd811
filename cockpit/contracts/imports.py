"""Import artifacts: RawImportBatch, ImportRowRecord, ImportMappingManifest,
NormalizedEntityProposal and ClientGraphDelta.

Raw evidence and normalized projections are kept apart: the batch is the file as received, a row record
is what was read from it, a proposal is what we would make of it, and a graph delta is what was actually
committed to the CRM (after an approval or the low-risk auto rule).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cockpit.contracts.base import Artifact, is_email

# The canonical fields an import column can map to (entity.field), as the stable views name them.
CONTACT_FIELDS = ("first_name", "last_name", "full_name", "email", "phone", "job_title", "city", "linkedin_url")
COMPANY_FIELDS = ("name", "domain", "city", "country", "employees", "industry", "linkedin_url")
CANONICAL_FIELDS: tuple[str, ...] = tuple(f"contact.{f}" for f in CONTACT_FIELDS) + tuple(
    f"company.{f}" for f in COMPANY_FIELDS)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class RawImportBatch(Artifact):
    """The uploaded import exactly as received. Immutable after upload (frozen here; triggers in the DB)."""

    ARTIFACT_TYPE: ClassVar[str] = "RawImportBatch"
    VERSION: ClassVar[str] = "1.0.0"
    ID_FIELD: ClassVar[str | None] = "batch_id"

    batch_id: str
    uploaded_filename: str = Field(min_length=1)
    mime_type: str = Field(pattern=r"^[a-z]+/[a-z0-9.+-]+$")
    storage_ref: str = Field(min_length=1)
    row_count: int = Field(ge=0)
    uploaded_by: str = Field(min_length=1)
    sha256: str
    byte_size: int = Field(ge=0)
    encoding: str | None = None

    @model_validator(mode="after")
    def _digest(self) -> "RawImportBatch":
        if not _SHA256.match(self.sha256):
            raise ValueError("sha256 must be 64 lowercase hex digits")
        return self


class RowError(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Literal["encoding", "ragged", "bad_email", "empty", "no_identity", "bad_value"]
    message: str
    column: str | None = None


class ImportRowRecord(Artifact):
    """One data row as read from a batch: the decoded values, and every problem found in it."""

    ARTIFACT_TYPE: ClassVar[str] = "ImportRowRecord"
    VERSION: ClassVar[str] = "1.0.0"
    ID_FIELD: ClassVar[str | None] = "row_id"

    row_id: str
    batch_id: str
    row_number: int = Field(ge=1, description="1 = the first data row after the header")
    raw_values: list[str | None]
    status: Literal["ok", "error"]
    errors: list[RowError] = Field(default_factory=list)

    @model_validator(mode="after")
    def _status_matches(self) -> "ImportRowRecord":
        if (self.status == "error") != bool(self.errors):
            raise ValueError("status is 'error' exactly when the row has errors")
        return self


class ColumnMapping(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source_column: str
    index: int = Field(ge=0)
    status: Literal["mapped", "ignored", "unresolved"]
    target_field: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _target(self) -> "ColumnMapping":
        if self.status == "mapped":
            if self.target_field not in CANONICAL_FIELDS:
                raise ValueError(f"column {self.source_column!r}: {self.target_field!r} is not a canonical field "
                                 f"({', '.join(CANONICAL_FIELDS)})")
        elif self.target_field is not None:
            raise ValueError(f"column {self.source_column!r} is {self.status} but names a target")
        return self


class ImportMappingManifest(Artifact):
    """How source columns map to canonical fields. Version 2 lists every column with its status;
    version 1 (a dict of mapped columns plus a list of unmapped ones) is upgraded by its reader."""

    ARTIFACT_TYPE: ClassVar[str] = "ImportMappingManifest"
    VERSION: ClassVar[str] = "2.0.0"
    ID_FIELD: ClassVar[str | None] = "manifest_id"

    manifest_id: str
    batch_id: str
    source_profile: str = Field(min_length=1)
    source_columns: list[str]
    column_mappings: list[ColumnMapping]
    unmapped_columns: list[str]
    resolver_notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _every_column_accounted(self) -> "ImportMappingManifest":
        by_index = {m.index: m for m in self.column_mappings}
        if len(by_index) != len(self.column_mappings):
            raise ValueError("a column is listed twice in column_mappings")
        missing = [f"{i}:{c}" for i, c in enumerate(self.source_columns) if i not in by_index]
        if missing:
            raise ValueError("every imported column must be mapped, ignored or unresolved; missing: "
                             + ", ".join(missing))
        extra = sorted(i for i in by_index if i >= len(self.source_columns))
        if extra:
            raise ValueError(f"column_mappings names columns the file does not have: {extra}")
        for m in self.column_mappings:
            if self.source_columns[m.index] != m.source_column:
                raise ValueError(f"column {m.index} is {self.source_columns[m.index]!r}, not {m.source_column!r}")
        targets = [m.target_field for m in self.column_mappings if m.status == "mapped"]
        dupes = sorted({t for t in targets if targets.count(t) > 1})
        if dupes:
            raise ValueError(f"two columns map to the same field: {', '.join(map(str, dupes))}")
        unmapped = [m.source_column for m in sorted(self.column_mappings, key=lambda m: m.index)
                    if m.status != "mapped"]
        if sorted(self.unmapped_columns) != sorted(unmapped):
            raise ValueError("unmapped_columns must list exactly the ignored and unresolved columns")
        return self

    @property
    def unresolved(self) -> list[ColumnMapping]:
        return [m for m in self.column_mappings if m.status == "unresolved"]

    def target_index(self) -> dict[str, int]:
        """canonical field -> column index, for the mapped columns."""
        return {m.target_field: m.index for m in self.column_mappings if m.status == "mapped" and m.target_field}


def upgrade_manifest_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Reader for ImportMappingManifest 1.x: ``column_mappings`` was ``{source column: field}``, columns
    not in it were listed in ``unmapped_columns`` (all treated as ignored), and there was no
    ``source_columns``. Column order follows v1's ``columns`` when present, else mapped then unmapped."""
    out = dict(data)
    mapped: dict[str, str] = dict(data.get("column_mappings") or {})
    unmapped: list[str] = list(data.get("unmapped_columns") or [])
    columns: list[str] = list(data.get("columns") or (list(mapped) + unmapped))
    out.pop("columns", None)
    mappings = []
    for i, col in enumerate(columns):
        if col in mapped:
            target = mapped[col]
            if "." not in target:  # v1 named contact fields bare ("email")
                target = f"contact.{target}"
            mappings.append({"source_column": col, "index": i, "status": "mapped", "target_field": target})
        else:
            mappings.append({"source_column": col, "index": i, "status": "ignored",
                             "note": "unmapped in a v1 manifest"})
    out["source_columns"] = columns
    out["column_mappings"] = mappings
    out["unmapped_columns"] = [c for c in columns if c not in mapped]
    notes = data.get("resolver_notes") or []
    out["resolver_notes"] = ([notes] if isinstance(notes, str) else list(notes)) + [
        f"upgraded from ImportMappingManifest {data.get('schema_version')}"]
    out["schema_version"] = "2.0.0"
    return out


EntityType = Literal["contact", "company"]


class NormalizedEntityProposal(Artifact):
    """A structured projection of imported (or inferred) data, before approval. It never becomes
    committed data without an approval or the low-risk auto rule: only a new record with no merge
    candidate may go without review (checked here and by the database)."""

    ARTIFACT_TYPE: ClassVar[str] = "NormalizedEntityProposal"
    VERSION: ClassVar[str] = "1.1.0"  # 1.1 added action, target_id, row_number (optional: additive)
    ID_FIELD: ClassVar[str | None] = "proposal_id"

    proposal_id: str
    batch_id: str | None
    entity_type: EntityType
    canonical_payload: dict[str, Any]
    merge_candidate_refs: list[str]
    review_required: bool
    action: Literal["create", "update", "merge"] = "create"
    target_id: str | None = None
    row_number: int | None = Field(default=None, ge=1)
    reasons: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rules(self) -> "NormalizedEntityProposal":
        problem = entity_proposal_problem(self.entity_type, self.canonical_payload, self.action,
                                          self.merge_candidate_refs, self.review_required)
        if problem:
            raise ValueError(problem)
        return self


_PAYLOAD_FIELDS = {"contact": frozenset(CONTACT_FIELDS + ("company_id", "company_ref", "id", "loser_id", "winner_id")),
                   "other": frozenset(COMPANY_FIELDS + ("id", "loser_id", "winner_id"))}


def entity_proposal_problem(entity_type: str, payload: dict[str, Any], action: str, merge_candidate_refs: list[str],
                            review_required: bool) -> str | None:
    """What is wrong with a NormalizedEntityProposal's content (None: nothing). The model's own rule, also
    applied by the bulk import path, which records proposals without building a model per row."""
    allowed = _PAYLOAD_FIELDS["contact" if entity_type == "contact" else "other"]
    if not allowed.issuperset(payload):
        return f"{entity_type} payload has unknown fields: {', '.join(sorted(set(payload) - allowed))}"
    email = payload.get("email")
    if email is not None and not is_email(str(email)):
        return f"{email!r} is not an email address"
    if action == "create":  # (an ``or`` chain rather than any(): an import checks 100k of these)
        if entity_type == "contact" and not (payload.get("email") or payload.get("first_name")
                                             or payload.get("last_name") or payload.get("full_name")):
            return "a contact needs an email or a name"
        if entity_type == "company" and not (payload.get("name") or payload.get("domain")):
            return "a company needs a name or a domain"
    if (merge_candidate_refs or action != "create") and not review_required:
        return "only a new record with no merge candidate may skip review"
    return None


class GraphOperation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    op: Literal["create", "update", "merge", "link", "soft_delete", "repoint"]
    entity_type: Literal["contact", "company", "deal", "activity", "client_context", "project"]
    entity_ref: str
    fields: dict[str, Any] = Field(default_factory=dict)
    before: dict[str, Any] = Field(default_factory=dict)


class ClientGraphDelta(Artifact):
    """What an approved (or auto-approved) proposal changed in the client graph, op by op. Destructive
    or merging operations must name the approval they rest on."""

    ARTIFACT_TYPE: ClassVar[str] = "ClientGraphDelta"
    VERSION: ClassVar[str] = "1.0.0"
    ID_FIELD: ClassVar[str | None] = "delta_id"

    delta_id: str
    client_ref: str = Field(min_length=1)
    proposal_ref: str
    approval_ref: str | None
    auto_rule: str | None = None
    operations: list[GraphOperation] = Field(min_length=1)

    @model_validator(mode="after")
    def _approval_for_destructive(self) -> "ClientGraphDelta":
        if any(o.op in ("merge", "soft_delete", "repoint") for o in self.operations) and not self.approval_ref:
            raise ValueError("merging or deleting operations need an approval_ref")
        if not self.approval_ref and not self.auto_rule:
            raise ValueError("a delta rests on an approval or a named auto rule")
        return self

"""The artifact contracts: every artifact's required metadata and fields, its validation rules, and
version mapping (explicit readers for old majors, additive minors)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from cockpit.contracts import FAMILIES, read_artifact
from cockpit.errors import ValidationFailed

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)
META = {"source_system": "test", "created_by": "tester", "confidence": 0.9, "provenance": {"method": "rule"}}
REQUIRED_META = ("source_system", "created_by", "confidence", "provenance")

VALID: dict[str, dict[str, Any]] = {
    "RawImportBatch": {"uploaded_filename": "a.csv", "mime_type": "text/csv", "storage_ref": "redkey/x",
                       "row_count": 3, "uploaded_by": "justin", "sha256": "a" * 64, "byte_size": 10},
    "ImportRowRecord": {"batch_id": "b1", "row_number": 1, "raw_values": ["a", None], "status": "ok"},
    "ImportMappingManifest": {"batch_id": "b1", "source_profile": "generic_csv", "source_columns": ["Email", "X"],
                              "column_mappings": [
                                  {"source_column": "Email", "index": 0, "status": "mapped",
                                   "target_field": "contact.email"},
                                  {"source_column": "X", "index": 1, "status": "unresolved"}],
                              "unmapped_columns": ["X"], "resolver_notes": []},
    "NormalizedEntityProposal": {"batch_id": "b1", "entity_type": "contact",
                                 "canonical_payload": {"email": "a@b.example"}, "merge_candidate_refs": [],
                                 "review_required": False},
    "ClientGraphDelta": {"client_ref": "bezeliq", "proposal_ref": "p1", "approval_ref": "d1",
                         "operations": [{"op": "create", "entity_type": "contact", "entity_ref": "c1"}]},
    "InteractionBundle": {"client_ref": "a@b.example", "channel": "meeting", "event_refs": ["quill:1"],
                          "attachments": [], "summary": "Kickoff"},
    "TranscriptBundle": {"interaction_ref": "i1", "media_ref": "s3://m.mp3", "language": "en-US", "text": "hi",
                         "speaker_segments": [{"speaker": "A", "start_s": 0, "end_s": 1.5, "text": "hi"}]},
    "QdSignalBundle": {"client_ref": "c1", "source_ref": "arlo", "score_type": "engagement", "value": 0.7,
                       "time_window": {"start": "2026-11-01T00:00:00Z", "end": "2026-11-20T00:00:00Z"},
                       "supporting_evidence_refs": ["activity:1"]},
    "OracleWritebackProposal": {"target_domain": "crm_contacts", "target_entity_ref": "c1",
                                "proposed_change": {"job_title": "CFO"}, "reasoning_summary": "said so",
                                "evidence_refs": ["activity:1"], "approval_required": False},
    "ApprovalDecision": {"proposal_ref": "p1", "reviewer_ref": "justin", "decision": "approved",
                         "decision_notes": "", "decided_at": NOW.isoformat()},
    "Client360Snapshot": {"client_ref": "c1", "identity": {}, "account_links": [], "active_opportunities": [],
                          "recent_interactions": [], "property_interests": [], "tasks": [], "qd_overview": {},
                          "risk_flags": [], "derived_from": ["crm_contacts"], "as_of": NOW.isoformat(),
                          "provenance": {"method": "system"}},
}


def _art(kind: str, **over: Any) -> dict[str, Any]:
    return {"artifact_type": kind, **META, **VALID[kind], **over}


def test_every_seed_artifact_has_a_contract() -> None:
    assert set(FAMILIES) == set(VALID)


@pytest.mark.parametrize("kind", sorted(VALID))
def test_valid_artifact_reads_and_carries_metadata(kind: str) -> None:
    a = read_artifact(_art(kind))
    assert a.artifact_type == kind and a.schema_version == FAMILIES[kind].VERSION
    assert a.artifact_id and a.created_at.tzinfo is not None
    again = read_artifact(a.to_json())  # round trip through storage JSON
    assert again == a


@pytest.mark.parametrize("kind", sorted(VALID))
@pytest.mark.parametrize("missing", REQUIRED_META)
def test_required_metadata(kind: str, missing: str) -> None:
    data = _art(kind)
    data.pop(missing)
    with pytest.raises(ValidationFailed, match=missing):
        read_artifact(data)


@pytest.mark.parametrize("kind", sorted(VALID))
def test_required_fields(kind: str) -> None:
    required = [f for f, info in FAMILIES[kind].model_fields.items()
                if info.is_required() and f not in REQUIRED_META and f in VALID[kind]]
    assert required, kind
    for f in required:
        data = _art(kind)
        data.pop(f)
        with pytest.raises(ValidationFailed, match=f):
            read_artifact(data)


RULES = [
    ("ImportRowRecord", {"status": "error"}, "exactly when"),
    ("ImportMappingManifest", {"column_mappings": [VALID["ImportMappingManifest"]["column_mappings"][0]]},
     "mapped, ignored or unresolved"),
    ("ImportMappingManifest", {"unmapped_columns": []}, "unmapped_columns"),
    ("NormalizedEntityProposal", {"merge_candidate_refs": ["c9"]}, "only a new record"),
    ("NormalizedEntityProposal", {"canonical_payload": {"email": "nope"}}, "not an email"),
    ("ClientGraphDelta", {"approval_ref": None, "operations": [
        {"op": "merge", "entity_type": "contact", "entity_ref": "c1"}]}, "approval_ref"),
    ("InteractionBundle", {"event_refs": []}, "event_refs"),
    ("TranscriptBundle", {"speaker_segments": [{"speaker": "A", "start_s": 3, "end_s": 1, "text": ""}]}, "ends"),
    ("TranscriptBundle", {"language": "English"}, "BCP 47"),
    ("QdSignalBundle", {"supporting_evidence_refs": []}, "evidence refs or an explicit operator input"),
    ("OracleWritebackProposal", {"proposed_change": {"priority": "high"}}, "strategic"),
    ("OracleWritebackProposal", {"status": "committed"}, "status"),  # never masquerades as committed
    ("ApprovalDecision", {"decision": "rejected"}, "needs a note"),
    ("Client360Snapshot", {"provenance": {"method": "human"}}, "derived"),
    ("RawImportBatch", {"sha256": "xyz"}, "sha256"),
]


@pytest.mark.parametrize("kind,override,message", RULES)
def test_validation_rules(kind: str, override: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        read_artifact(_art(kind, **override))


def test_qd_signal_with_operator_input_needs_no_refs() -> None:
    assert read_artifact(_art("QdSignalBundle", supporting_evidence_refs=[], operator_input="Justin's call"))


def test_manifest_v1_upgraded_by_its_reader() -> None:
    v1 = {"artifact_type": "ImportMappingManifest", "schema_version": "1.0.0", **META, "batch_id": "b1",
          "source_profile": "linkedin_connections", "columns": ["First Name", "Email Address", "Connected On"],
          "column_mappings": {"First Name": "first_name", "Email Address": "contact.email"},
          "unmapped_columns": ["Connected On"], "resolver_notes": "exported 2025"}
    m = read_artifact(v1)
    assert m.schema_version == "2.0.0"
    assert [(c.source_column, c.status, c.target_field) for c in m.column_mappings] == [
        ("First Name", "mapped", "contact.first_name"), ("Email Address", "mapped", "contact.email"),
        ("Connected On", "ignored", None)]
    assert m.unmapped_columns == ["Connected On"] and m.resolver_notes[0] == "exported 2025"


def test_older_minor_reads_and_newer_minor_drops_unknown_fields() -> None:
    old = _art("NormalizedEntityProposal", schema_version="1.0.0")
    assert read_artifact(old).action == "create"  # 1.1 field defaulted
    newer = _art("NormalizedEntityProposal", schema_version="1.7.0", shiny_new_field=1)
    assert read_artifact(newer).schema_version == "1.1.0"
    with pytest.raises(ValidationFailed, match="newer than"):
        read_artifact(_art("ApprovalDecision", schema_version="2.0.0"))
    with pytest.raises(ValidationFailed, match="no reader"):
        read_artifact(_art("ApprovalDecision", schema_version="0.9.0"))
    with pytest.raises(ValidationFailed, match="unknown artifact_type"):
        read_artifact({"artifact_type": "Spreadsheet"})


def test_artifacts_are_frozen() -> None:
    a = read_artifact(_art("ApprovalDecision"))
    with pytest.raises(Exception):
        a.decision = "rejected"  # type: ignore[misc]

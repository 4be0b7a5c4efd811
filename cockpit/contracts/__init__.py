"""The artifact contracts (imports, interactions, governance) as pydantic models, with versioned
readers (no I/O, no Textual)."""

from cockpit.contracts.base import Artifact, Provenance, is_email, new_id, parse_version
from cockpit.contracts.governance import ApprovalDecision, Client360Snapshot, OracleWritebackProposal
from cockpit.contracts.imports import (
    CANONICAL_FIELDS,
    ClientGraphDelta,
    ColumnMapping,
    GraphOperation,
    ImportMappingManifest,
    ImportRowRecord,
    NormalizedEntityProposal,
    RawImportBatch,
    RowError,
)
from cockpit.contracts.interactions import (
    AttachmentRef,
    InteractionBundle,
    QdSignalBundle,
    SpeakerSegment,
    TimeWindow,
    TranscriptBundle,
)
from cockpit.contracts.registry import FAMILIES, READERS, read_artifact, validate

__all__ = [
    "Artifact", "Provenance", "is_email", "new_id", "parse_version", "ApprovalDecision", "Client360Snapshot",
    "OracleWritebackProposal", "CANONICAL_FIELDS", "ClientGraphDelta", "ColumnMapping", "GraphOperation",
    "ImportMappingManifest", "ImportRowRecord", "NormalizedEntityProposal", "RawImportBatch", "RowError",
    "AttachmentRef", "InteractionBundle", "QdSignalBundle", "SpeakerSegment", "TimeWindow", "TranscriptBundle",
    "FAMILIES", "READERS", "read_artifact", "validate",
]

"""Artifact families, their current versions, and explicit readers for older versions.

``read_artifact(data)`` is how stored or received JSON becomes a model: it picks the family by
``artifact_type``, upgrades older majors through the reader chain (``READERS``), accepts older minors as
they are (minor versions only add optional fields), and drops fields a newer minor added that this code
does not know yet. Anything that still does not fit raises :class:`~cockpit.errors.ValidationFailed`
naming the first problem.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import ValidationError

from cockpit.contracts.base import Artifact, parse_version
from cockpit.contracts.governance import ApprovalDecision, Client360Snapshot, OracleWritebackProposal
from cockpit.contracts.imports import (
    ClientGraphDelta,
    ImportMappingManifest,
    ImportRowRecord,
    NormalizedEntityProposal,
    RawImportBatch,
    upgrade_manifest_v1,
)
from cockpit.contracts.interactions import InteractionBundle, QdSignalBundle, TranscriptBundle
from cockpit.errors import ValidationFailed

A = TypeVar("A", bound=Artifact)

FAMILIES: dict[str, type[Artifact]] = {m.ARTIFACT_TYPE: m for m in (
    RawImportBatch, ImportRowRecord, ImportMappingManifest, NormalizedEntityProposal, ClientGraphDelta,
    InteractionBundle, TranscriptBundle, QdSignalBundle, OracleWritebackProposal, ApprovalDecision,
    Client360Snapshot)}

# (artifact_type, old major) -> function turning that major's JSON into the next major's JSON.
READERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("ImportMappingManifest", 1): upgrade_manifest_v1,
}


def explain(exc: ValidationError, what: str) -> ValidationFailed:
    """A pydantic error as one user-facing line: the first problem, where it is, and how many more."""
    errs = exc.errors()
    first = errs[0]
    loc = ".".join(str(p) for p in first.get("loc", ()) if p != "__root__")
    msg = first.get("msg", "invalid").removeprefix("Value error, ")
    more = f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""
    return ValidationFailed(f"{what}: {loc + ': ' if loc else ''}{msg}{more}",
                            "fix the artifact and send it again; nothing was stored")


def validate(model: type[A], data: dict[str, Any]) -> A:
    """Validate ``data`` as ``model`` at the service layer (ValidationFailed on bad input)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise explain(exc, f"invalid {model.ARTIFACT_TYPE}") from None


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Bring artifact JSON to its family's current version, through explicit readers only."""
    kind = data.get("artifact_type")
    model = FAMILIES.get(kind)  # type: ignore[arg-type]
    if model is None:
        raise ValidationFailed(f"unknown artifact_type {kind!r}", f"known: {', '.join(sorted(FAMILIES))}")
    try:
        version = parse_version(str(data.get("schema_version", model.VERSION)))
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    current = parse_version(model.VERSION)
    while version[0] < current[0]:
        reader = READERS.get((kind, version[0]))  # type: ignore[arg-type]
        if reader is None:
            raise ValidationFailed(f"{kind} {'.'.join(map(str, version))} has no reader to {model.VERSION}",
                                   "breaking versions need an explicit reader mapping")
        data = reader(data)
        version = parse_version(data["schema_version"])
    if version[0] > current[0]:
        raise ValidationFailed(f"{kind} {'.'.join(map(str, version))} is newer than this cockpit reads "
                               f"({model.VERSION})", "upgrade the cockpit")
    if version[1] > current[1]:  # a newer minor: only additive fields; drop the ones we do not know
        data = {k: v for k, v in data.items() if k in model.model_fields}
        data["schema_version"] = model.VERSION
    return data


def read_artifact(data: dict[str, Any], expect: type[A] | None = None) -> A:
    """JSON (stored, received or an older version) -> the current model of its family."""
    if not isinstance(data, dict):
        raise ValidationFailed("an artifact must be a JSON object")
    if expect is not None:
        data = {"artifact_type": expect.ARTIFACT_TYPE, **data}
        if data["artifact_type"] != expect.ARTIFACT_TYPE:
            raise ValidationFailed(f"expected a {expect.ARTIFACT_TYPE}, got a {data['artifact_type']}")
    data = upgrade(data)
    return validate(FAMILIES[data["artifact_type"]], data)  # type: ignore[return-value]

"""The import service: a CSV, XLSX or vCard file -> an immutable raw batch -> a mapping manifest (proposed, then
confirmed or edited) -> row records and entity proposals, with the low-risk ones committed.

Two steps, because a human sits between them: :func:`stage_import` keeps the raw file and proposes the
manifest; :func:`run_import` normalizes under the confirmed manifest and writes everything in one
transaction. No Textual here: the CLI and the import screen both drive this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cockpit.contracts import ImportMappingManifest, new_id, ImportRowRecord, Provenance, RawImportBatch, validate
from cockpit.errors import ValidationFailed
from cockpit.formatting import counted
from cockpit.gc_pause import paused_gc
from cockpit.imports.formats import parse_file
from cockpit.imports.mapping import apply_remembered, profile_key, propose_manifest, user_edits
from cockpit.imports.normalize import NormalizedRow
from cockpit.imports.normalize_process import normalized_windows
from cockpit.imports.models import ImportStep, LookUp, Progress
from cockpit.imports.proposals import ProposalPlanner
from cockpit.imports.reader import ParsedFile, ParsedRow

MAX_BYTES = 512 * 1024 * 1024
LOOK_UP_ROWS = 25_000  # rows normalized and looked up at once
STEP_ROWS = 5000  # rows planned and written per step


@dataclass
class StagedImport:
    batch: RawImportBatch
    parsed: ParsedFile
    manifest: ImportMappingManifest
    profile_key: str = "generic_csv"


@dataclass
class RowProblem:
    row_number: int
    line: int
    code: str
    message: str
    column: str | None = None

    def __str__(self) -> str:
        where = f" [{self.column}]" if self.column else ""
        return f"row {self.row_number} (line {self.line}){where}: {self.code}: {self.message}"


@dataclass
class ImportReport:
    batch_id: str
    filename: str
    rows: int = 0
    errors: int = 0
    proposals: int = 0
    auto_committed: int = 0
    queued: int = 0
    unchanged: int = 0
    linked_companies: int = 0
    created_contacts: int = 0   # records the database created (the low-risk proposals committed)
    created_companies: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        created = (f"created {counted(self.created_contacts, 'contact')} and "
                   f"{counted(self.created_companies, 'company', 'companies')}")
        return (f"{self.filename}: {counted(self.rows, 'row')} -> {counted(self.proposals, 'proposal')} "
                f"({created}, {self.queued:,} waiting for approval), "
                f"{self.unchanged:,} already in the CRM, {counted(self.errors, 'malformed row')}")


def _records(rows: list[NormalizedRow], parsed: list[ParsedRow], batch_id: str, created_by: str,
             report: ImportReport) -> list[tuple[int, list[str], list[dict[str, Any]]]]:
    """The row records (row number, raw values, errors) of ``rows``; their problems go in the report."""
    records: list[tuple[int, list[str], list[dict[str, Any]]]] = []
    for p, r in zip(parsed, rows):
        errs = [{"code": c, "message": m, "column": col} for c, m, col in r.errors]
        if errs:
            validate(ImportRowRecord, {"batch_id": batch_id, "row_number": r.number, "raw_values": r.values,
                                       "status": "error", "errors": errs, "source_system": "csv_import",
                                       "created_by": created_by, "confidence": 1.0, "provenance": {"method": "import"}})
            report.problems.extend(RowProblem(r.number, p.line, e["code"], e["message"], e["column"]) for e in errs)
        records.append((r.number, r.values, errs))
    return records


def _windows(rows: int) -> Iterator[slice]:
    """The look-up windows of a file of ``rows`` rows: the first two are one step each, so the database
    starts writing soon, and soon again (the second process normalizes from the second window on, once it
    has started); then LOOK_UP_ROWS at a time."""
    start, n = 0, 0
    while start < rows:
        end = min(rows, start + (LOOK_UP_ROWS if n >= 2 else STEP_ROWS))
        yield slice(start, end)
        start, n = end, n + 1


def read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ValidationFailed(f"{path.name} is {size / 1e6:.0f} MB; imports are limited to "
                                   f"{MAX_BYTES // 1024 // 1024} MB", "split the file")
        return path.read_bytes()
    except FileNotFoundError:
        raise ValidationFailed(f"no such file: {path}") from None
    except IsADirectoryError:
        raise ValidationFailed(f"{path} is a directory, not a file to import") from None
    except PermissionError:
        raise ValidationFailed(f"cannot read {path}: permission denied") from None


def preview_manifest(data: bytes, filename: str, *, user: str, sheet: str | None = None) -> ImportMappingManifest:
    """The mapping a file would get, without storing anything (for a preview with no terminal)."""
    parsed = parse_file(data, filename, sheet=sheet)
    return propose_manifest(batch_id="preview", headers=parsed.header, created_by=user, notes=parsed.notes,
                            sample=[r.values for r in parsed.rows[:50]])


async def stage_import(store: Any, data: bytes, filename: str, *, uploaded_by: str,
                       sheet: str | None = None) -> StagedImport:
    """Parse enough to propose a mapping; keep the raw bytes (immutable) and the proposed manifest (with
    the mapping the user last chose for files of this shape already applied)."""
    parsed = parse_file(data, filename, sheet=sheet)  # an empty or headerless file fails here, before anything is stored
    digest = hashlib.sha256(data).hexdigest()
    batch_id = new_id()
    batch = validate(RawImportBatch, {
        "batch_id": batch_id, "source_system": "csv_import", "created_by": uploaded_by, "confidence": 1.0,
        "provenance": Provenance(method="upload", source_ref=filename, notes="; ".join(parsed.notes) or None),
        "uploaded_filename": Path(filename).name or "upload.csv", "mime_type": parsed.mime_type,
        "storage_ref": f"redkey.import_batches/{batch_id}", "row_count": len(parsed.rows), "uploaded_by": uploaded_by,
        "sha256": digest, "byte_size": len(data), "encoding": parsed.encoding})
    await store.imports.save_raw_batch(batch, data)
    manifest = propose_manifest(batch_id=batch.batch_id, headers=parsed.header, created_by=uploaded_by,
                                notes=parsed.notes, sample=[r.values for r in parsed.rows[:50]])
    key = profile_key(parsed.header)
    remembered = await store.import_mappings.recall(key)
    if remembered:
        manifest = apply_remembered(manifest, remembered, by=uploaded_by)
    await store.imports.save_manifest(manifest)
    return StagedImport(batch, parsed, manifest, key)


async def run_import(store: Any, staged: StagedImport, manifest: ImportMappingManifest | None = None, *,
                     progress: Progress | None = None, review_all: bool = False,
                     default_country: str | None = None) -> ImportReport:
    """Normalize under ``manifest`` (default: the proposed one), find dedup candidates and write it all.
    ``review_all`` sends even new records without a candidate to Approvals (no low-risk auto commit).
    ``default_country`` (ISO code or name) reads phone numbers without a country prefix; the user's edits
    to the mapping are remembered for the next file of this shape."""
    manifest = manifest or staged.manifest
    if manifest.batch_id != staged.batch.batch_id:
        raise ValidationFailed("that manifest belongs to another import batch")
    report = ImportReport(staged.batch.batch_id, staged.batch.uploaded_filename, notes=list(manifest.resolver_notes))
    parsed, batch_id = staged.parsed, staged.batch.batch_id
    planner = ProposalPlanner(batch_id=batch_id, created_by=manifest.created_by, review_all=review_all)

    def steps(look_up: LookUp) -> Iterator[ImportStep]:
        """Run in the store's worker thread while it writes the previous step: LOOK_UP_ROWS rows at a
        time (STEP_ROWS the first time) normalized (a large file's in a second process, some windows
        ahead) and their new keys looked up (each look-up reads the CRM's contacts once), then STEP_ROWS
        at a time their row problems recorded and their proposals planned."""
        windows = list(_windows(len(parsed.rows)))
        with closing(normalized_windows(parsed, manifest, (parsed.rows[w] for w in windows),
                                        default_country=default_country)) as normalized_ones:
            for w, normalized in zip(windows, normalized_ones):
                window = parsed.rows[w]
                planner.learn(look_up(*planner.keys_to_look_up(normalized)))
                for at in range(0, len(window), STEP_ROWS):
                    rows = normalized[at:at + STEP_ROWS]
                    yield ImportStep(_records(rows, window[at:at + STEP_ROWS], batch_id, manifest.created_by, report),
                                     list(planner.plan(rows)))

    with paused_gc():  # the rows' payloads and proposals: many small objects without cycles
        counts = await store.imports.write_import(manifest=manifest, proposed_manifest_id=staged.manifest.manifest_id,
                                                  steps=steps, rows=len(parsed.rows), progress=progress)
    report.rows, report.errors = counts["rows"], counts["errors"]
    report.proposals, report.auto_committed, report.queued = counts["proposals"], counts["auto_committed"], counts["queued"]
    report.unchanged, report.linked_companies = len(planner.unchanged), planner.linked_companies
    report.created_contacts, report.created_companies = counts["created_contacts"], counts["created_companies"]
    edits = user_edits(staged.manifest, manifest)
    if edits:
        await store.import_mappings.remember(staged.profile_key, edits, edited_by=manifest.created_by)
        report.notes.append(f"remembered this mapping for the next {staged.manifest.source_profile} file")
    return report

"""Custom fields and custom objects of a Twenty workspace, for the stable views' read-only ``custom`` column.

A Twenty user who defines a field gets a new column on the object's table (composite fields get one
column per property, ``budgetAmountMicros``, ``budgetCurrencyCode``); a custom object gets its own table,
named with a ``_`` prefix. The contract (:mod:`cockpit.fields`) never names them, so each record view
carries them in one ``custom`` jsonb column: every Layer 1 column that is neither read by the contract
nor one of Twenty's standard or bookkeeping columns, keyed by the field's label from Twenty's field
metadata (``core."fieldMetadata"``, ``metadata."fieldMetadata"`` before the 2025 move) when it is
readable, by the column name otherwise.

What goes into ``custom`` is decided per workspace, at generation time, from the workspace's real
columns and labels (:class:`CustomMeta`, part of the generation fingerprint): a new custom column or a
renamed label regenerates the views. The generated SQL also holds ``crm_custom_fields()`` and
``crm_custom_objects()`` per client schema (and a public dispatcher), so readers learn the keys and the
custom objects without touching Layer 1 or the metadata themselves.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cockpit.db.layer1 import WorkspaceShape
    from cockpit.db.views import Workspace

log = logging.getLogger(__name__)

# The Layer 1 table of each record view that carries a ``custom`` column.
CUSTOM_TABLES = {"crm_contacts": "person", "crm_companies": "company", "crm_deals": "opportunity"}

_BOOKKEEPING = {"id", "createdAt", "updatedAt", "deletedAt", "position", "searchVector"}
_ACTOR = ("Source", "WorkspaceMemberId", "Name", "Context")
_LINKS = ("PrimaryLinkUrl", "PrimaryLinkLabel", "SecondaryLinks")
_PHONES = ("PrimaryPhoneNumber", "PrimaryPhoneCountryCode", "PrimaryPhoneCallingCode", "AdditionalPhones")
_ADDRESS = ("Street1", "Street2", "City", "Postcode", "State", "Country", "Lat", "Lng")


def _expand(prefix: str, parts: tuple[str, ...]) -> set[str]:
    return {prefix + p for p in parts}


# Twenty's standard fields (every version the views support): not custom, even where the contract does
# not read them. Used when the field metadata cannot say which fields are custom.
STANDARD: dict[str, set[str]] = {
    "person": {"nameFirstName", "nameLastName", "emailsPrimaryEmail", "emailsAdditionalEmails", "jobTitle",
               "city", "avatarUrl", "avatarFile", "emailTrackingConsent", "companyId", "phone",
               *_expand("linkedinLink", _LINKS), *_expand("xLink", _LINKS), *_expand("phones", _PHONES)},
    "company": {"name", "addressOld", "employees", "idealCustomerProfile", "accountOwnerId",
                "annualRecurringRevenueAmountMicros", "annualRecurringRevenueCurrencyCode",
                *_expand("domainName", _LINKS), *_expand("linkedinLink", _LINKS), *_expand("xLink", _LINKS),
                *_expand("addressAddress", _ADDRESS)},
    "opportunity": {"name", "amountAmountMicros", "amountCurrencyCode", "closeDate", "stage", "probability",
                    "pointOfContactId", "companyId", "ownerId"},
}

# The views whose search functions match custom text fields too.
SEARCHED = ("crm_contacts", "crm_companies")
# Column types whose values a text search can read (text and varchar; enums are not immutable as text).
_SEARCHABLE = re.compile(r"^(text|character varying.*)$")


def is_bookkeeping(column: str) -> bool:
    return column in _BOOKKEEPING or any(column == f"{who}By{part}" for who in ("created", "updated")
                                         for part in _ACTOR)


@dataclass
class CustomMeta:
    """What Twenty's metadata says about one workspace: labels of custom columns per table, the columns
    it knows as standard, and the labels of custom objects (table -> label)."""

    readable: bool = False
    labels: dict[str, dict[str, str]] = field(default_factory=dict)     # table -> column -> label
    standard: dict[str, set[str]] = field(default_factory=dict)         # table -> columns of standard fields
    objects: dict[str, str] = field(default_factory=dict)               # custom table -> label

    def digest_part(self) -> list[Any]:
        return [self.readable, self.labels, {t: sorted(c) for t, c in self.standard.items()}, self.objects]


@dataclass(frozen=True)
class CustomColumn:
    column: str
    key: str      # the label (or the column name when no label is known)
    type: str     # format_type of the column

    @property
    def searchable(self) -> bool:
        return bool(_SEARCHABLE.match(self.type))


def _humanize(prop: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", prop).lower()


def _columns_of_field(name: str, ftype: str, columns: dict[str, str]) -> dict[str, str]:
    """A field's physical columns -> the property each holds ('' for a plain column)."""
    out = {}
    if name in columns:
        out[name] = ""
    for col in columns:
        if col.startswith(name) and len(col) > len(name) and col[len(name)].isupper():
            out.setdefault(col, col[len(name):])
    if ftype in ("RELATION", "MANY_TO_ONE") and name + "Id" in columns:
        out[name + "Id"] = ""
    return out


def custom_columns(view: str, shape: "WorkspaceShape", meta: CustomMeta | None, named: set[str]) -> list[CustomColumn]:
    """The columns of ``view``'s Layer 1 table that go into ``custom``: not ``named`` by the contract,
    not bookkeeping, not a standard field; keyed by label (unique per view), in column order."""
    table = CUSTOM_TABLES[view]
    cols = shape.columns.get(table, {})
    labels = meta.labels.get(table, {}) if meta else {}
    standard = (meta.standard.get(table, set()) if meta and meta.readable else set()) | STANDARD[table]
    out: list[CustomColumn] = []
    used: set[str] = set()
    for col, typ in cols.items():
        if col in named or is_bookkeeping(col) or (col in standard and col not in labels):
            continue
        key = labels.get(col) or col
        if key in used or key == "":
            key = f"{key} ({col})"
        used.add(key)
        out.append(CustomColumn(col, key, typ))
    return out


def custom_objects(shape: "WorkspaceShape", meta: CustomMeta | None) -> list[tuple[str, str]]:
    """(table, label) of the workspace's custom objects: its ``_``-prefixed tables."""
    labels = meta.objects if meta else {}
    return sorted((t, labels.get(t) or t.lstrip("_")) for t in shape.columns if t.startswith("_"))


def custom_expr(view: str, w: "Workspace", named: set[str], alias: str = "p") -> str:
    """The SQL of one workspace's ``custom`` value: a jsonb object of every custom column, blank text as null.

    The columns are read through the whole row (``to_jsonb(p)``), never by name: a view naming a column
    would stop Twenty from dropping it when a user deletes the field (PostgreSQL refuses to drop a column
    a view depends on). A dropped column reads as null until the next regeneration drops its key."""
    from cockpit.db.views import lit

    cols = custom_columns(view, w.shape, w.shape.custom, named)
    if not cols:
        return "'{}'::jsonb"
    keys = ", ".join(f"({lit(c.column)}, {lit(c.key)})" for c in cols)
    return (f"(SELECT jsonb_object_agg(m.key, CASE WHEN j.value = '\"\"'::jsonb THEN 'null'::jsonb"
            f" ELSE coalesce(j.value, 'null'::jsonb) END)"
            f" FROM (VALUES {keys}) m(col, key) LEFT JOIN jsonb_each(to_jsonb({alias})) j ON j.key = m.col)")


def search_text_expr(view: str, w: "Workspace", named: set[str], alias: str | None = "p") -> str | None:
    """The tsvector over the custom text columns (None: there are none); ``alias`` None names the columns
    bare (the index expression, which the planner matches whatever the query's alias)."""
    from cockpit.db.views import q

    cols = [c for c in custom_columns(view, w.shape, w.shape.custom, named) if c.searchable]
    if not cols:
        return None
    body = " || ' ' || ".join(f"coalesce({alias + '.' if alias else ''}{q(c.column)}, '')" for c in cols)
    return f"to_tsvector('simple'::regconfig, {body})"


def search_parts(view: str, w: "Workspace", named: set[str] | None = None) -> tuple[str, str]:
    """For the search functions: the tsvector over the custom text columns (alias ``p``) and the columns it
    reads, as a select-list tail (``, p."col"``); ('', '') when ``view`` searches none."""
    from cockpit.db.views import named_columns, q

    named = named_columns(view) if named is None else named
    expr = search_text_expr(view, w, named) if view in SEARCHED else None
    if not expr:
        return "", ""
    cols = [c.column for c in custom_columns(view, w.shape, w.shape.custom, named) if c.searchable]
    return expr, "".join(f", p.{q(c)}" for c in cols)


def search_retry(needed: bool) -> str:
    """Opens the search function's attempt loop (see :func:`search_retry_end`); '' when no custom text
    field is searched."""
    return "    LOOP BEGIN  -- with the custom fields; without them if Twenty dropped one since\n" if needed else ""


def search_retry_end(plain_probe: str, plain_collect: str, needed: bool) -> str:
    """Closes the attempt loop: a custom text column Twenty dropped since the last generation (a user
    deleted the field) fails the query as undefined_column; the search runs again without the custom
    fields until the next regeneration, instead of failing."""
    from cockpit.db.views import lit

    if not needed:
        return ""
    return f"""    RETURN;
    EXCEPTION WHEN undefined_column THEN
        IF v_probe = {lit(plain_probe)} THEN
            RAISE;
        END IF;
        v_probe := {lit(plain_probe)};
        v_collect := {lit(plain_collect)};
    END; END LOOP;
"""


def refusal(view: str, condition: str) -> str:
    """The trigger lines refusing a write of ``custom`` (``condition``: the write sets it)."""
    return f"""        IF {condition} THEN
            RAISE EXCEPTION '{view}.custom is read-only: custom fields are Twenty''s, edit them in Twenty'
                USING ERRCODE = '428C9', HINT = 'the stable views show custom fields; Twenty writes them';
        END IF;"""


def search_index_sql(view: str, w: "Workspace", named: set[str]) -> list[str]:
    """A RedKey-owned GIN index over the custom text columns (so a search by them stays an index scan),
    named by its expression: a new custom column makes a new index and the old one is dropped."""
    from cockpit.db.views import lit, q

    table = CUSTOM_TABLES[view]
    expr = search_text_expr(view, w, named, alias=None)
    keep = f"redkey_{table}_custom_{hashlib.sha256(expr.encode()).hexdigest()[:10]}_idx" if expr else ""
    out = [f"""DO $do$ DECLARE r record; BEGIN
    FOR r IN SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = {lit(w.schema)} AND c.relkind = 'i'
               AND c.relname LIKE {lit(f"redkey_{table}_custom_%_idx")} AND c.relname <> {lit(keep)} LOOP
        EXECUTE format('DROP INDEX %I.%I', {lit(w.schema)}, r.relname);
    END LOOP;
END $do$"""]
    if expr:
        out.append(f"CREATE INDEX IF NOT EXISTS {q(keep)} ON {q(w.schema)}.{q(table)} USING gin (({expr}))"
                   f' WHERE "deletedAt" IS NULL')
    return out


# ------------------------------------------------------------------------------------------------
# Reading Twenty's metadata

_META_SQL = """
SELECT o."workspaceId"::text, o."nameSingular", o."labelSingular", o."isCustom",
       f.name, f.label, f.type::text, f."isCustom"
FROM {ns}."objectMetadata" o
JOIN {ns}."fieldMetadata" f ON f."objectMetadataId" = o.id
"""


def _schema_of(workspace_id: str) -> str | None:
    from cockpit.db.layer1 import workspace_schema_name

    try:
        return workspace_schema_name(uuid.UUID(workspace_id))
    except (ValueError, TypeError):
        return None


async def read_custom_meta(conn: Any, shapes: dict[str, "WorkspaceShape"]) -> None:
    """Fill each shape's ``custom`` from Twenty's metadata, when a metadata schema is there and readable
    (``core`` first, then the older ``metadata``); otherwise each gets an unreadable :class:`CustomMeta`."""
    for shape in shapes.values():
        shape.custom = CustomMeta()
    for ns in ("core", "metadata"):
        cur = await conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL"
            " AND has_table_privilege(%s, 'SELECT') AND has_table_privilege(%s, 'SELECT')",
            (f'{ns}."objectMetadata"', f'{ns}."fieldMetadata"', f'{ns}."objectMetadata"', f'{ns}."fieldMetadata"'))
        row = await cur.fetchone()
        if not (row and row[0]):
            continue
        try:
            async with conn.transaction():
                cur = await conn.execute(_META_SQL.format(ns=ns))
                rows = await cur.fetchall()
        except Exception as exc:  # a metadata table of another shape: labels are a nicety, column names do
            log.info("Twenty metadata in %s not readable: %s", ns, exc)
            continue
        _apply_meta(rows, shapes)
        return


def _apply_meta(rows: list[tuple[Any, ...]], shapes: dict[str, "WorkspaceShape"]) -> None:
    for workspace_id, obj, obj_label, obj_custom, name, label, ftype, custom in rows:
        schema = _schema_of(workspace_id)
        shape = shapes.get(schema or "")
        if shape is None:
            continue
        meta: CustomMeta = shape.custom  # type: ignore[assignment]
        meta.readable = True
        table = f"_{obj}" if obj_custom else obj
        if obj_custom:
            meta.objects[table] = obj_label or obj
        cols = _columns_of_field(name, ftype or "", shape.columns.get(table, {}))
        for col, prop in cols.items():
            if custom:
                meta.labels.setdefault(table, {})[col] = (f"{label} ({_humanize(prop)})" if prop else label) or col
            else:
                meta.standard.setdefault(table, set()).add(col)


# ------------------------------------------------------------------------------------------------
# Generated functions: which keys ``custom`` holds, which custom objects exist

def functions_sql(ns: str, workspaces: list["Workspace"], named_of: dict[str, set[str]]) -> list[str]:
    """``crm_custom_fields()`` and ``crm_custom_objects()`` in schema ``ns`` (a client's), over its workspaces."""
    from cockpit.db.views import lit, q

    fields = []
    objects = []
    for w in workspaces:
        for view in CUSTOM_TABLES:
            for c in custom_columns(view, w.shape, w.shape.custom, named_of[view]):
                fields.append(f"({lit(view)}, {lit(c.key)}, {lit(w.schema)}, {lit(c.column)}, {lit(c.type)})")
        for table, label in custom_objects(w.shape, w.shape.custom):
            objects.append(f"({lit(w.schema)}, {lit(table)}, {lit(label)})")
    s = q(ns)
    fields_body = ("SELECT * FROM (VALUES " + ", ".join(fields) + ") v(view_name, key, schema_name, column_name, data_type)"
                   if fields else "SELECT NULL::text, NULL::text, NULL::text, NULL::text, NULL::text WHERE false")
    objects_body = ("SELECT v.schema_name, v.table_name, v.label,"
                    " greatest(coalesce((SELECT c.reltuples FROM pg_catalog.pg_class c"
                    " WHERE c.oid = to_regclass(format('%I.%I', v.schema_name, v.table_name))), 0), 0)::bigint"
                    " FROM (VALUES " + ", ".join(objects) + ") v(schema_name, table_name, label)"
                    if objects else "SELECT NULL::text, NULL::text, NULL::text, NULL::bigint WHERE false")
    gate = "redkey.current_client_id() IS NOT NULL"
    return [
        f"""CREATE OR REPLACE FUNCTION {s}.crm_custom_fields()
RETURNS TABLE (view_name text, key text, schema_name text, column_name text, data_type text)
LANGUAGE sql STABLE AS $fn$ SELECT * FROM ({fields_body}) f WHERE {gate} $fn$""",
        f"""CREATE OR REPLACE FUNCTION {s}.crm_custom_objects()
RETURNS TABLE (schema_name text, table_name text, label text, row_estimate bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$ SELECT * FROM ({objects_body}) o WHERE {gate} $fn$""",
        f"REVOKE ALL ON FUNCTION {s}.crm_custom_fields(), {s}.crm_custom_objects() FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {s}.crm_custom_fields(), {s}.crm_custom_objects()"
        " TO redkey_readonly, redkey_operational, redkey_strategic",
    ]


def public_functions_sql() -> list[str]:
    """public's ``crm_custom_fields()`` / ``crm_custom_objects()``: the session's client's own (none unscoped)."""
    from cockpit.db.dispatch import public_reader  # dispatch reads the views, which read this module

    out = []
    for fn, cols in (("crm_custom_fields", "view_name text, key text, schema_name text, column_name text, data_type text"),
                     ("crm_custom_objects", "schema_name text, table_name text, label text, row_estimate bigint")):
        out.append(public_reader(fn, [], f"TABLE ({cols})"))
        out.append(f"REVOKE ALL ON FUNCTION public.{fn}() FROM PUBLIC")
        out.append(f"GRANT EXECUTE ON FUNCTION public.{fn}() TO redkey_readonly, redkey_operational, redkey_strategic")
    return out

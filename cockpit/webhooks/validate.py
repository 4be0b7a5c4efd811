"""Checks on what the intake server (and ``cockpit intake``) receives, before anything reaches the
database: JSON parsed with a bound on nesting, every website-form field, and the shape of a Resend event.
Each check answers with one line naming what is wrong."""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
_EMAIL = re.compile(r"^[^@\s<>(),;:\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,63}$")
FORM_FIELDS: dict[str, int] = {"email": 254, "first_name": 100, "last_name": 100, "company": 200,
                               "job_title": 200, "phone": 40, "city": 100, "message": 5000}
# Form bookkeeping fields: which form, and the form tool's id of this submission (the dedupe key).
FORM_META: dict[str, int] = {"form": 80, "submission_id": 120}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")            # no control character at all (one-line fields)
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # a message may keep tabs and line breaks


class BadJson(ValueError):
    """The body is not JSON we accept; ``str()`` is the one line to show."""


def _depth_ok(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that refuses nesting deeper than ``max_depth`` with a :class:`BadJson` line
    (never a RecursionError) and reports a syntax error by line and column."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise BadJson(f"JSON nested too deeply (at most {max_depth} levels)") from None
    except UnicodeDecodeError:
        raise BadJson("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BadJson(f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not _depth_ok(value, max_depth):
        raise BadJson(f"JSON nested too deeply (at most {max_depth} levels)")
    return value


def _text(name: str, value: Any, limit: int, errors: dict[str, str], *, multiline: bool = False) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors[name] = "must be text"
        return None
    value = value.strip()
    if (_CONTROL_TEXT if multiline else _CONTROL).search(value):
        errors[name] = "contains control characters (such as NUL)"
    elif len(value) > limit:
        errors[name] = f"at most {limit} characters"
    else:
        return value or None
    return None


def validate_form(data: dict[str, Any]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(clean fields, clean bookkeeping fields, errors by field). Unknown fields are ignored (not stored);
    every known one is a short text without control characters."""
    clean: dict[str, str] = {}
    meta: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, limit in FORM_FIELDS.items():
        value = _text(name, data.get(name), limit, errors, multiline=name == "message")
        if value:
            clean[name] = value
    for name, limit in FORM_META.items():
        value = _text(name, data.get(name), limit, errors)
        if value:
            meta[name] = value
    if "email" not in errors:
        email = clean.get("email", "")
        if not email:
            errors["email"] = "required"
        elif not _EMAIL.match(email):
            errors["email"] = "not a valid email address"
    for name in ("first_name", "last_name", "company", "city"):
        if name in clean and re.search(r"[<>]", clean[name]):
            errors[name] = "contains characters that are not allowed"
    return clean, meta, errors


def _bad_text(value: Any, limit: int = 1000) -> bool:
    return value is not None and (not isinstance(value, str) or len(value) > limit or "\x00" in value)


def resend_event_problem(event: Any) -> str | None:
    """Why a (verified) Resend event cannot be applied, or None. The fields the cockpit reads must have
    the types Resend sends: text ids and dates, an address or a list of addresses, an object of data."""
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return "expected an object with a text 'type'"
    if _bad_text(event["type"], 100):
        return "'type' is not a short text"
    if _bad_text(event.get("created_at"), 64):
        return "'created_at' is not a date text"
    data = event.get("data", {})
    if not isinstance(data, dict):
        return "'data' is not an object"
    for name in ("email_id", "created_at"):
        if _bad_text(data.get(name), 200):
            return f"'data.{name}' is not a text"
    for name in ("from", "subject"):
        if _bad_text(data.get(name), 2000):
            return f"'data.{name}' is not a text"
    to = data.get("to")
    if to is not None and not (isinstance(to, list) and len(to) <= 500 and not any(_bad_text(a, 1000) for a in to)):
        return "'data.to' is not a list of addresses"
    for name in ("tags", "headers"):
        if data.get(name) is not None and not isinstance(data[name], (dict, list)):
            return f"'data.{name}' is not an object or a list"
    for name in ("bounce", "click"):
        if data.get(name) is not None and not isinstance(data[name], dict):
            return f"'data.{name}' is not an object"
    where = nul_path(event)
    return f"'{where}' contains a NUL character" if where else None


def nul_path(value: Any, path: str = "") -> str | None:
    """Where the first text (or key) with a NUL character is (PostgreSQL stores no NUL in text or
    jsonb), or None."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where or "(body)"
        elif isinstance(item, dict):
            for k, v in item.items():
                key = f"{where}.{k}" if where else str(k)
                if "\x00" in str(k):
                    return key
                stack.append((v, key))
        elif isinstance(item, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(item))
    return None

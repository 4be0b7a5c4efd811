"""Privileges on the stable views, generated from the field registry (:mod:`cockpit.fields`)."""

from __future__ import annotations

from cockpit.db.views import CONTRACT, q
from cockpit.db.writes import _ROLES, SEARCHES
from cockpit.fields import VIEWS, WRITE_ROLES, insertable_by, updatable_by



def grants_sql(ns: str = "public") -> list[str]:
    """Privileges on the stable views of ``ns``, from the field registry: SELECT to every role; column-level
    UPDATE and INSERT to the role that owns each column; DELETE to the view's deleter. Everything the
    roles held before is revoked first, so a field that changes owner loses its old grant."""
    s = q(ns)
    views = ", ".join(f"{s}.{v}" for v in CONTRACT)
    out = [f"REVOKE ALL ON {views} FROM PUBLIC",
           f"REVOKE ALL ON {views} FROM {_ROLES}",
           f"GRANT SELECT ON {views} TO {_ROLES}"]
    for view, meta in VIEWS.items():
        for role in WRITE_ROLES:
            cols = insertable_by(role, view)
            if cols:
                out.append(f"GRANT INSERT ({', '.join(cols)}) ON {s}.{view} TO redkey_{role}")
            cols = updatable_by(role, view)
            if cols:
                out.append(f"GRANT UPDATE ({', '.join(cols)}) ON {s}.{view} TO redkey_{role}")
        if meta.deleter:
            out.append(f"GRANT DELETE ON {s}.{view} TO redkey_{meta.deleter}")
    out.append(f"REVOKE ALL ON FUNCTION {s}.crm_move_deal(uuid, text) FROM PUBLIC")
    out.append(f"GRANT EXECUTE ON FUNCTION {s}.crm_move_deal(uuid, text) TO redkey_strategic")
    for fn in SEARCHES.values():
        out.append(f"REVOKE ALL ON FUNCTION {s}.{fn}(text, integer, text, uuid) FROM PUBLIC")
        out.append(f"GRANT EXECUTE ON FUNCTION {s}.{fn}(text, integer, text, uuid) TO {_ROLES}")
    return out

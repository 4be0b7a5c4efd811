"""A contact's phone as Twenty stores it: the view's one ``phone`` value ("+33 6 12 34 56 78") is written
into Twenty's calling code ("+33"), number ("6 12 34 56 78") and country ("FR") columns, so a new phone
never keeps the calling code of the number it replaces (the view reads calling code and number together).

The calling codes come from phonenumbers' metadata (they are prefix-free, so the first of a value's 1-,
2- and 3-digit prefixes that is a code is its code). A code shared by several countries (+1, +44, +7, ...) leaves the
country blank rather than guess it; a value without a "+" is a number with no calling code.
"""

from __future__ import annotations

import json

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

from cockpit.db.layer1 import WorkspaceShape
from cockpit.db.views import lit

# calling code -> its country when only one country has it, else "" (+1, +44, +7, ... and non-geographic codes)
_COUNTRY_OF = {str(cc): (regions[0] if len(regions) == 1 and regions[0] != "001" else "")
               for cc, regions in COUNTRY_CODE_TO_REGION_CODE.items()}
_MAP = f"{lit(json.dumps(_COUNTRY_OF, sort_keys=True))}::jsonb"
# the value's calling code (digits), NULL without one: codes are 1 to 3 digits and prefix-free, so the first
# of the value's 1-, 2- and 3-digit prefixes that is a code is its code
_V = "btrim(p_phone)"
_CODE = " ".join([f"CASE WHEN {_V} !~ '^[+][0-9]' THEN NULL"]
                 + [f"WHEN {_MAP} ? substr({_V}, 2, {n}) THEN substr({_V}, 2, {n})" for n in (1, 2, 3)] + ["END"])

PHONE_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION redkey.phone_code(p_phone text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT {_CODE} $$;
CREATE OR REPLACE FUNCTION redkey.phone_calling_code(p_phone text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce('+' || redkey.phone_code(p_phone), '') $$;
CREATE OR REPLACE FUNCTION redkey.phone_number(p_phone text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN redkey.phone_code(p_phone) IS NULL THEN coalesce(btrim(p_phone), '')
                ELSE ltrim(substr(btrim(p_phone), length(redkey.phone_code(p_phone)) + 2), ' -.') END $$;
CREATE OR REPLACE FUNCTION redkey.phone_country(p_phone text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce({_MAP} ->> redkey.phone_code(p_phone), '') $$;
"""

# Layer 1 phone columns of a person, with the part of the view's phone each holds.
PHONE_PARTS = (("phonesPrimaryPhoneNumber", "redkey.phone_number"),
               ("phonesPrimaryPhoneCallingCode", "redkey.phone_calling_code"),
               ("phonesPrimaryPhoneCountryCode", "redkey.phone_country"))


def with_phone_parts(view: str, shape: WorkspaceShape, assignments: dict[str, tuple[str, str]]
                     ) -> list[tuple[str, str, str]]:
    """(view column, Layer 1 column, SQL from NEW) for each Layer 1 column a write sets, from the
    trigger's assignments: a contact's phone sets Twenty's calling code and country with the number."""
    out = []
    for col, (l1, expr) in assignments.items():
        if (view, col) == ("crm_contacts", "phone") and shape.pick("person", PHONE_PARTS[1][0]):
            out.extend((col, part, f"{fn}(NEW.phone)") for part, fn in PHONE_PARTS if shape.pick("person", part))
        else:
            out.append((col, l1, expr))
    return out

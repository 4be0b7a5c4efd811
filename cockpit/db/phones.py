"""A contact's phone as Twenty stores it: the view's one ``phone`` value ("+33 6 12 34 56 78") is written
into Twenty's calling code ("+33"), number ("6 12 34 56 78") and country ("FR") columns, so a new phone
never keeps the calling code of the number it replaces (the view reads calling code and number together).

The calling codes come from phonenumbers' metadata (they are prefix-free, so one regular expression
finds the code of any "+..." value). A code shared by several countries (+1, +44, +7, ...) leaves the
country blank rather than guess it; a value without a "+" is a number with no calling code.
"""

from __future__ import annotations

import json

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

from cockpit.db.views import lit

_CODES = "|".join(sorted((str(cc) for cc in COUNTRY_CODE_TO_REGION_CODE), key=lambda c: (-len(c), c)))
_COUNTRY = {str(cc): regions[0] for cc, regions in COUNTRY_CODE_TO_REGION_CODE.items()
            if len(regions) == 1 and regions[0] != "001"}
_CODE_OF = f"substring(btrim(p_phone) from {lit('^[+](' + _CODES + ')')})"

PHONE_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION redkey.phone_calling_code(p_phone text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce('+' || {_CODE_OF}, '') $$;
CREATE OR REPLACE FUNCTION redkey.phone_number(p_phone text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN {_CODE_OF} IS NULL THEN coalesce(btrim(p_phone), '')
                ELSE ltrim(substr(btrim(p_phone), length({_CODE_OF}) + 2), ' -.') END $$;
CREATE OR REPLACE FUNCTION redkey.phone_country(p_phone text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce({lit(json.dumps(_COUNTRY, sort_keys=True))}::jsonb ->> {_CODE_OF}, '') $$;
"""

# Layer 1 phone columns of a person, with the part of the view's phone each holds.
PHONE_PARTS = (("phonesPrimaryPhoneNumber", "redkey.phone_number"),
               ("phonesPrimaryPhoneCallingCode", "redkey.phone_calling_code"),
               ("phonesPrimaryPhoneCountryCode", "redkey.phone_country"))

"""Finding records by the words of their names, with an index: what arlo's instruction reader uses to
collect the records a sentence may mention.

A name is *folded* (lower case, common accents removed, as the parser folds the sentence) and cut into
its words, the runs of ``[a-z0-9]``. RedKey keeps a GIN index of those words on each workspace's name
columns (``redkey_*_words_idx``, created IF NOT EXISTS), so "the records with a word starting ``haw`` or
``vol``" is an index lookup, not a scan of every name (7 s at 1M contacts). The word-start regex the
reader also applies is exact; the index only narrows: every name whose folded text has a word starting
with one of the prefixes has a word of the index starting with it (a word boundary of the regex is a
non-``[a-z0-9]`` character, where the index splits too).
"""

from __future__ import annotations

from cockpit.db.views import q

_FOLDS = {"a": "áàâäãåā", "e": "éèêëē", "i": "íìîïī", "o": "óòôöõøō", "u": "úùûüū", "n": "ñ", "c": "çčć", "y": "ýÿ",
          "s": "šß", "z": "ž", "l": "ł"}
_ACCENTED = "".join(_FOLDS.values())
_PLAIN = "".join(k * len(v) for k, v in _FOLDS.items())

# The name columns (view, column) searched by words, and the Layer 1 table behind each view.
WORD_COLUMNS = {"crm_contacts": ("first_name", "last_name"), "crm_companies": ("name",), "crm_deals": ("name",)}


def folded(expr: str) -> str:
    """SQL: ``expr`` lower-cased without accents (as the parser folds the sentence)."""
    return f"translate(lower(coalesce({expr}, '')), '{_ACCENTED}', '{_PLAIN}')"


def word_vector(expr: str) -> str:
    """SQL: the tsvector of the words of ``expr`` folded (the indexed expression)."""
    return f"to_tsvector('simple'::regconfig, regexp_replace({folded(expr)}, '[^a-z0-9]+', ' ', 'g'))"


def prefix_query(prefixes: list[str]) -> str | None:
    """The tsquery text matching a word starting with any of ``prefixes`` (``[a-z0-9]+`` each)."""
    return " | ".join(f"{p}:*" for p in prefixes) or None


def word_index_sql(view: str, table: str, schema: str, exprs: dict[str, str]) -> list[str]:
    """CREATE INDEX statements over one workspace's table: one per name column of ``view``. ``exprs`` are
    the view's read expressions for that workspace (over alias ``p``): the index must be on exactly the
    expression the view's column inlines to, or the planner cannot use it."""
    out = []
    for col in WORD_COLUMNS[view]:
        expr = exprs[col].replace('p."', '"')
        out.append(f"CREATE INDEX IF NOT EXISTS {q(f'redkey_{table}_{col}_words_idx')} ON {q(schema)}.{q(table)} "
                   f"USING gin (({word_vector(expr)})) WHERE \"deletedAt\" IS NULL")
    return out

"""Extract next steps from meeting notes and transcripts (deterministic, no LLM needed).

Recognised: a line ``Next steps:`` / ``Action items:`` / ``Follow-ups:`` followed by bullets; inline
``Next step: ...``, ``Action item: ...``, ``TODO: ...``, ``Follow up: ...``; and checkboxes ``- [ ] ...``.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*#*\s*(next steps?|action items?|follow[- ]?ups?|to ?dos?)\s*:?\s*$", re.I)
_INLINE = re.compile(r"(?:^\s*[-*•]?\s*|[.;!?]\s+)(next steps?|action items?|todo|to do|follow[- ]?up)\s*:\s*(.+)$",
                     re.I)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(?:\[ \]\s*)?(.+)$")
_CHECKBOX = re.compile(r"^\s*[-*]\s*\[ \]\s*(.+)$")


def extract_next_steps(*texts: str | None) -> list[str]:
    steps: list[str] = []
    for text in texts:
        in_section = False
        for line in (text or "").splitlines():
            if _HEADER.match(line):
                in_section = True
                continue
            m = _INLINE.search(line)
            if m:
                steps.append(m.group(2))
                continue
            if in_section:
                b = _BULLET.match(line)
                if b:
                    steps.append(b.group(1))
                    continue
                if line.strip():
                    in_section = False
                continue
            c = _CHECKBOX.match(line)
            if c:
                steps.append(c.group(1))
    seen: dict[str, str] = {}
    for s in steps:
        s = s.strip().rstrip(".")
        if s and s.lower() not in seen:
            seen[s.lower()] = s
    return list(seen.values())

"""The words Justin uses for each kind of change: the rule-based parser's vocabulary of intents.

Intents are found by these words wherever they sit in a clause, not by whole-sentence shapes. Typos are
forgiven on the key words ("prority", "proposl") by fuzzy matching single words; stage names are matched on
the client's own labels and on the synonyms per stage kind below, never on the nearest other stage.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

# --- stages --------------------------------------------------------------------------------------
# Stage kind -> the words that name it. A client's stage belongs to the kind its label (or id) names.
STAGE_KINDS: dict[str, tuple[str, ...]] = {
    "won": ("closed won", "closed-won", "close won", "won", "signed", "booked", "customer", "win",
            "closed deal", "done deal"),
    "lost": ("closed lost", "closed-lost", "close lost", "lost", "dead", "killed", "churned", "no deal",
             "passed", "declined", "disqualified", "lose", "loss", "rejected"),
    "onboarding": ("onboarding", "onboard", "onboarded", "kickoff", "implementation", "live", "go live"),
    "negotiation": ("negotiation", "negotiating", "negotiate", "negotiations", "contract", "contracting",
                    "legal", "redlines", "terms", "procurement"),
    "proposal": ("proposal", "proposals", "quote", "quoted", "pricing", "proposed", "offer"),
    "demo": ("demo", "demoed", "demos", "evaluation", "trial", "poc"),
    "qualify": ("qualify", "qualified", "qualification", "qualifying", "discovery", "screening"),
    "prospect": ("prospect", "prospecting", "lead", "new", "cold"),
    "meeting": ("meeting", "meetings", "call booked"),
    "stalled": ("stalled", "on hold", "paused", "stuck", "parked"),
}
# A closed stage of a kind decides is_closed agreement: a "won" reading never lands in a lost stage.
STATE_WORDS = ("stalled", "stuck", "paused", "on hold", "gone cold", "went cold", "going cold", "at risk",
               "slipping", "delayed", "blocked", "frozen", "parked")

# --- intent cue phrases (regexes on lower-case text with records and dates masked) -----------------
MOVE_VERBS = r"(?:move|moved|moving|put|push|pushed|advance|advanced|bump|bumped|drop|dropped|shift|set|send|take|progress)"
MOVE = re.compile(
    r"(?:\b" + MOVE_VERBS + r"\b(?P<obj>[^→>]*?)\b(?:to|into|in|->|→)\s+(?:the\s+)?(?P<stage>.+)$"
    r"|(?:->|→|=>)\s*(?P<stage2>.+)$"
    r"|\b(?:is|are|'s|now|went|got|goes|has gone|moved)\s+(?:now\s+)?(?:in|into|to)\s+(?:the\s+)?(?P<stage3>.+?)(?:\s+(?:now|stage|already|finally|again))*$"
    r"|\b(?:in|to)\s+(?P<stage4>[a-z][a-z -]*?)\s+(?:now|stage)$"
    r"|^\s*(?:⟦m\d+⟧\s+)?to\s+(?P<stage5>[a-z][a-z -]*)$)", re.I)
# Verbs and adjectives that are moves to a stage kind: "we signed X", "X is dead", "lost Acme".
KIND_VERBS = [   # lost first: "closed lost" is no win
    ("lost", re.compile(r"\b(?:lost|dead|killed|is dead|died|churned|walked away|fell through|closed[- ]lost|"
                        r"no[- ]go|passed on us|declined|kill|lose)\b")),
    ("won", re.compile(r"\b(?:signed|sign(?:ed)? off|(?<!to )(?<!into )closed(?![- ]?lost)|won|inked|booked|landed|"
                       r"bagged|closed[- ]won|is a go|went through|converted)\b")),
]
PRIORITY = re.compile(
    r"\b(?:pri?o?ri?t[iy]?[ye]?|priorit[iy]|prio)\s*(?:to|=|:|->|of|at|is|as)?\s*(?P<after>high|low|medium|normal|top)\b"
    r"|\b(?:(?P<level>high|top|hi|low|lo|medium|med|normal|mid|highest|lowest|urgent)[- ]?)?"
    r"(?P<word>pri?o?ri?t[iy]?[ye]?|priorit[iy]|prioity|priorty|prority|priroity|proirity|prio|pri)\b"
    r"|\b(?P<depri>de-?prioriti[sz]e|deprio|de-?prioritised|deprioritized|not a priority|no longer a priority|"
    r"lower (?:the )?priority|less of a priority|back ?burner)\b"
    r"|\b(?P<champion>(?:is|'s|as)\s+(?:our|the|a)\s+(?:main\s+|key\s+|real\s+|big\s+)?champion)\b"
    r"|\b(?P<top>top of (?:the|my) list|key account|must[- ]win)\b"
    r"|\b(?P<prioritize>prioriti[sz]e|prioritise|priortize|priorotize)\b")
PRIORITY_LEVEL = {"high": "high", "top": "high", "hi": "high", "highest": "high", "urgent": "high",
                  "low": "low", "lo": "low", "lowest": "low", "medium": "medium", "med": "medium",
                  "normal": "medium", "mid": "medium", None: "high"}
RECONTACT = re.compile(
    r"\b(?:re-?contact|reconnect(?: with)?|circle back(?: (?:with|to|on))?|ping|follow[ -]?up(?: (?:with|on))?|f/u|"
    r"revisit|remind me(?: to (?:ping|call|email|chase|contact|follow up with|check in with|reach out to))?(?: about)?|"
    r"check in(?: with| on)?|check back(?: with| on)?|touch base(?: with)?|reach out(?: to)?|chase|call back|"
    r"get back to|come back to|nudge|recontcat|reconatct|folow up(?: with)?|follwo up(?: with)?|"
    r"pick (?:it|this|them) up again|look again)\b")
NOTE_MARKER = re.compile(r"^\s*(?:note to self|n\.?b\.?|note|notes|fyi|context|btw|remember|memo|add (?:a )?note)\s*[:—–-]?\s*",
                         re.I)
# A note for the record's Notes (Twenty's note, not the strategy note): "note on Acme: call went well".
NOTE_ON = re.compile(
    r"^\s*(?:please\s+)?(?:(?:add|log|put|write|make|leave|take)\s+)?(?:a\s+)?(?:quick\s+)?note\s+(?:on|for|to|about|re|under)\s+"
    r"(?P<on>(?:the\s+)?⟦m\d+⟧(?:\s+(?:deal|pilot|company|account|opportunity))?(?:\s+(?:at|from|of|@)\s+⟦m\d+⟧)?)"
    r"\s*(?::|[—–]|\s-\s|,)\s*(?P<body>.+)$", re.I)
NOTE_ON_UNKNOWN = re.compile(
    r"^\s*(?:please\s+)?(?:(?:add|log|put|write|make|leave|take)\s+)?(?:a\s+)?(?:quick\s+)?note\s+(?:on|for|to|about|re|under)\s+"
    r"(?!(?:self|myself|me|us)\b)(?:the\s+)?(?P<name>[^:⟦⟧—–]{2,60}?)\s*(?::|[—–]|\s-\s)\s*(?P<body>.+)$", re.I)
# A task ("remind me to send the contract to Sarah on Friday"); a reminder to contact someone is a
# recontact date instead ("remind me to ping Dan next Tuesday").
TASK = re.compile(r"^\s*(?:please\s+)?(?:(?P<remind>remind me to)|create a task to|add a task to|make a task to|"
                  r"new task\s*:?|add task\s*:?|task\s*:|to-?do\s*:)\s*(?P<body>.+)$", re.I)
CONTACT_VERBS = re.compile(r"^(?:ping|call|phone|ring|email|e-mail|mail|chase|contact|follow[ -]?up|folow up|"
                           r"check in|check back|reach out|re-?contact|circle back|touch base|nudge|reconnect|"
                           r"get back to|talk to|speak (?:to|with))\b", re.I)
# Deal terms
AMOUNT = re.compile(
    r"(?<![\w.])(?P<neg>(?:not|was|from|instead of|vs\.?|down from|up from)\s+)?"
    r"(?P<cur>[$€£]|usd\s*|eur\s*|gbp\s*)?(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*"
    r"(?P<mult>k|m|mm|grand|thousand|million)?(?P<cur2>\s*(?:usd|eur|gbp|dollars|euros|pounds))?(?![\w/-])", re.I)
AMOUNT_CUE = re.compile(r"\b(?:worth|amount|value|valued at|deal size|acv|arr|size|price|priced at|budget|"
                        r"for|at|to|now|revised to|up to|down to|bump(?:ed)? (?:it )?to|raise(?:d)? to|cut to)\b")
CLOSE_DATE = re.compile(r"\b(?:close date|closing date|expected close|exp\.? close|closes|closing|close|"
                        r"to close|should close|will close|close by|signature|sign by|target close)\b")
# Operational fields Justin might name: words -> the field (the registry says why it can't be set).
OPERATIONAL_WORDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:open count|opens|open rate|opened)\b"), "open_count"),
    (re.compile(r"\blast activity\b|\blast touch(?:ed)?\b|\blast contact(?:ed)?\b"), "last_activity_at"),
    (re.compile(r"\benrich(?:ed|ment)?(?: date| at)?\b"), "enriched_at"),
    (re.compile(r"\b(?:email )?thread count\b|\bemail threads\b"), "email_thread_count"),
    (re.compile(r"\blinked ?in(?: url)?\b"), "linkedin_url"),
    (re.compile(r"\bcompany size\b|\bheadcount\b"), "company_size"),
    (re.compile(r"\bindustry\b"), "industry"),
    (re.compile(r"\bsequence step\b|\bsequence\b"), "sequence_step"),
]
# Intent words that are also first or last names ("Mark", "Chase"): at the start of a clause they are verbs.
INTENT_WORDS = {"mark", "move", "put", "push", "set", "flag", "make", "ping", "chase", "note", "close", "follow",
                "bump", "drop", "advance", "revisit", "remind", "nudge", "call", "reach", "check", "touch",
                "deprioritize", "prioritize", "sign", "signed", "won", "lost", "kill", "will", "may", "can",
                "rename", "update", "change", "add", "log", "book", "send", "take"}
FILLER = {"the", "a", "an", "please", "pls", "plz", "thx", "thanks", "now", "also", "too", "then", "and", "so",
          "ok", "okay", "just", "asap", "today", "again", "as", "to", "for", "on", "at", "of", "it", "its", "is",
          "we", "i", "us", "our", "my", "me", "this", "that", "be", "been", "was", "deal", "guys", "mark", "make",
          "set", "flag", "btw", "yes", "yeah", "good", "great", "let's", "lets", "let", "hey", "arlo", "can", "you",
          "could", "would", "should", "will", "s", "'s", "with", "in", "officially", "finally", "already",
          "actually", "really", "done", "stage", "them", "him", "her", "they", "he", "she", "pipeline"}


def lexicon_words() -> set[str]:
    """Every word the lexicon gives a meaning: such a word in a sentence is never a typo of a name."""
    words = set(INTENT_WORDS) | set(FILLER)
    for names in STAGE_KINDS.values():
        for n in names:
            words.update(n.split())
    for st in STATE_WORDS:
        words.update(st.split())
    words.update(["closed", "moved", "moving", "signed", "priority", "prio", "recontact", "followup", "note",
                  "notes", "worth", "amount", "value", "closing", "closes", "week", "weeks", "month", "months",
                  "next", "after", "before", "until", "stage", "stalled", "champion", "tomorrow", "today",
                  "ping", "circle", "back", "remind", "revisit", "reconnect", "follow", "touch", "base", "high",
                  "low", "medium", "top", "deal", "deals", "pilot", "opportunity", "account", "company"])
    return words


def stage_kind_of(words: str) -> str | None:
    """The stage kind ``words`` name ("closed lost" -> lost, "signed" -> won, "proposl" -> proposal)."""
    w = " ".join(re.sub(r"[^a-z0-9 -]", " ", words.lower()).split())
    w = re.sub(r"^(?:the|a)\s+|\s+(?:stage|column|phase|now)$", "", w)
    for kind, names in STAGE_KINDS.items():
        if w in names:
            return kind
    best, best_score = None, 0.0
    for kind, names in STAGE_KINDS.items():
        for n in names:
            if len(w) >= 5 and len(n) >= 5 and abs(len(w) - len(n)) <= 2:
                s = fuzz.ratio(w, n)
                if s > best_score:
                    best, best_score = kind, s
    return best if best_score >= 84 else None

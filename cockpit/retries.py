"""Retries with backoff for the HTTP services the core calls (Resend, enrichment, the LLM), on tenacity.

A caller writes one attempt. When an answer is worth another try it raises :class:`Retry`, with the
wait the server asked for when it gave one; anything else it raises ends the retries at once.
:func:`retrying` runs the attempt until it returns, raises something other than :class:`Retry`, or the
attempts run out (then :class:`RetriesExhausted`, carrying the last reason). Each caller keeps its own
rules for what is retryable; the waiting is the same everywhere:

- the server's wait when it gave one (``retry-after`` as delta seconds or an HTTP date, or a
  rate-limit reset, see :func:`header_seconds`), else exponential backoff ``backoff * 2**(n-1)``;
- every wait capped at ``max_wait``.
"""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

T = TypeVar("T")

# A number above this is an epoch timestamp (some rate-limit reset headers), not a delay in seconds.
_EPOCH_FLOOR = 1_000_000_000


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int           # in all, the first try included
    backoff: float = 1.0    # the first backoff wait in seconds; doubles on each retry
    max_wait: float = 60.0  # no wait is longer than this, whatever the server asks


class Retry(Exception):
    """Raised by an attempt whose failure is worth another try: ``wait`` is what the server asked for,
    ``response`` the answer itself, for a caller that reports it once the attempts run out."""

    def __init__(self, reason: str, wait: float | None = None, *, rate_limited: bool = False,
                 response: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.rate_limited = rate_limited
        self.response = response


class RetriesExhausted(Exception):
    """Every attempt ended in :class:`Retry`; ``last`` is the final one."""

    def __init__(self, last: Retry, attempts: int) -> None:
        super().__init__(f"{last.reason} (after {attempts} attempts)")
        self.last = last
        self.attempts = attempts


def header_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """A ``retry-after`` or rate-limit reset header as seconds from now, or None when absent or unreadable.

    Accepts delta seconds (``"2"``, ``"0.5"``), an epoch timestamp (``"1767225600"``) and an HTTP date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``); a moment already past is 0."""
    if not value or not value.strip():
        return None
    now = now or datetime.now(timezone.utc)
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        if number != number or number in (float("inf"), float("-inf")):  # NaN / inf: unreadable
            return None
        if number > _EPOCH_FLOOR:
            return max(0.0, number - now.timestamp())
        return max(0.0, number)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" and zone-less dates are UTC by RFC 9110
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


async def retrying(attempt: Callable[[], Awaitable[T]], policy: RetryPolicy, *,
                   sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                   on_wait: Callable[[float, Retry], None] | None = None) -> T:
    """Run ``attempt`` until it returns; wait between tries as the module docstring says.

    ``sleep`` is injectable (tests record waits instead of sleeping); ``on_wait(seconds, retry)`` is told
    of every wait before it is slept, for the caller's counters."""

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        backoff = policy.backoff * 2 ** (state.attempt_number - 1)
        asked = exc.wait if isinstance(exc, Retry) else None
        return min(max(asked if asked is not None else backoff, 0.0), policy.max_wait)

    async def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if on_wait is not None and isinstance(exc, Retry) and state.next_action is not None:
            on_wait(state.next_action.sleep, exc)

    async def nap(seconds: float) -> None:
        if seconds > 0:
            await sleep(seconds)

    retrier = AsyncRetrying(stop=stop_after_attempt(max(1, policy.attempts)), wait=wait,
                            retry=retry_if_exception_type(Retry), sleep=nap, before_sleep=before_sleep,
                            reraise=True)
    try:
        async for try_ in retrier:  # ends after a try that returned; reraises the last Retry when out of tries
            with try_:
                result = await attempt()
    except Retry as last:
        raise RetriesExhausted(last, max(1, policy.attempts)) from last
    return result

"""What happens to a subject's items when a purpose ends, and until when kept copies live (R-RET-1, R-RET-2).

The flow: an end-of-purpose event (회원탈퇴, 동의 철회, a complaint answered ...) at time ``at`` ->
:func:`on_purpose_end` reads the policy's retention table -> a :class:`Disposition`: the items destroyed at once,
and one :class:`Keep` per retention rule that still requires some items, each a separate-storage bucket (its key is
the rule key) with its own expiry and the only purpose it may then serve. The sweep destroys a bucket when
:func:`is_due` says so; a legal hold (:class:`LegalHold`) defers that until it is released.

Rules of two kinds start on an event that may never come: ``dispute_resolution`` (kept only while a dispute is
open) and ``consent_period_end`` (kept only with the subject's separate consent). They keep items only when the
caller says the condition holds for this subject; their expiry is unknown (``None``) until the event happens.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from jikimi.policy.model import ClockStart, Policy, RetentionRule
from jikimi.policy.statutes import statutes
from jikimi.retention.periods import add_period

__all__ = ["CONDITIONAL", "Disposition", "Keep", "LegalHold", "is_due", "on_purpose_end", "rule_items", "rule_period"]

CONDITIONAL = frozenset({ClockStart.DISPUTE_RESOLUTION, ClockStart.CONSENT_PERIOD_END})


@dataclass(frozen=True, slots=True)
class Keep:
    """Items kept after the purpose ended, in the separate-storage bucket ``rule`` (R-RET-2)."""

    rule: str
    items: frozenset[str]
    expires_at: datetime | None  # None: until an event that has not happened yet, or permanent (flagged by lint)
    use: str | None  # the only purpose the kept items may serve; None: no use, only keeping
    separate_storage: bool


@dataclass(frozen=True, slots=True)
class Disposition:
    """The outcome of an end-of-purpose event for one subject."""

    destroy: frozenset[str]
    keep: tuple[Keep, ...] = field(default=())

    @property
    def kept_items(self) -> frozenset[str]:
        return frozenset().union(*(k.items for k in self.keep)) if self.keep else frozenset()


@dataclass(frozen=True, slots=True)
class LegalHold:
    """A dispute or investigation holding a subject's data past expiry until released ("분쟁 해결 시까지")."""

    subject: str
    reason: str
    placed_at: datetime
    released_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.placed_at <= now and (self.released_at is None or now < self.released_at)


def rule_period(rule: RetentionRule) -> str | None:
    """The rule's period, or its statute's from the catalogue when the rule omits it."""
    if rule.period is not None:
        return rule.period
    entry = statutes().get(rule.basis.statute or "")
    return entry.period if entry else None


def rule_items(policy: Policy, rule: RetentionRule) -> frozenset[str]:
    """The items a rule keeps: its own and those of its record kinds."""
    items = set(rule.items)
    for kind in rule.record_kinds:
        items |= set(policy.record_kinds[kind].items)
    return frozenset(items)


def _expiry(rule: RetentionRule, starts_at: datetime | None) -> datetime | None:
    period = rule_period(rule)
    if starts_at is None or period is None:
        return None
    return add_period(starts_at, period)


def on_purpose_end(
    policy: Policy,
    held: Collection[str],
    event: ClockStart,
    at: datetime,
    *,
    clocks: Mapping[ClockStart, datetime] | None = None,
    conditions: Iterable[ClockStart] = (),
    exclude: Collection[ClockStart] = (),
) -> Disposition:
    """What becomes of the ``held`` items of a subject whose purpose ends by ``event`` at ``at``.

    ``held`` are the items whose purposes have ended (on 회원탈퇴: all of them; on withdrawing one consent: the
    items only that purpose used). ``clocks`` gives the times of the subject's other clock events (collection,
    last transaction ...); a rule whose clock start is unknown keeps its items with an unknown expiry.
    ``conditions`` names the conditional clocks (:data:`CONDITIONAL`) that hold for this subject. Rules whose clock
    starts on an event in ``exclude`` are left out (the caller keeps such data another way: operational records,
    whose clock is their own date, are kept per record). An item no rule keeps is destroyed at once (R-RET-1).
    """
    times: dict[ClockStart, datetime] = dict(clocks or {})
    times[event] = at
    active_conditions = set(conditions)
    keeps: list[Keep] = []
    for rule in policy.retention:
        if (rule.starts in CONDITIONAL and rule.starts not in active_conditions) or rule.starts in exclude:
            continue
        items = rule_items(policy, rule) & set(held)
        if not items:
            continue
        expires = _expiry(rule, times.get(rule.starts))
        if expires is not None and expires <= at:
            continue  # a live-data rule ("회원 탈퇴 시까지", 0d) or a period already over
        keeps.append(Keep(rule.key, items, expires, rule.use, rule.separate_storage))
    kept = frozenset().union(*(k.items for k in keeps)) if keeps else frozenset()
    return Disposition(frozenset(held) - kept, tuple(keeps))


def is_due(keep: Keep, now: datetime, holds: Iterable[LegalHold] = ()) -> bool:
    """Whether the sweep destroys ``keep`` at ``now``: expired, and no active legal hold on the subject."""
    if keep.expires_at is None or now < keep.expires_at:
        return False
    return not any(hold.active(now) for hold in holds)

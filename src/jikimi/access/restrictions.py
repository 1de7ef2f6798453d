"""Suspensions of processing (처리정지, R-DSR-6) and items held back pending a correction (R-DSR-5).

Whether a subject's request is granted is the rights service's decision (R-DSR-6 lists when a suspension may be
refused); once it is, that service calls :class:`Restrictions`. From the commit on, the gate refuses every read of
the suspended purpose (naming R-DSR-6) or of a held item (R-DSR-5) for that subject, and records the refusal, until
the restriction is lifted. Each placing and each lifting is one transaction and stores who did it and when; lifted
restrictions stay as the history of the request. Placing what is already in force returns it unchanged.

Outcomes: the :class:`~jikimi.access.model.Restriction` placed or lifted; :class:`UnknownSubjectError` for a
subject the engine does not know, :class:`UnknownItemError` for an item the policy does not declare,
:class:`AccessError` for an undeclared purpose, a missing actor, an over-long reason, or lifting what is not in force.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from jikimi.access.model import Restriction, RestrictionKind
from jikimi.access.ports import AccessStore, FactsSource
from jikimi.clock import Clock
from jikimi.errors import AccessError, UnknownItemError, UnknownSubjectError
from jikimi.policy.model import Policy

__all__ = ["MAX_ACTOR", "MAX_REASON", "Restrictions"]

MAX_REASON = 500  # characters, as the columns keep
MAX_ACTOR = 64


class Restrictions:
    """Place and lift suspensions and correction holds. Collaborators are passed in: ``facts`` says which subjects
    exist (the gate's own source), ``clock`` when things happen."""

    def __init__(self, policy: Policy, store: AccessStore, facts: FactsSource, clock: Clock) -> None:
        self._policy = policy
        self._store = store
        self._facts = facts
        self._clock = clock

    def suspend(self, subject: str, purpose: str, actor: str, *, reason: str | None = None) -> Restriction:
        """Stop every read of ``subject``'s data for ``purpose`` (R-DSR-6) until :meth:`resume`."""
        if purpose not in self._policy.purposes:
            raise AccessError(f"purpose {purpose!r} is not declared in the policy")
        (placed,) = self._place(subject, RestrictionKind.SUSPENSION, [purpose], actor, reason)
        return placed

    def resume(self, subject: str, purpose: str, actor: str) -> Restriction:
        """Lift the suspension of ``purpose`` for ``subject``; AccessError if it is not suspended."""
        (lifted,) = self._lift(subject, RestrictionKind.SUSPENSION, [purpose], actor)
        return lifted

    def hold(self, subject: str, items: Sequence[str], actor: str, *, reason: str | None = None) -> list[Restriction]:
        """Hold ``items`` of ``subject`` back from every read until the correction is done (R-DSR-5)."""
        wanted = _names(items)
        unknown = [item for item in wanted if item not in self._policy.items]
        if unknown:
            raise UnknownItemError(f"item {unknown[0]!r} is not declared in the policy")
        return self._place(subject, RestrictionKind.CORRECTION, wanted, actor, reason)

    def release(self, subject: str, items: Sequence[str], actor: str) -> list[Restriction]:
        """Lift the holds on ``items`` of ``subject``; AccessError (nothing lifted) if one is not held."""
        return self._lift(subject, RestrictionKind.CORRECTION, _names(items), actor)

    def of(self, subject: str) -> list[Restriction]:
        """Every restriction placed on ``subject``, lifted ones included, oldest first."""
        return self._store.restrictions(subject)

    def _place(
        self, subject: str, kind: RestrictionKind, targets: list[str], actor: str, reason: str | None
    ) -> list[Restriction]:
        self._check(subject, actor)
        reason = (reason.strip() or None) if reason is not None else None
        if reason is not None and len(reason) > MAX_REASON:
            raise AccessError(f"a reason is at most {MAX_REASON} characters")
        now = self._clock.now()
        with self._store.transaction() as session:
            active = {r.target: r for r in session.active_restrictions(subject) if r.kind is kind}
            return [
                active.get(target) or session.add_restriction(subject, kind, target, now, actor, reason)
                for target in targets
            ]

    def _lift(self, subject: str, kind: RestrictionKind, targets: list[str], actor: str) -> list[Restriction]:
        self._check(subject, actor)
        now = self._clock.now()
        with self._store.transaction() as session:
            active: dict[str, list[Restriction]] = {}
            for r in session.active_restrictions(subject):
                if r.kind is kind:
                    active.setdefault(r.target, []).append(r)
            what = "suspended" if kind is RestrictionKind.SUSPENSION else "held back"
            lifted = []
            for target in targets:
                if target not in active:
                    raise AccessError(f"{target!r} of subject {subject!r} is not {what}")
                for r in active[target]:  # all of them, should two requests have placed the same
                    session.release_restriction(r.id, now, actor)
                lifted.append(_lifted(active[target][0], now, actor))
            return lifted

    def _check(self, subject: str, actor: str) -> None:
        if not actor.strip() or len(actor) > MAX_ACTOR:
            raise AccessError(f"a restriction needs the actor who places or lifts it (at most {MAX_ACTOR} characters)")
        if subject not in self._facts.facts([subject]):
            raise UnknownSubjectError(f"no subject {subject!r}")


def _names(items: Sequence[str]) -> list[str]:
    # A lone string is one item, not a sequence of one-letter items.
    names = list(dict.fromkeys([items] if isinstance(items, str) else items))
    if not names:
        raise AccessError("no items given")
    return names


def _lifted(r: Restriction, at: datetime, actor: str) -> Restriction:
    return replace(r, released_at=at, released_by=actor)

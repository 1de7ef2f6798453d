"""Consent state derived from the ledger, and the in-process question "may we use item X for purpose Y now?".

:class:`ConsentBook` keeps each subject's :class:`SubjectState` in memory, built from the subject record and its
ledger events on first use (through a loader, so this module needs no database) and replaced after every write
this process makes. Nothing is decrypted: the answer comes from purposes, items and events alone.

:meth:`ConsentBook.may_use` is True only when the subject is ``active``, the purpose lists the item (purpose
limitation), the purpose is in force for the subject (a consent granted and not withdrawn, or a non-consent basis
the subject's data came in under), the item is not a representative's item locked to another purpose (R-CHILD-3),
and no advertising is asked for a child the policy sends none (R-CHILD-6). Another process's writes are seen after
:meth:`ConsentBook.forget` (the cache is per process).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from jikimi.consent.children import KST
from jikimi.consent.model import NIGHT, ConsentEvent, EventKind, SubjectRecord, SubjectStatus
from jikimi.errors import ConsentError
from jikimi.policy.model import Policy

__all__ = ["ConsentBook", "Loader", "SubjectState", "derive"]

#: Reads one subject's record and events (in ``seq`` order); None if there is no such subject.
Loader = Callable[[str], tuple[SubjectRecord, list[ConsentEvent]] | None]


@dataclass(slots=True)
class SubjectState:
    """What a subject agreed to, as of ``last_at``. ``granted`` maps topic -> items it covers; ``collected`` maps
    the non-consent purposes the subject's data came in under -> items."""

    record: SubjectRecord
    granted: dict[str, frozenset[str]] = field(default_factory=dict)
    collected: dict[str, frozenset[str]] = field(default_factory=dict)
    in_force: frozenset[str] = frozenset()
    last_at: datetime | None = None
    active: bool = False  # the record's status is ``active`` (a field: may_use reads it millions of times a second)


def derive(record: SubjectRecord, events: Iterable[ConsentEvent], until: datetime | None = None) -> SubjectState:
    """Replay ``events`` (up to ``until``, if given) into a state. The status is the record's, the current one."""
    state = SubjectState(record, last_at=record.created_at, active=record.status is SubjectStatus.ACTIVE)
    for event in events:
        if until is not None and event.at > until:
            break
        items = frozenset(event.items)
        if event.kind is EventKind.COLLECT:
            for purpose in event.topics:
                state.collected[purpose] = state.collected.get(purpose, frozenset()) | items
        elif event.kind is EventKind.GRANT:
            for topic in event.topics:
                state.granted[topic] = state.granted.get(topic, frozenset()) | items
        else:
            for topic in event.topics:
                state.granted.pop(topic, None)
        state.last_at = event.at
    state.in_force = frozenset(state.collected) | frozenset(t for t in state.granted if ":" not in t)
    return state


class ConsentBook:
    """Per-subject consent states, cached in memory and rebuilt from the ledger (see the module doc)."""

    def __init__(self, policy: Policy, load: Loader) -> None:
        self._policy = policy
        self._load = load
        self._states: dict[str, SubjectState] = {}
        locked = frozenset(policy.children.representative_items)
        # Per purpose, the items it may use: the representative's items only for the children's purpose.
        self._usable = {
            key: frozenset(p.items) - (frozenset() if key == policy.children.purpose else locked)
            for key, p in policy.purposes.items()
        }
        self._marketing = frozenset(k for k, p in policy.purposes.items() if p.marketing)
        self._no_ads_for_children = policy.children.no_advertising

    def state(self, subject: str) -> SubjectState | None:
        """The subject's current state (loaded on first use), or None if there is no such subject."""
        state = self._states.get(subject)
        if state is None:
            loaded = self._load(subject)
            if loaded is None:
                return None
            state = self._states[subject] = derive(*loaded)
        return state

    def put(self, record: SubjectRecord, events: Iterable[ConsentEvent]) -> SubjectState:
        """Replace the cached state of a subject after a committed write."""
        state = self._states[record.id] = derive(record, events)
        return state

    def forget(self, subject: str | None = None) -> None:
        """Drop one subject's cached state (or all): the next question reloads it from the ledger."""
        if subject is None:
            self._states.clear()
        else:
            self._states.pop(subject, None)

    def may_use(self, subject: str, item: str, purpose: str, now: datetime) -> bool:
        """May ``item`` of ``subject`` be used for ``purpose`` at ``now``? (see the module doc)."""
        usable = self._usable.get(purpose)
        if usable is None:
            raise ConsentError(f"purpose {purpose!r} is not declared in the policy")
        state = self._states.get(subject) or self.state(subject)
        if state is None or not state.active or item not in usable:
            return False
        if state.last_at is not None and now < state.last_at:
            loaded = self._load(subject)
            if loaded is None:
                return False
            state = derive(loaded[0], loaded[1], until=now)
        if purpose not in state.in_force:
            return False
        return not (purpose in self._marketing and state.record.child and self._no_ads_for_children)

    def may_advertise(self, subject: str, channel: str, now: datetime) -> bool:
        """May an advertising message go to ``subject`` by ``channel`` (sms, email, push ...) at ``now``?

        Needs the advertising purpose and its per-channel consent (R-MKT-1), and at night (21:00-08:00 KST) the
        night-time consent (R-MKT-4); never for a child when the policy sends children none (R-CHILD-6).
        """
        ad = self._policy.advertising
        if ad is None or ad.purpose is None:
            return False
        state = self.state(subject)
        if state is None or not state.active or ad.purpose not in state.in_force:
            return False
        if state.record.child and self._no_ads_for_children:
            return False
        if ad.channels and f"{ad.purpose}:{channel}" not in state.granted:
            return False
        hour = now.astimezone(KST).hour
        return not (hour >= 21 or hour < 8) or f"{ad.purpose}:{NIGHT}" in state.granted

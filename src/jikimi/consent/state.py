"""Consent state derived from the ledger, and the in-process question "may we use item X for purpose Y now?".

:class:`ConsentBook` keeps each subject's :class:`SubjectState` in memory, built from the subject record and its
ledger events on first use (through a loader, so this module needs no database) and replaced after every write
this process makes. Nothing is decrypted: the answer comes from purposes, items and events alone.

:meth:`ConsentBook.may_use` is True only when the subject is ``active``, the purpose lists the item (purpose
limitation), the purpose is in force for the subject (a consent granted and not withdrawn, or a non-consent basis
the subject's data came in under), the item is not a representative's item locked to another purpose (R-CHILD-3),
and no advertising is asked for a child the policy sends none (R-CHILD-6). A consent granted under a policy version
older than a change that widened its topic (:meth:`ConsentBook.require_versions`, R-POL-4) is *stale*: kept in
``granted`` (it can still be withdrawn) but not in force until the subject consents again. A purpose the policy in
force rests on consent is in force only through a grant: when a new version moved it onto consent, data that came in
under its old basis (contract, statute) no longer counts, and the purpose is *unconsented* until the subject
consents to it. A child's sign-up ``awaiting_rep`` may use only the representative's items for the children's
purpose, and only until it expires. :meth:`ConsentBook.may_provide` answers the same for a provision or
overseas-transfer consent (R-XFER-1/8). Another process's writes are seen after :meth:`ConsentBook.forget` (the
cache is per process, and bounded: :data:`CACHED_STATES`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jikimi.consent.children import KST
from jikimi.consent.model import NIGHT, ConsentEvent, EventKind, SubjectRecord, SubjectStatus, is_sharing
from jikimi.errors import ConsentError
from jikimi.policy.model import BasisKind, Policy

__all__ = ["CACHED_STATES", "Accepted", "ConsentBook", "Loader", "SubjectState", "derive"]

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
    versions: dict[str, str] = field(default_factory=dict)  # topic -> policy version of its latest grant
    stale: frozenset[str] = frozenset()  # granted topics that need consent to a newer policy version (R-POL-4)
    # Purposes the data came in under without consent that the policy in force rests on consent: not in force until
    # the subject consents to them (a new version moved them onto consent).
    unconsented: frozenset[str] = frozenset()


#: topic -> the policy versions whose grants of it still count (absent: every version counts).
Accepted = Mapping[str, frozenset[str]]


def derive(
    record: SubjectRecord,
    events: Iterable[ConsentEvent],
    until: datetime | None = None,
    accepted: Accepted | None = None,
    consent_purposes: frozenset[str] = frozenset(),
) -> SubjectState:
    """Replay ``events`` (up to ``until``, if given) into a state. The status is the record's, the current one.

    ``accepted``: the policy versions whose grants of a topic still count; ``consent_purposes``: the purposes the
    policy in force rests on consent (in force only through a grant). See the module doc.
    """
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
                state.versions[topic] = event.policy_version
        else:
            for topic in event.topics:
                state.granted.pop(topic, None)
                state.versions.pop(topic, None)
        state.last_at = event.at
    if accepted:
        state.stale = frozenset(t for t, v in state.versions.items() if t in accepted and v not in accepted[t])
    came_in = frozenset(state.collected)
    if not consent_purposes.isdisjoint(came_in):
        state.unconsented = (came_in & consent_purposes) - state.granted.keys()
        came_in -= consent_purposes
    state.in_force = came_in | frozenset(t for t in state.granted if ":" not in t and t not in state.stale)
    return state


#: Subjects whose consent state the book keeps in memory at most (a few KB each): beyond it the oldest cached state
#: is dropped and rebuilt from the ledger when next asked for. Unbounded, a long-running engine would hold every
#: subject it ever saw (measured: about 3.6 GB of process memory for a million sign-ups).
CACHED_STATES = 100_000


class ConsentBook:
    """Per-subject consent states, cached in memory (at most ``cached`` of them, the oldest dropped first) and rebuilt
    from the ledger (see the module doc)."""

    def __init__(
        self,
        policy: Policy,
        load: Loader,
        *,
        waiting: timedelta = timedelta(days=7),
        cached: int = CACHED_STATES,
    ) -> None:
        if cached < 1:
            raise ValueError("the consent state cache holds at least one subject")
        self._policy = policy
        self._load = load
        # An OrderedDict: dropping the oldest entry is O(1) (a plain dict's first key is found by a scan past the
        # holes its deletions leave), and its get is dict's own.
        self._states: OrderedDict[str, SubjectState] = OrderedDict()
        self._cached = cached
        self._accepted: dict[str, frozenset[str]] = {}
        self.waiting = waiting  # how long a child's sign-up waits for the representative (R-CHILD-3)
        self._child_purpose = policy.children.purpose
        locked = frozenset(policy.children.representative_items)
        # Per purpose, the items it may use: the representative's items only for the children's purpose.
        self._usable = {
            key: frozenset(p.items) - (frozenset() if key == policy.children.purpose else locked)
            for key, p in policy.purposes.items()
        }
        self._marketing = frozenset(k for k, p in policy.purposes.items() if p.marketing)
        #: The purposes the policy rests on consent: in force for a subject only through a grant.
        self.consent_purposes = frozenset(k for k, p in policy.purposes.items() if p.basis.kind is BasisKind.CONSENT)
        self._no_ads_for_children = policy.children.no_advertising

    def require_versions(self, accepted: Accepted) -> None:
        """From now on a grant of each topic counts only if given under one of its accepted policy versions."""
        for topic, versions in accepted.items():
            self._accepted[topic] = self._accepted.get(topic, versions) & versions
        self._states.clear()

    @property
    def accepted(self) -> Accepted:
        """topic -> the policy versions whose grants still count (see :meth:`require_versions`)."""
        return self._accepted

    def state(self, subject: str) -> SubjectState | None:
        """The subject's current state (loaded on first use), or None if there is no such subject."""
        state = self._states.get(subject)
        if state is None:
            loaded = self._load(subject)
            if loaded is None:
                return None
            state = self._keep(
                subject, derive(*loaded, accepted=self._accepted, consent_purposes=self.consent_purposes)
            )
        return state

    def _keep(self, subject: str, state: SubjectState) -> SubjectState:
        states = self._states
        states[subject] = state
        if len(states) > self._cached:
            states.popitem(last=False)
        return state

    def put(self, record: SubjectRecord, events: Iterable[ConsentEvent]) -> SubjectState:
        """Replace the cached state of a subject after a committed write."""
        return self._keep(
            record.id, derive(record, events, accepted=self._accepted, consent_purposes=self.consent_purposes)
        )

    def put_new(
        self,
        record: SubjectRecord,
        came_in: Iterable[str],
        held: Iterable[str],
        grants: Mapping[str, Iterable[str]],
        version: str,
    ) -> SubjectState:
        """Cache the state of a new subject after its sign-up committed: what :meth:`put` derives from its events
        (a COLLECT of ``held`` items for the ``came_in`` purposes, then a GRANT of each topic in ``grants`` under
        ``version``, all at ``record.created_at``), built without replaying them (a sign-up is a hot path)."""
        items = frozenset(held)
        collected = dict.fromkeys(came_in, items)
        granted = {topic: frozenset(covered) for topic, covered in grants.items()}
        versions = dict.fromkeys(granted, version)
        accepted = self._accepted
        stale = (
            frozenset(t for t in granted if t in accepted and version not in accepted[t]) if accepted else frozenset()
        )
        came = frozenset(collected)
        unconsented = (came & self.consent_purposes) - granted.keys()
        state = SubjectState(
            record,
            granted,
            collected,
            (came - self.consent_purposes) | frozenset(t for t in granted if ":" not in t and t not in stale),
            record.created_at,
            record.status is SubjectStatus.ACTIVE,
            versions,
            stale,
            unconsented,
        )
        return self._keep(record.id, state)

    def expires(self, record: SubjectRecord) -> datetime:
        """When a child's sign-up awaiting the representative's consent expires."""
        return record.created_at + self.waiting

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
        if state is None or item not in usable:
            return False
        if not state.active:
            # Awaiting the representative: only the representative's items, only to ask for the consent.
            return (
                state.record.status is SubjectStatus.AWAITING
                and purpose == self._child_purpose
                and now <= self.expires(state.record)
            )
        if state.last_at is not None and now < state.last_at:  # inlined: this runs millions of times a second
            state = self._as_of(subject, state, now)
            if state is None:
                return False
        if purpose not in state.in_force:
            return False
        return not (purpose in self._marketing and state.record.child and self._no_ads_for_children)

    def may_provide(self, subject: str, topic: str, now: datetime, item: str | None = None) -> bool:
        """May ``subject``'s data (``item``, or any the consent covers) go to the recipient or overseas transfer whose
        consent id is ``topic`` (``model.provide_topic`` / ``model.transfer_topic``) at ``now``?

        Needs an active subject, the consent granted and not withdrawn, not stale after a policy change that widened
        it (R-XFER-1/9, R-POL-4), and the item among those the consent covers.
        """
        if not is_sharing(topic):
            raise ConsentError(f"{topic!r} is not a provision or overseas-transfer consent id")
        state = self.state(subject)
        if state is None or not state.active:
            return False
        state = self._as_of(subject, state, now)
        if state is None or topic not in state.granted or topic in state.stale:
            return False
        return item is None or item in state.granted[topic]

    def _as_of(self, subject: str, state: SubjectState, now: datetime) -> SubjectState | None:
        if state.last_at is None or now >= state.last_at:
            return state
        loaded = self._load(subject)
        if loaded is None:
            return None
        return derive(loaded[0], loaded[1], now, self._accepted, self.consent_purposes)

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

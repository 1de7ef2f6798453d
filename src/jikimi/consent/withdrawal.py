"""Withdrawal of consent (R-DSR-7): it takes effect at once, in one transaction with its ledger event.

What a withdrawal destroys: the items that no purpose still in force for the subject uses; their ciphertext rows and
blind-index entries are deleted (the subject's data key stays for the items that remain lawful). Withdrawing an
advertising purpose also ends its channel and night consents (R-MKT-3). Withdrawing a consent the subject's sign-up
channel requires is a withdrawal from the service: the subject becomes ``withdrawn`` and nothing of it may be used
any more; destroying the rest is the retention flow's (:mod:`jikimi.retention`). Withdrawing a provision or
overseas-transfer consent ends that sharing only; it destroys nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jikimi.consent.collection import required_topics
from jikimi.consent.flow import Flow
from jikimi.consent.model import ConsentEvent, EventKind, SubjectStatus, is_sharing
from jikimi.errors import ConsentError
from jikimi.policy.model import ConsentMethod
from jikimi.vault.vault import LIVE

__all__ = ["Withdrawal", "Withdrawn"]


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """The outcome of a withdrawal: events written, items destroyed, and the subject's status afterwards."""

    subject: str
    status: SubjectStatus
    events: tuple[ConsentEvent, ...]
    destroyed: tuple[str, ...]


class Withdrawal(Flow):
    """Withdrawal of consents (see the module doc)."""

    def withdraw(
        self,
        subject: str,
        topics: Sequence[str],
        method: ConsentMethod,
        evidence: str | None,
        actor: str = "self",
    ) -> Withdrawn:
        """Withdraw consents at once (R-DSR-7; see the module doc for what is destroyed and when the subject leaves)."""
        state = self._existing(subject)
        if state.record.status in (SubjectStatus.REFUSED, SubjectStatus.WITHDRAWN):
            raise ConsentError(f"subject {subject} is {state.record.status.value}; there is nothing to withdraw")
        ending = set()
        for topic in topics:
            if topic not in state.granted:
                raise ConsentError(f"subject {subject} has no consent to {topic!r} in force")
            ending.add(topic)
            ending |= {t for t in state.granted if t.startswith(topic + ":")}
        # Sharing consents gate provision only: ending one destroys nothing, and none keeps an item alive.
        remaining = set(state.collected.values()) | {
            v for t, v in state.granted.items() if t not in ending and not is_sharing(t)
        }
        keep = frozenset().union(*remaining) if remaining else frozenset()
        destroyed = sorted(frozenset().union(*(state.granted[t] for t in ending if not is_sharing(t))) - keep)
        required = set(required_topics(self._policy, self._policy.channels[state.record.channel]))
        leaves = bool(ending & required)
        now = self._clock.now()
        topics_ = tuple(sorted(ending))
        event = self._event(subject, EventKind.WITHDRAW, topics_, tuple(destroyed), method, evidence, actor, now)
        with self._uow.begin() as session:
            if destroyed:
                session.delete_items(LIVE, subject, destroyed)
            if leaves:
                session.set_status(subject, SubjectStatus.WITHDRAWN, now)
            written = self._append(session, [event])
        after = self._reload(subject)
        status = after.record.status if after else state.record.status
        return Withdrawn(subject, status, tuple(written), tuple(destroyed))

"""Consent to a new policy version (R-POL-4, R-CON-3, R-XFER-9): which consents a change makes stale, who must
be asked, and recording the consents given again.

:func:`widened_topics` asks :func:`jikimi.documents.versions.diff_policies` (the one place that classifies a change
as minor or material and says whether re-consent is needed) twice over:

1. the whole change: when it needs no re-consent, no consent goes stale;
2. per consent topic, the change of that topic alone: the two versions projected to one purpose, one recipient or
   one overseas transfer (everything else emptied), so ``diff_policies`` classifies exactly that topic's change.
   A topic whose own change needs re-consent (a consent purpose using more items or newly resting on consent, a
   consent-based recipient or transfer receiving more items) is *widened*.

Grants of a widened topic made under a version before the change no longer count
(:meth:`jikimi.consent.state.ConsentBook.require_versions`) until the subject consents under the new version
(:meth:`Reconsent.reconsent`). Topics new in ``new`` need no re-consent: nobody has them yet.

A purpose that a new version moves onto consent (it rested on a contract or a statute before) is in force for a
subject only through a consent given to it: data that came in under the old basis no longer suffices
(``SubjectState.unconsented``, whatever versions the service was told of), so those subjects are asked too.

The flow (:class:`Reconsent`): :meth:`~Reconsent.adopt` tells the service which versions came before;
:meth:`~Reconsent.needing_reconsent` lists who must be asked for what; :meth:`~Reconsent.reconsent` records the
consents under the version in force, in one transaction. A child's consents are given again by the legal
representative, verified by a method the policy allows, exactly as at sign-up (R-CHILD-1/2); without that the
re-consent is refused and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from jikimi.consent.children import check_representative
from jikimi.consent.flow import PAGE, Collected, Flow
from jikimi.consent.model import (
    ConsentEvent,
    EventKind,
    Representative,
    SubjectStatus,
    provide_topic,
    sharing_topics,
    transfer_topic,
)
from jikimi.consent.state import SubjectState
from jikimi.documents.versions import PolicyDiff, diff_policies
from jikimi.errors import ChildrenError, CollectionError, ConsentError
from jikimi.policy.model import BasisKind, ConsentMethod, Policy

__all__ = ["PolicyChange", "Reconsent", "accepted_versions", "widened_topics"]


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """A change between two versions as the consent ledger sees it: the diff and the consents it makes stale."""

    diff: PolicyDiff
    topics: frozenset[str]

    @property
    def reconsent(self) -> bool:
        return bool(self.topics)


def _bare(policy: Policy) -> Policy:
    # model_copy skips validation on purpose: a projection need not be a publishable policy, only comparable.
    return policy.model_copy(
        update={
            "purposes": {},
            "channels": {},
            "retention": (),
            "recipients": (),
            "trustees": (),
            "overseas_transfers": (),
            "automated_decisions": (),
        }
    )


def _purpose_only(policy: Policy, bare: Policy, key: str) -> Policy:
    purpose = policy.purposes.get(key)
    return bare.model_copy(update={"purposes": {key: purpose} if purpose else {}})


def widened_topics(old: Policy, new: Policy) -> PolicyChange:
    """The consents of ``old`` that subjects must give again under ``new`` (see the module doc)."""
    diff = diff_policies(old, new)
    if not diff.reconsent:
        return PolicyChange(diff, frozenset())
    bare_old, bare_new = _bare(old), _bare(new).model_copy(update={"children": old.children})
    topics: set[str] = set()
    for key, purpose in new.purposes.items():
        if purpose.basis.kind is not BasisKind.CONSENT or key not in old.purposes:
            continue
        if diff_policies(_purpose_only(old, bare_old, key), _purpose_only(new, bare_new, key)).reconsent:
            topics.add(key)
    old_sharing = sharing_topics(old)
    for r in new.recipients:
        topic = provide_topic(r.name)
        before = [x for x in old.recipients if x.name == r.name]
        if topic in sharing_topics(new) and topic in old_sharing:
            one_old = bare_old.model_copy(update={"recipients": tuple(before)})
            if diff_policies(one_old, bare_new.model_copy(update={"recipients": (r,)})).reconsent:
                topics.add(topic)
    for t in new.overseas_transfers:
        topic = transfer_topic(t.recipient, t.country)
        before_t = [x for x in old.overseas_transfers if (x.recipient, x.country) == (t.recipient, t.country)]
        if topic in sharing_topics(new) and topic in old_sharing:
            one_old = bare_old.model_copy(update={"overseas_transfers": tuple(before_t)})
            if diff_policies(one_old, bare_new.model_copy(update={"overseas_transfers": (t,)})).reconsent:
                topics.add(topic)
    return PolicyChange(diff, frozenset(topics))


def accepted_versions(history: Sequence[Policy]) -> dict[str, frozenset[str]]:
    """For a version history (oldest first, the policy in force last): topic -> versions whose grants still count.

    A topic widened by the change into version *n* accepts grants under *n* and every later version only.
    """
    accepted: dict[str, frozenset[str]] = {}
    for i in range(1, len(history)):
        later = frozenset(p.version for p in history[i:])
        for topic in widened_topics(history[i - 1], history[i]).topics:
            accepted[topic] = accepted.get(topic, later) & later
    return accepted


class Reconsent(Flow):
    """Consent to a new policy version (see the module doc)."""

    def adopt(self, *previous: Policy) -> PolicyChange:
        """Tell the service the versions before the one in force (oldest first): consents that a change widened
        are stale until given again under a later version (R-POL-4). Returns the change from the last of them."""
        if not previous:
            raise ConsentError("adopt needs the previous policy version")
        self.book.require_versions(accepted_versions([*previous, self._policy]))
        return widened_topics(previous[-1], self._policy)

    def needing_reconsent(self) -> dict[str, tuple[str, ...]]:
        """Subjects (active or pending) who must consent under the policy in force -> those topics: consents that
        predate a change that widened them, and purposes now resting on consent that they never consented to."""
        accepted = self.book.accepted
        consent_purposes = self.book.consent_purposes
        latest: dict[str, dict[str, str]] = {}  # subject -> topic -> policy version of its grant in force
        came_in: dict[str, set[str]] = {}  # subject -> purposes its data came in under without consent
        for page in self._pages(PAGE):
            for _seq, subject, body, _prev, _hash in page:
                event = json.loads(body)
                if event.get("tombstone"):
                    continue  # a destroyed subject's event: nothing to ask
                kind = event["kind"]
                if kind == EventKind.COLLECT.value:
                    came_in.setdefault(subject, set()).update(event["topics"])
                    continue
                topics = latest.setdefault(subject, {})
                if kind == EventKind.GRANT.value:
                    topics.update(dict.fromkeys(event["topics"], event["policy_version"]))
                else:
                    for topic in event["topics"]:
                        topics.pop(topic, None)
        out = {}
        for subject in latest.keys() | came_in.keys():
            grants = latest.get(subject, {})
            stale = {t for t, v in grants.items() if t in accepted and v not in accepted[t]}
            stale |= (came_in.get(subject, set()) & consent_purposes) - grants.keys()
            state = self.book.state(subject) if stale else None
            if state is not None and state.record.status in (SubjectStatus.ACTIVE, SubjectStatus.PENDING):
                out[subject] = tuple(sorted(stale))
        return dict(sorted(out.items()))

    def reconsent(
        self,
        subject: str,
        topics: Sequence[str],
        method: ConsentMethod,
        evidence: str | None,
        actor: str = "self",
        *,
        representative: Representative | None = None,
    ) -> Collected:
        """Record consents given under the policy version in force, for topics that need them (see the module doc).

        A child's consents need ``representative``: the legal representative's consent, verified by a method the
        policy allows, with its evidence reference (R-CHILD-1/2); it is recorded as the representative's, with that
        method and evidence, as at sign-up. Raises ConsentError (a topic not waiting for consent, a subject that
        gives none), CollectionError (a method the channel does not take) or ChildrenError; nothing is written then.
        """
        state = self._existing(subject)
        if state.record.status not in (SubjectStatus.ACTIVE, SubjectStatus.PENDING):
            raise ConsentError(f"subject {subject} is {state.record.status.value}; it gives no consent")
        for topic in topics:
            if topic not in state.stale and topic not in state.unconsented:
                raise ConsentError(f"subject {subject} has no consent to {topic!r} waiting to be given again")
        channel = self._policy.channels.get(state.record.channel)
        allowed = (channel.methods if channel else ()) or self._policy.consent_methods
        if allowed and method not in allowed:
            raise CollectionError(
                f"channel {state.record.channel!r} does not take consent by {method.value!r}", "R-CON-2"
            )
        verification = None
        if state.record.child:
            if representative is None:
                raise ChildrenError(
                    f"subject {subject} is a child: only the legal representative consents again for it, with a "
                    "verified consent",
                    "R-CHILD-1",
                )
            check_representative(self._policy, representative)
            # As at sign-up: the representative's grant, its verification method and evidence reference.
            verification, evidence = representative.verification, representative.evidence
            actor = "representative" if actor == "self" else actor
        now = self._clock.now()
        version = self._policy.version
        events = [
            ConsentEvent(
                0,
                subject,
                EventKind.GRANT,
                (t,),
                self._items(state, t),
                version,
                method,
                evidence,
                actor,
                now,
                verification,
            )
            for t in sorted(set(topics))
        ]
        with self._uow.begin() as session:
            written = self._append(session, events)
        after = self._reload(subject)
        return Collected(subject, after.record.status if after else state.record.status, tuple(written))

    def _items(self, state: SubjectState, topic: str) -> tuple[str, ...]:
        """The items a consent given again covers: those of the stale grant, or for a purpose now resting on
        consent, the subject's items it lists."""
        if topic in state.granted:
            return tuple(sorted(state.granted[topic]))
        return tuple(sorted(state.collected[topic] & frozenset(self._policy.purposes[topic].items)))

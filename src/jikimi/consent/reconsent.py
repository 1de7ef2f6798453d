"""Consent to a new policy version (R-POL-4, R-CON-3, R-XFER-9): which consents a change makes stale.

:func:`widened_topics` asks :func:`jikimi.documents.versions.diff_policies` (the one place that classifies a change
as minor or material and says whether re-consent is needed) twice over:

1. the whole change: when it needs no re-consent, no consent goes stale;
2. per consent topic, the change of that topic alone: the two versions projected to one purpose, one recipient or
   one overseas transfer (everything else emptied), so ``diff_policies`` classifies exactly that topic's change.
   A topic whose own change needs re-consent (a consent purpose using more items or newly resting on consent, a
   consent-based recipient or transfer receiving more items) is *widened*.

Grants of a widened topic made under a version before the change no longer count
(:meth:`jikimi.consent.state.ConsentBook.require_versions`) until the subject consents under the new version
(:meth:`jikimi.consent.service.Consents.reconsent`). Topics new in ``new`` need no re-consent: nobody has them yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jikimi.consent.model import provide_topic, sharing_topics, transfer_topic
from jikimi.documents.versions import PolicyDiff, diff_policies
from jikimi.policy.model import BasisKind, Policy

__all__ = ["PolicyChange", "accepted_versions", "widened_topics"]


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

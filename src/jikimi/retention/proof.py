"""Proof of consent after destruction: how long a destroyed subject's consent events are kept, and their erasure.

Flow (run by :meth:`jikimi.engine.Engine.sweep` after the bucket sweep, so cron runs it too): a subject whose
relationship ended (``withdrawn`` or ``refused``) is *due* once all of these hold --

- its proof period (:func:`proof_period`) has run from the end (the subject record's last change, which is the
  withdrawal or refusal): the cutoff is ``now`` minus the period, so an erasure is never early, whatever the month
  lengths;
- nothing of its data is left: no data key (live or kept) and no kept bucket, shredded or not (a kept contract
  record outlives the proof period? the proof waits for it);
- no unreleased legal hold names it.

A due subject's ledger events are then **tombstoned**, not deleted: the ledger is one hash chain over every subject
(:mod:`jikimi.consent.ledger`), so a row cut from the middle would break verification for everyone after it, and a
checkpointed prefix (as the access record prunes) would never reach a withdrawn subject's events while earlier
subjects stay live. Each event keeps ``seq``, ``prev_hash``, ``hash`` and the pseudonymous subject id; its body
(topics, items, method, evidence reference, actor, time) is replaced by the tombstone. The subject's records
(``consent_subjects`` and the vault's ``subjects`` row) are deleted in the same transaction, one per batch, so a
killed sweep leaves each subject either untouched or erased. The destruction log gets one ``consent_proof`` entry
per run (subjects and events, no ids). Events never held personal values: subject ids are pseudonymous, items and
topics are policy keys, evidence is the caller's reference.

**The proof period is an internal rule, not a statute.** law.md R-RET-10 keeps consent records "for as long as
processing relies on them plus the limitation period" and marks it [U]; the statutory catalogue has no entry for
it. jikimi keeps them for the longest finite period among the policy's retention rules (any of them may need to
show the consent the data was collected under), and never less than the catalogue's
``ecommerce.contract_records`` period (5 years, 전자상거래법 제6조): the consent is part of the contract record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from jikimi.consent.ports import UnitOfWork
from jikimi.policy.model import Policy
from jikimi.policy.statutes import statutes
from jikimi.retention.periods import add_period, subtract_period
from jikimi.retention.ports import DestructionEntry, RetentionSession
from jikimi.retention.schedule import rule_period

__all__ = ["FLOOR", "METHOD", "RULE", "ProofSweep", "erase_proof", "proof_period"]

#: The catalogue entry whose period is the least a proof of consent is kept (see the module doc).
FLOOR = "ecommerce.contract_records"
#: The destruction log's rule for erased proofs of consent, and how they are erased.
RULE = "consent_proof"
METHOD = "tombstone: consent event bodies replaced (seq and hash chain kept), subject records deleted"
_KIND = "동의 기록 (동의 증빙 보존기간 경과)"
_ORIGIN = datetime(2000, 1, 31, tzinfo=UTC)  # a month end, so months compare by their longest reach


@dataclass(frozen=True, slots=True)
class ProofSweep:
    """Subjects whose consent events were (or, dry, would be) erased, and how many events."""

    subjects: int
    events: int


def proof_period(policy: Policy) -> str:
    """The internal proof period of a policy: its longest finite rule period, at least :data:`FLOOR`'s."""
    floor = statutes()[FLOOR].period
    assert floor is not None  # a retention entry of the catalogue
    periods = [floor, *(p for p in (rule_period(r) for r in policy.retention) if p is not None)]
    finite = [(end, p) for p in periods if (end := add_period(_ORIGIN, p)) is not None]
    return max(finite)[1]


def erase_proof(
    policy: Policy,
    uow: UnitOfWork,
    now: datetime,
    *,
    dry_run: bool = False,
    batch: int = 10_000,
    forget: Callable[[str], None] | None = None,
) -> ProofSweep:
    """Tombstone the consent events of every due subject (module doc), one transaction per ``batch`` subjects;
    ``forget`` is told each erased subject (the consent book drops its cached state)."""
    cutoff = subtract_period(now, proof_period(policy))
    assert cutoff is not None  # the proof period is finite
    if dry_run:
        with uow.begin() as session:
            return ProofSweep(*cast(RetentionSession, session).proof_counts(cutoff))
    subjects = events = 0
    while True:
        with uow.begin() as consent_session:
            session = cast(RetentionSession, consent_session)
            due = session.proof_due(cutoff, batch)
            if not due:
                break
            erased = session.erase_proof(due)
            entry = DestructionEntry(now, RULE, _KIND, len(due), erased, METHOD, policy.version)
            session.log_destruction([entry])
        subjects += len(due)
        events += erased
        for subject in due:
            if forget is not None:
                forget(subject)
    return ProofSweep(subjects, events)

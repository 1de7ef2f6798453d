"""The retention domain's storage port: kept buckets, operational records, legal holds, the destruction log, sweeps.

A :class:`RetentionSession` is a consent session (vault + subjects + ledger) that also keeps the retention tables,
so an end of purpose (vault copies, shred of the live bucket, the subject's status, the ledger event and the kept
buckets' expiries) commits as one transaction. Rows here carry no personal data: subjects are internal
pseudonymous ids, and the destruction log does not even carry those.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from jikimi.consent.ports import ConsentSession

__all__ = [
    "DestructionEntry",
    "HoldRow",
    "KeptBucket",
    "RecordRow",
    "RetentionSession",
    "RetentionStore",
    "RuleCount",
    "SweepRun",
]


@dataclass(frozen=True, slots=True)
class KeptBucket:
    """A vault bucket kept under a retention rule until ``expires_at`` (None: not yet known, or permanent)."""

    subject: str
    bucket: str  # the rule key, or ``<rule>/<record id>`` for one operational record
    rule: str
    expires_at: datetime | None
    use: str | None
    separate_storage: bool
    policy_version: str  # the policy in force when the clock started: its rule set the expiry
    record: str | None = None
    items: int = 0  # fields stored in the bucket: what the destruction log counts, without counting rows again
    expiry_key: str | None = None  # the expiry key its data key is wrapped under (None: the KEK)
    kind: str | None = None  # the operational record's kind, for a record's bucket (``record`` is its id)
    occurred_at: datetime | None = None  # and its date


@dataclass(frozen=True, slots=True)
class RecordRow:
    """An operational record (contract, payment, visit log ...): its kind and date; its items live in the vault, in a
    bucket per rule that keeps it, and it is known while one of them is (:attr:`KeptBucket.record`)."""

    id: str
    subject: str
    kind: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class HoldRow:
    """A legal hold as stored: ``reason`` and actors are the operator's words, never the subject's data."""

    id: int
    subject: str
    reason: str
    placed_at: datetime
    placed_by: str
    released_at: datetime | None = None
    released_by: str | None = None


@dataclass(frozen=True, slots=True)
class RuleCount:
    """Buckets and stored fields of one rule (a dry run's line, or what one shred batch destroyed)."""

    rule: str
    buckets: int
    fields: int


@dataclass(frozen=True, slots=True)
class DestructionEntry:
    """One line of the destruction log: what, how many, which rule, when, how. No subject, no value."""

    at: datetime
    rule: str
    kind: str  # what kind of data: the rule's label, or "live data" for an end of purpose
    subjects: int
    items: int
    method: str
    policy_version: str
    run: int | None = None


@dataclass(frozen=True, slots=True)
class SweepRun:
    """Progress of one sweep: committed with each batch, so a killed run can be seen and finished."""

    id: int
    now: datetime
    started_at: datetime
    batches: int
    buckets: int
    finished_at: datetime | None


class RetentionSession(ConsentSession, Protocol):
    """Consent-session operations plus the retention tables, inside one transaction."""

    def add_kept(self, rows: Sequence[KeptBucket]) -> None:
        """Insert kept buckets (a bucket already kept for the subject keeps the later expiry)."""
        ...

    def kept_of(self, subject: str) -> list[KeptBucket]:
        """The buckets of ``subject`` still kept (not yet shredded)."""
        ...

    def clear_expiry_key(self, subject: str, bucket: str) -> None:
        """Record that the bucket's data key is under the KEK now (it was moved: a legal hold)."""
        ...

    def begin_day_shred(self, names: Sequence[str], at: datetime) -> None:
        """First in the transaction that deletes the expiry keys ``names``: from here to its commit no legal hold
        can be placed (SQLite: the write lock; PostgreSQL: a share lock on the holds), so the check for held
        buckets under those keys and the deletion see the same holds."""
        ...

    def held_under_expiry_keys(self) -> list[tuple[str, str]]:
        """``(subject, bucket)`` of kept buckets still listed under a stored expiry key whose subject is held (a hold
        placed while the bucket was being made, or a move cut short)."""
        ...

    def expiry_key_for(self, day: date) -> str | None:
        """The newest expiry key of ``day`` not yet shredded, if any."""
        ...

    def open_expiry_month(self, day: date, at: datetime) -> bool:
        """Whether a new expiry key may be made for ``day``: its month's storage is open (opened now if it is the
        month's first key), not closed by a sweep that is reclaiming it. Holds the month open until this transaction
        ends (a sweep closing it waits, then sees the key made)."""
        ...

    def add_expiry_key(self, name: str, day: date, at: datetime) -> None: ...

    def elapsed_expiry_keys(self, now: datetime) -> list[str]:
        """The expiry keys not yet marked shredded whose whole day is over at ``now`` (one per day: few)."""
        ...

    def due_total(self, now: datetime) -> tuple[int, int]:
        """``(under elapsed expiry keys, to shred one by one)``: the due buckets :meth:`due_counts` would count,
        from indexes alone (the sweep's progress total)."""
        ...

    def mark_expiry_shredded(self, name: str, at: datetime) -> list[RuleCount] | None:
        """Mark an expiry key shredded (its key was deleted) and count, by rule, the kept buckets under it: what
        its shred destroyed. None if it was marked already (by an earlier or a concurrent sweep)."""
        ...

    def records_of(self, subject: str) -> list[RecordRow]:
        """The operational records of ``subject`` one of whose buckets is still listed (kept, or shredded and not
        yet purged), by date."""
        ...

    def add_hold(self, subject: str, reason: str, at: datetime, actor: str) -> int:
        """Place a hold; returns its id."""
        ...

    def release_hold(self, hold: int, at: datetime, actor: str) -> bool:
        """Release an active hold; False if there is no such active hold."""
        ...

    def holds_of(self, subject: str) -> list[HoldRow]: ...

    def due_counts(self, now: datetime) -> list[RuleCount]:
        """The kept buckets expired at ``now`` whose subject has no unreleased legal hold and that no shredded
        expiry key took yet, counted by rule with their fields (the dry run)."""
        ...

    def shred_due(self, now: datetime, limit: int) -> list[RuleCount]:
        """Shred up to ``limit`` due buckets one by one, in one step: delete their data keys (their blind-index
        entries stop finding them) and mark them shredded; what went, by rule. Only buckets no expiry key will
        take: those under the KEK, and those of the day ``now`` is in (its key goes when the day is over). For stores
        whose keys commit with the data; where they commit apart (``keys_apart``), :meth:`delete_due_keys` then
        :meth:`mark_deleted_batch`."""
        ...

    def delete_due_keys(self, now: datetime, limit: int) -> int:
        """Where keys commit apart from the data (SQLite's key file): the first half of :meth:`shred_due`, in a
        transaction of its own: pick up to ``limit`` due buckets and delete their data keys; how many."""
        ...

    def mark_deleted_batch(self) -> list[RuleCount]:
        """The second half, in the next transaction: mark the buckets :meth:`delete_due_keys` picked shredded (those
        still kept: a bucket is counted once, whoever marks it); what this marked, by rule."""
        ...

    def purge_shredded(self, limit: int, *, fresh: bool = False, now: datetime | None = None) -> tuple[int, int]:
        """Purge up to ``limit`` shredded buckets (marked so, or under a shredded expiry key): their data keys,
        ciphertext rows and blind-index entries, then the buckets and records left empty; (buckets purged,
        ciphertext rows deleted). ``fresh`` on the first call of a purge: nothing of an earlier one is reused.
        ``now``: the sweep's time; storage kept by expiry month may then reclaim the months over by then."""
        ...

    def log_destruction(self, entries: Sequence[DestructionEntry]) -> None: ...

    def destruction_log(self, start: datetime, end: datetime) -> list[DestructionEntry]:
        """Entries with ``start <= at < end``, in order."""
        ...

    def proof_due(self, ended_before: datetime, limit: int) -> list[str]:
        """Up to ``limit`` subjects whose relationship ended (withdrawn or refused) at or before ``ended_before``,
        with no data key, no kept bucket (kept or shredded) and no unreleased legal hold left: their consent
        events may be erased (jikimi.retention.proof)."""
        ...

    def proof_counts(self, ended_before: datetime) -> tuple[int, int]:
        """``(subjects, events)`` that :meth:`proof_due` would yield in all (the dry run)."""
        ...

    def erase_proof(self, subjects: Sequence[str]) -> int:
        """Replace every event body of ``subjects`` by its tombstone (seq, hashes and pseudonymous id stay) and
        delete their subject records; the events tombstoned."""
        ...

    def start_run(self, now: datetime, at: datetime) -> int: ...

    def advance_run(self, run: int, buckets: int) -> None:
        """Count one more committed batch of ``buckets`` (call in the batch's own transaction)."""
        ...

    def finish_run(self, run: int, at: datetime) -> None: ...

    def runs(self) -> list[SweepRun]: ...


@runtime_checkable
class RetentionStore(Protocol):
    """A database with the retention tables."""

    def retention_transaction(self) -> AbstractContextManager[RetentionSession]:
        """One atomic unit: committed when the block exits normally, rolled back on an exception."""
        ...

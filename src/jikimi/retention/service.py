"""The retention service: end of purpose, operational records, legal holds and the crash-safe destruction sweep.

Transactions (each one commit, or nothing):

- :meth:`Retention.end_purpose`: the kept items are copied into their rules' vault buckets (fresh data keys), the
  kept buckets are listed with their expiry, the live bucket is crypto-shredded, the subject becomes ``withdrawn``
  with an ``end`` ledger event, and the destruction is logged;
- :meth:`Retention.record`: the record row and one vault bucket ``<rule>/<record id>`` per rule that keeps its kind,
  each with the expiry its rule gives from the record's date;
- the sweep: first the expiry keys of every day that is over are deleted, in one commit (every bucket of those days
  is unreadable from then on); then, per batch, the other due buckets (under the KEK, or due earlier today) have
  their data keys deleted, are marked shredded, logged by rule and the run's progress advanced (on SQLite, whose key
  file commits apart from the data file, the keys in a commit of their own before the rest); then each shredded
  day is marked, with one destruction-log entry per rule, in a transaction of its own; once every due key is gone,
  the ciphertext rows go in bounded chunks, one transaction each (performance.md §5: the key is what makes data
  readable). A sweep killed at any moment leaves buckets either kept (untouched), or shredded with the log entry
  written (the next run only deletes their rows, and logs nothing twice), or gone; or under an expiry key deleted
  but not yet logged, which the next run logs (it finds the day unmarked; deleting a gone key is a no-op).

Expiry keys: a bucket whose expiry is known when it is made (or when its clock starts) gets its data key wrapped
under the expiry key of its UTC day, not under the KEK; a legal hold moves the subject's keys back under the KEK,
so no day's shred can reach held data.

A bucket's expiry is fixed when its clock starts, by the policy version then in force; a later policy version does
not move it (the rules in force for each record apply). One-way items (passwords) are never kept: nothing can read
them, so no retention purpose needs them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from jikimi.clock import Clock
from jikimi.consent.ledger import chain, to_record
from jikimi.consent.model import ConsentEvent, EventKind, SubjectStatus
from jikimi.consent.ports import UnitOfWork
from jikimi.consent.service import Consents
from jikimi.errors import ConsentError, RetentionError, UnknownItemError, UnknownSubjectError
from jikimi.policy.model import ClockStart, Policy
from jikimi.retention.periods import add_period
from jikimi.retention.ports import (
    DestructionEntry,
    HoldRow,
    KeptBucket,
    RecordRow,
    RetentionSession,
    RuleCount,
)
from jikimi.retention.schedule import Keep, on_purpose_end, rule_period
from jikimi.vault.ports import FieldKind
from jikimi.vault.vault import LIVE, Vault

__all__ = ["METHOD", "Ended", "Retention", "SweepProgress", "SweepReport"]

#: How the sweep destroys (R-SEC-27), as the log and the certificate say it.
METHOD = "crypto-shred: data key deleted, then ciphertext rows deleted"
#: The clock events that all happen when a subject's whole relationship ends.
_ENDING = (
    ClockStart.WITHDRAWAL,
    ClockStart.CONTRACT_END,
    ClockStart.PURPOSE_COMPLETION,
    ClockStart.CONSENT_WITHDRAWAL,
)


@dataclass(frozen=True, slots=True)
class Ended:
    """The outcome of an end of purpose: items destroyed at once, and what is kept where until when."""

    subject: str
    status: SubjectStatus
    destroyed: tuple[str, ...]
    kept: tuple[Keep, ...]


@dataclass(frozen=True, slots=True)
class SweepProgress:
    """Told after each committed batch: buckets destroyed so far, of ``total`` due when the run began."""

    batches: int
    buckets: int
    total: int


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What a sweep destroyed (or, dry, would destroy) by rule; ``resumed`` rows were left by a killed run."""

    now: datetime
    dry_run: bool
    by_rule: tuple[RuleCount, ...]
    batches: int = 0
    resumed: int = 0
    access_records: int = 0  # access records past their own retention (R-SEC-22), destroyed by the same sweep
    # Destroyed subjects whose proof of consent ran out, and their ledger events tombstoned (retention.proof).
    consent_subjects: int = 0
    consent_events: int = 0

    @property
    def buckets(self) -> int:
        return sum(c.buckets for c in self.by_rule)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _add(done: dict[str, tuple[int, int]], counts: list[RuleCount]) -> None:
    for c in counts:
        n, items = done.get(c.rule, (0, 0))
        done[c.rule] = (n + c.buckets, items + c.fields)


def _held(session: RetentionSession, subject: str) -> bool:
    """Whether an unreleased legal hold covers ``subject``: its buckets stay under the KEK, out of any day's key."""
    return any(h.released_at is None for h in session.holds_of(subject))


def _record_id() -> str:
    return "r" + secrets.token_hex(8)


class Retention:
    """Retention for one policy, over the consent unit of work (see :class:`jikimi.engine.Engine`)."""

    def __init__(
        self,
        policy: Policy,
        uow: UnitOfWork,
        vault: Vault,
        consents: Consents,
        clock: Clock,
        *,
        new_id: Callable[[], str] = _record_id,
    ) -> None:
        self._policy = policy
        self._uow = uow
        self._vault = vault
        self._consents = consents
        self._clock = clock
        self._new_id = new_id
        self._rules = {rule.key: rule for rule in policy.retention}

    def __repr__(self) -> str:
        return f"Retention(service={self._policy.service.key!r})"

    # --- end of purpose ----------------------------------------------------------------------------------

    def end_purpose(
        self, subject: str, event: ClockStart = ClockStart.WITHDRAWAL, actor: str = "self", at: datetime | None = None
    ) -> Ended:
        """The subject's purposes all end by ``event`` (회원탈퇴, a delivery done ...): see the module doc."""
        state = self._consents.book.state(subject)
        if state is None:
            raise UnknownSubjectError(f"no subject {subject}")
        if state.record.status is SubjectStatus.REFUSED:
            raise ConsentError(f"subject {subject} was refused; its data is already destroyed")
        now = _aware(at or self._clock.now())
        clocks = {ClockStart.COLLECTION: _aware(state.record.created_at), **dict.fromkeys(_ENDING, now)}
        with self._uow.begin() as consent_session:
            session = cast(RetentionSession, consent_session)
            rows = session.read_fields(LIVE, [subject], None)
            if not rows and state.record.status is SubjectStatus.WITHDRAWN:
                return Ended(subject, SubjectStatus.WITHDRAWN, (), ())  # ended before: nothing more to do
            held = {row.item for row, _ in rows}
            readable = sorted(row.item for row, _ in rows if row.kind is not FieldKind.PASSWORD)
            values = self._vault.get(subject, readable) if readable else {}
            # Operational-record rules keep records, not live items: their clock is each record's own date.
            disposition = on_purpose_end(
                self._policy, held, event, now, clocks=clocks, exclude={ClockStart.TRANSACTION}
            )
            kept: list[Keep] = []
            under: list[str | None] = []
            held_ = _held(session, subject)
            for keep in disposition.keep:
                items = {i: values[i] for i in sorted(keep.items) if i in values}
                if not items:
                    continue  # only one-way items: nothing to keep (module doc)
                expiry_key = None if held_ else self._expiry_key(session, keep.expires_at, now)
                self._vault.put(subject, items, keep.rule, expiry_key=expiry_key)
                kept.append(Keep(keep.rule, frozenset(items), keep.expires_at, keep.use, keep.separate_storage))
                under.append(expiry_key)
            version = self._policy.version
            session.add_kept(
                [
                    KeptBucket(
                        subject, k.rule, k.rule, k.expires_at, k.use, k.separate_storage, version, None, len(k.items), x
                    )
                    for k, x in zip(kept, under, strict=True)
                ]
            )
            self._start_record_clocks(session, subject, now)
            self._vault.shred(subject, LIVE)
            if state.record.status is not SubjectStatus.WITHDRAWN:
                session.set_status(subject, SubjectStatus.WITHDRAWN, now)
            topics = tuple(sorted(set(state.granted) | set(state.in_force)))
            destroyed = tuple(sorted(held - frozenset().union(*(k.items for k in kept))))
            end = ConsentEvent(
                0, subject, EventKind.END, topics, destroyed, self._policy.version, None, None, actor, now
            )
            written = chain([end], session.ledger_head())
            session.append_records([to_record(e) for e in written])
            if rows:
                session.log_destruction(
                    [
                        DestructionEntry(
                            now, f"purpose_end:{event.value}", "live data", 1, len(rows), METHOD, self._policy.version
                        )
                    ]
                )
        self._consents.book.forget(subject)
        return Ended(subject, SubjectStatus.WITHDRAWN, destroyed, tuple(kept))

    def _start_record_clocks(self, session: RetentionSession, subject: str, now: datetime) -> None:
        """Records whose rule's clock starts at the end of the relationship get their expiry now."""
        started = []
        held = _held(session, subject)
        for bucket in session.kept_of(subject):
            rule = self._rules.get(bucket.rule)
            if bucket.expires_at is None and rule is not None and rule.starts in _ENDING:
                period = rule_period(rule)
                expiry = add_period(now, period) if period else None
                # Its data key goes under its day's expiry key, in this same transaction.
                expiry_key = None if held else self._expiry_key(session, expiry, now)
                if expiry_key is not None and not self._vault.move_key(subject, bucket.bucket, expiry_key):
                    expiry_key = None
                started.append(
                    KeptBucket(
                        bucket.subject,
                        bucket.bucket,
                        bucket.rule,
                        expiry,
                        bucket.use,
                        bucket.separate_storage,
                        bucket.policy_version,
                        bucket.record,
                        bucket.items,
                        expiry_key,
                        bucket.kind,
                        bucket.occurred_at,
                    )
                )
        session.add_kept(started)

    def expiry_key(self, expires_at: datetime) -> str | None:
        """The name of the expiry key for buckets that expire at ``expires_at`` (made if its day has none yet, in a
        transaction of its own); None if that day is already over. For bulk loads that write buckets themselves."""
        with self._uow.begin() as session:
            return self._expiry_key(cast(RetentionSession, session), expires_at, self._clock.now())

    def _expiry_key(self, session: RetentionSession, expires_at: datetime | None, now: datetime) -> str | None:
        """The expiry key a bucket expiring at ``expires_at`` goes under (made if its day has none yet); None (the
        KEK) for no expiry, or one whose day is already over: such a bucket is shredded on its own."""
        if expires_at is None:
            return None
        day = _aware(expires_at).astimezone(UTC).date()
        if day < _aware(now).astimezone(UTC).date():
            return None
        # Held open until this transaction ends, so the sweep cannot close the month while a bucket goes into it.
        if not session.open_expiry_month(day, now):
            return None  # the sweep has closed the month (its storage goes): under the KEK, shredded on its own
        name = session.expiry_key_for(day)
        # A key lost to a crash inside its first commit (SQLite writes the data file's row, then the key file's key)
        # is replaced, not reused: a bucket wrapped under it could never be read.
        if name is None or not self._vault.has_expiry_key(name):
            name = self._vault.new_expiry_key(day)  # joins this transaction: it commits with its first bucket
            session.add_expiry_key(name, day, now)
        return name

    # --- operational records -----------------------------------------------------------------------------

    def record(
        self, subject: str, kind: str, data: Mapping[str, str] | None = None, occurred_at: datetime | None = None
    ) -> str:
        """Keep one operational record of ``kind``; returns its id.

        Each rule keeping the kind gets its own bucket ``<rule>/<record id>`` (own key, own expiry) holding the
        record's items that rule lists or the kind declares.
        """
        declared = self._policy.record_kinds.get(kind)
        if declared is None:
            raise UnknownItemError(f"record kind {kind!r} is not declared in the policy")
        self._consents.subject(subject)  # UnknownSubjectError
        rules = [rule for rule in self._policy.retention if kind in rule.record_kinds]
        if not rules:
            raise RetentionError(f"no retention rule of the policy keeps record kind {kind!r}")
        values = dict(data or {})
        allowed = set(declared.items).union(*(rule.items for rule in rules))
        stray = sorted(set(values) - allowed)
        if stray:
            raise RetentionError(f"record kind {kind!r} holds no item {stray[0]!r}")
        at = _aware(occurred_at or self._clock.now())  # a time without offset is UTC, on every engine
        rid = self._new_id()
        with self._uow.begin() as consent_session:
            session = cast(RetentionSession, consent_session)
            held = _held(session, subject)
            kept = []
            for rule in rules:
                bucket = f"{rule.key}/{rid}"
                # Each rule keeps only its own items: a 3-month log rule's items never ride a 12-month copy.
                covered = set(rule.items) | set(declared.items)
                own = {k: v for k, v in values.items() if k in covered}
                period = rule_period(rule)
                expiry = add_period(at, period) if period and rule.starts is ClockStart.TRANSACTION else None
                expiry_key = None if held else self._expiry_key(session, expiry, self._clock.now())
                self._vault.put(subject, own, bucket, expiry_key=expiry_key)
                kept.append(
                    KeptBucket(
                        subject,
                        bucket,
                        rule.key,
                        expiry,
                        rule.use,
                        rule.separate_storage,
                        self._policy.version,
                        rid,
                        len(own),
                        expiry_key,
                        kind,
                        at,
                    )
                )
            session.add_kept(kept)
        return rid

    def kept(self, subject: str) -> list[KeptBucket]:
        """The buckets of ``subject`` kept under a rule and not yet destroyed."""
        with self._uow.begin() as session:
            return cast(RetentionSession, session).kept_of(subject)

    def records(self, subject: str) -> list[RecordRow]:
        with self._uow.begin() as session:
            return cast(RetentionSession, session).records_of(subject)

    def read_kept(self, subject: str, bucket: str, purpose: str) -> dict[str, str]:
        """Kept items, only for the purpose their rule keeps them for (R-RET-2); RetentionError otherwise."""
        for kept in self.kept(subject):
            if kept.bucket == bucket:
                if kept.use is None or kept.use != purpose:
                    raise RetentionError(f"bucket {bucket!r} is kept for {kept.use or 'no use'}, not for {purpose!r}")
                return self._vault.get(subject, None, bucket)
        raise RetentionError(f"subject {subject} has no kept bucket {bucket!r}")

    # --- legal holds -------------------------------------------------------------------------------------

    def place_hold(self, subject: str, reason: str, actor: str) -> int:
        """Hold the subject's data past expiry until released ("분쟁 해결 시까지"); returns the hold's id."""
        self._consents.subject(subject)  # UnknownSubjectError
        if not reason.strip():
            raise RetentionError("a legal hold needs a reason")
        # The hold commits first: from then on no bucket of the subject is made under a day's key. Then each bucket
        # already under one moves back under the KEK (its key in a commit of its own: on SQLite the key file
        # commits apart), and only then is its row cleared. A move cut short is finished by the next sweep, before
        # it deletes any day's key (``_settle_holds``).
        with self._uow.begin() as session:
            hold = cast(RetentionSession, session).add_hold(subject, reason, self._clock.now(), actor)
        for kept in self.kept(subject):
            if kept.expiry_key is not None:
                self._out_of_day(subject, kept.bucket)
        return hold

    def _out_of_day(self, subject: str, bucket: str) -> None:
        if self._uow.keys_apart:
            # The key in a commit of its own first (SQLite's key file commits apart from the data file): a crash in
            # between leaves the bucket listed under its day with its key out of it, which the sweep settles.
            if self._vault.move_key(subject, bucket, None):
                with self._uow.begin() as session:
                    cast(RetentionSession, session).clear_expiry_key(subject, bucket)
            return
        with self._uow.begin() as session:  # key, rows and listing in one commit
            if self._vault.move_key(subject, bucket, None):
                cast(RetentionSession, session).clear_expiry_key(subject, bucket)
        # else its day's key is gone: the bucket is destroyed already, and its day's log will count it

    def _shred_days(self, days: list[str]) -> None:
        """Delete the expiry keys ``days`` in one transaction that first makes sure no held bucket is under them
        (holds placed meanwhile wait for its commit: ``begin_day_shred``)."""
        for _ in range(3):
            self._settle_holds()
            with self._uow.begin() as consent_session:
                session = cast(RetentionSession, consent_session)
                session.begin_day_shred(days, self._clock.now())
                if session.held_under_expiry_keys():
                    continue  # a hold came in after the settling: settle again
                self._vault.shred_expiry_keys(days)  # joins this transaction
                return
        raise RetentionError("legal holds keep being placed on the subjects of the days due; run the sweep again")

    def _settle_holds(self) -> None:
        """Held buckets still listed under a day's key (a hold placed while they were made, a move cut short) go
        under the KEK before the sweep deletes any day's key."""
        with self._uow.begin() as session:
            stray = cast(RetentionSession, session).held_under_expiry_keys()
        for subject, bucket in stray:
            self._out_of_day(subject, bucket)

    def release_hold(self, hold: int, actor: str) -> None:
        with self._uow.begin() as session:
            if not cast(RetentionSession, session).release_hold(hold, self._clock.now(), actor):
                raise RetentionError(f"no active legal hold {hold}")

    def holds(self, subject: str) -> list[HoldRow]:
        with self._uow.begin() as session:
            return cast(RetentionSession, session).holds_of(subject)

    # --- the sweep ---------------------------------------------------------------------------------------

    def sweep(
        self,
        now: datetime | None = None,
        *,
        dry_run: bool = False,
        batch: int = 10_000,
        chunk: int = 50_000,
        progress: Callable[[SweepProgress], None] | None = None,
    ) -> SweepReport:
        """Destroy every due bucket (see the module doc); ``dry_run`` only counts them by rule."""
        if batch < 1 or chunk < 1:
            raise ValueError("batch and chunk must be positive")
        now = _aware(now or self._clock.now())
        if dry_run:
            with self._uow.begin() as session:
                return SweepReport(now, True, tuple(cast(RetentionSession, session).due_counts(now)))
        with self._uow.begin() as consent_session:
            session = cast(RetentionSession, consent_session)
            under_keys, alone = session.due_total(now)
            run = session.start_run(now, self._clock.now())
        total = under_keys + alone
        resumed = self._purge(chunk, now)  # what a killed run shredded but did not finish deleting
        done: dict[str, tuple[int, int]] = {}
        batches = buckets = 0
        # 1. Every day that is over: its expiry key, all in one commit; from it on, those days' data is unreadable.
        with self._uow.begin() as session:
            days = cast(RetentionSession, session).elapsed_expiry_keys(now)
        if days:
            self._shred_days(days)
            batches, buckets = 1, under_keys
            if progress is not None:
                progress(SweepProgress(batches, buckets, max(total, buckets)))
        # 2. The buckets no expiry key takes, batch by batch: keys deleted, marked, logged, in one commit each; where
        # the keys commit apart (SQLite's key file), the keys in a commit of their own first (see the module doc).
        while True:
            if self._uow.keys_apart:
                with self._uow.begin() as session:
                    if not cast(RetentionSession, session).delete_due_keys(now, batch):
                        break
            with self._uow.begin() as consent_session:
                session = cast(RetentionSession, consent_session)
                if self._uow.keys_apart:
                    counts = session.mark_deleted_batch()
                else:
                    counts = session.shred_due(now, batch)
                    if not counts:
                        break
                picked = sum(c.buckets for c in counts)
                session.log_destruction([self._entry(now, c, run) for c in counts])
                session.advance_run(run, picked)
            batches += 1
            buckets += picked
            _add(done, counts)
            if progress is not None:
                progress(SweepProgress(batches, buckets, max(total, buckets)))
        # 3. Each shredded day marked and logged by rule, once (a concurrent sweep may have logged it).
        for name in days:
            with self._uow.begin() as consent_session:
                session = cast(RetentionSession, consent_session)
                day = session.mark_expiry_shredded(name, self._clock.now())
                if day is not None:
                    session.log_destruction([self._entry(now, c, run) for c in day])
                    session.advance_run(run, sum(c.buckets for c in day))
                    _add(done, day)
        self._purge(chunk, now)  # every due key is gone by now: the rows left are unreadable, deleted at leisure
        with self._uow.begin() as session:
            cast(RetentionSession, session).finish_run(run, self._clock.now())
        by_rule = tuple(RuleCount(rule, n, items) for rule, (n, items) in sorted(done.items()))
        return SweepReport(now, False, by_rule, batches, resumed)

    def destruction_log(self, start: datetime, end: datetime) -> list[DestructionEntry]:
        with self._uow.begin() as session:
            return cast(RetentionSession, session).destruction_log(start, end)

    def _entry(self, now: datetime, count: RuleCount, run: int) -> DestructionEntry:
        rule = self._rules.get(count.rule)
        kind = rule.label if rule is not None else count.rule
        return DestructionEntry(now, count.rule, kind, count.buckets, count.fields, METHOD, self._policy.version, run)

    def _purge(self, chunk: int, now: datetime) -> int:
        deleted, fresh = 0, True
        while True:
            with self._uow.begin() as consent_session:
                session = cast(RetentionSession, consent_session)
                picked, rows = session.purge_shredded(chunk, fresh=fresh, now=now)
                fresh = False
                if not picked:
                    return deleted
                deleted += rows

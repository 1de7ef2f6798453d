"""The SQL implementation of :class:`jikimi.retention.ports.RetentionStore`: the consent store plus retention tables.

:class:`SqlRetentionStore` hands out :class:`SqlRetentionSession` for consent transactions too, so the consent
unit of work an :class:`~jikimi.engine.Engine` opens can write vault fields, subject status, ledger events and kept
buckets in one commit. The sweep's statements go to the driver directly, set-based: on SQLite one statement per
table per batch through a temporary batch table, on PostgreSQL one statement per batch with data-modifying CTEs
(``SqlRetentionSession.shred_due``, ``purge_shredded``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import and_, bindparam, delete, exists, func, insert, select, update

from jikimi.adapters.storage.consent_store import SqlConsentSession, SqlConsentStore
from jikimi.adapters.storage.consent_tables import consent_events, consent_subjects
from jikimi.adapters.storage.retention_tables import (
    KEPT,
    SHREDDED,
    destruction_log,
    legal_holds,
    retention_buckets,
    retention_records,
    sweep_runs,
)
from jikimi.adapters.storage.tables import data_keys, subjects
from jikimi.consent.ledger import tombstone
from jikimi.consent.model import SubjectStatus
from jikimi.retention.ports import (
    DestructionEntry,
    HoldRow,
    KeptBucket,
    RecordRow,
    RuleCount,
    SweepRun,
)

__all__ = ["SqlRetentionSession", "SqlRetentionStore", "open_retention_store"]

_ENDED = (SubjectStatus.WITHDRAWN.value, SubjectStatus.REFUSED.value)

# SQLite's set-based sweep (SqlRetentionSession.shred_due / purge_shredded): one batch of buckets, by rowid.
_BATCH_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS sweep_batch "
    "(rid INTEGER PRIMARY KEY, subject TEXT NOT NULL, bucket TEXT NOT NULL, rule TEXT NOT NULL, items INTEGER)"
)
_BATCH_RIDS = "(SELECT rid FROM temp.sweep_batch)"
# No ORDER BY beyond the index's own: sorting ties would read every due row for each batch (as ``due``).
_PICK_DUE = (
    "INSERT INTO temp.sweep_batch (rid, subject, bucket, rule, items) "
    "SELECT b.rowid, b.subject, b.bucket, b.rule, b.items FROM retention_buckets b "
    f"WHERE b.state = {KEPT} AND b.expires_at <= ? AND NOT EXISTS "
    "(SELECT 1 FROM legal_holds h WHERE h.subject = b.subject AND h.released_at IS NULL) "
    "ORDER BY b.state, b.expires_at LIMIT ?"
)
_PICK_SHREDDED = (
    "INSERT INTO temp.sweep_batch (rid, subject, bucket, rule, items) "
    f"SELECT rowid, subject, bucket, rule, items FROM retention_buckets WHERE state = {SHREDDED} LIMIT ?"
)
# By primary key, the batch sorted into a temporary index first: the keys (in the key file, another database), and
# the fields and blind-index entries by the prefix of theirs (WITHOUT ROWID tables, migration 0008).
_DELETE_BATCH = "DELETE FROM {t} WHERE (subject, bucket) IN (SELECT subject, bucket FROM temp.sweep_batch)"
_BATCH_COUNTS = "SELECT rule, count(*), sum(items) FROM temp.sweep_batch GROUP BY rule ORDER BY rule"
# A record goes with its last bucket ("<rule>/<record id>"), as _delete_orphan_records does on PostgreSQL.
_DELETE_ORPHAN_RECORDS = (
    "DELETE FROM retention_records WHERE id IN (SELECT substr(bucket, instr(bucket, '/') + 1) "
    "FROM temp.sweep_batch WHERE instr(bucket, '/') > 0) "
    "AND NOT EXISTS (SELECT 1 FROM retention_buckets b WHERE b.record = retention_records.id)"
)


# PostgreSQL's sweep: one statement per batch, no row through Python (round trips, not rows, are its cost,
# performance.md §6). Data-modifying CTEs all run, on the batch the first one picked.
_PG_SHRED_DUE = (
    "WITH batch AS (SELECT b.subject, b.bucket, b.rule, b.items FROM retention_buckets b "
    f"WHERE b.state = {KEPT} AND b.expires_at <= %s AND NOT EXISTS "
    "(SELECT 1 FROM legal_holds h WHERE h.subject = b.subject AND h.released_at IS NULL) "
    "ORDER BY b.state, b.expires_at LIMIT %s FOR UPDATE OF b), "
    "keys AS (DELETE FROM data_keys k USING batch WHERE k.subject = batch.subject AND k.bucket = batch.bucket), "
    f"marked AS (UPDATE retention_buckets t SET state = {SHREDDED} FROM batch "
    "WHERE t.subject = batch.subject AND t.bucket = batch.bucket) "
    "SELECT rule, count(*), sum(items) FROM batch GROUP BY rule ORDER BY rule"
)
# The batch is small against the tables; without this the planner hashes whole tables once per batch (measured:
# a sequential scan of every key and bucket for each 10,000 destroyed). Index probes keep a batch's cost its own.
_PG_PROBES = "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
_PG_PURGE = (
    f"WITH batch AS (SELECT subject, bucket FROM retention_buckets WHERE state = {SHREDDED} LIMIT %s "
    "FOR UPDATE), "
    "keys AS (DELETE FROM data_keys k USING batch WHERE k.subject = batch.subject AND k.bucket = batch.bucket), "
    "idx AS (DELETE FROM blind_index x USING batch WHERE x.subject = batch.subject AND x.bucket = batch.bucket), "
    "rows AS (DELETE FROM fields f USING batch WHERE f.subject = batch.subject AND f.bucket = batch.bucket "
    "RETURNING 1), "
    "gone AS (DELETE FROM retention_buckets t USING batch WHERE t.subject = batch.subject "
    "AND t.bucket = batch.bucket RETURNING t.record) "
    "SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM rows), "
    "(SELECT array_agg(DISTINCT record) FROM gone WHERE record IS NOT NULL)"
)


def _utc(at: datetime) -> datetime:
    # SQLite keeps DateTime as naive text: store UTC, and read it back as UTC.
    return at.astimezone(UTC) if at.tzinfo is not None else at


def _aware(at: Any) -> Any:
    if isinstance(at, datetime) and at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    return at


class SqlRetentionSession(SqlConsentSession):
    """Consent-session operations plus the retention tables, on one open transaction."""

    finished = False  # set by finish_run: the store settles the key file once that transaction has committed
    swept = False  # set when a batch deleted keys (shred, or a purge deleting them again)

    def add_kept(self, rows: Sequence[KeptBucket]) -> None:
        b = retention_buckets
        for row in rows:
            values = {
                "subject": row.subject,
                "bucket": row.bucket,
                "rule": row.rule,
                "record": row.record,
                "expires_at": None if row.expires_at is None else _utc(row.expires_at),
                "use": row.use,
                "separate_storage": row.separate_storage,
                "policy_version": row.policy_version,
                "items": row.items,
                "state": KEPT,
            }
            stmt = self._insert(b).values(**values)
            update_ = {k: v for k, v in values.items() if k not in ("subject", "bucket")}
            self._conn.execute(stmt.on_conflict_do_update(index_elements=["subject", "bucket"], set_=update_))

    def kept_of(self, subject: str) -> list[KeptBucket]:
        b = retention_buckets
        rows = self._conn.execute(select(b).where(b.c.subject == subject, b.c.state == KEPT).order_by(b.c.bucket))
        return [
            KeptBucket(
                r.subject,
                r.bucket,
                r.rule,
                _aware(r.expires_at),
                r.use,
                r.separate_storage,
                r.policy_version,
                r.record,
                r.items,
            )
            for r in rows
        ]

    def add_record(self, record: RecordRow) -> None:
        self._conn.execute(
            insert(retention_records).values(
                id=record.id, subject=record.subject, kind=record.kind, occurred_at=_utc(record.occurred_at)
            )
        )

    def records_of(self, subject: str) -> list[RecordRow]:
        t = retention_records
        rows = self._conn.execute(select(t).where(t.c.subject == subject).order_by(t.c.occurred_at, t.c.id))
        return [RecordRow(r.id, r.subject, r.kind, _aware(r.occurred_at)) for r in rows]

    def add_hold(self, subject: str, reason: str, at: datetime, actor: str) -> int:
        result = self._conn.execute(
            insert(legal_holds).values(subject=subject, reason=reason, placed_at=_utc(at), placed_by=actor)
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def release_hold(self, hold: int, at: datetime, actor: str) -> bool:
        h = legal_holds
        result = self._conn.execute(
            update(h).where(h.c.id == hold, h.c.released_at.is_(None)).values(released_at=_utc(at), released_by=actor)
        )
        return bool(result.rowcount)

    def holds_of(self, subject: str) -> list[HoldRow]:
        h = legal_holds
        rows = self._conn.execute(select(h).where(h.c.subject == subject).order_by(h.c.id))
        return [
            HoldRow(r.id, r.subject, r.reason, _aware(r.placed_at), r.placed_by, _aware(r.released_at), r.released_by)
            for r in rows
        ]

    def _proof_where(self, ended_before: datetime) -> Any:
        s, k, b, h = consent_subjects, data_keys, retention_buckets, legal_holds
        # The (status, updated_at) index narrows to ended subjects past the cutoff; the rest are primary-key probes.
        return and_(
            s.c.status.in_(_ENDED),
            s.c.updated_at <= _utc(ended_before),
            ~exists().where(k.c.subject == s.c.id),
            ~exists().where(b.c.subject == s.c.id),
            ~exists().where(h.c.subject == s.c.id, h.c.released_at.is_(None)),
        )

    def proof_due(self, ended_before: datetime, limit: int) -> list[str]:
        s = consent_subjects
        query = select(s.c.id).where(self._proof_where(ended_before)).order_by(s.c.status, s.c.updated_at)
        return list(self._conn.scalars(query.limit(limit)))

    def proof_counts(self, ended_before: datetime) -> tuple[int, int]:
        due = select(consent_subjects.c.id).where(self._proof_where(ended_before))
        n = self._conn.scalar(select(func.count()).select_from(due.subquery()))
        e = consent_events
        events = self._conn.scalar(select(func.count()).select_from(e).where(e.c.subject.in_(due)))
        return int(n or 0), int(events or 0)

    def erase_proof(self, subjects_: Sequence[str]) -> int:
        if not subjects_:
            return 0
        e, s = consent_events, consent_subjects
        rows = self._conn.execute(select(e.c.seq, e.c.subject).where(e.c.subject.in_(subjects_))).all()
        if rows:
            self._conn.execute(
                update(e).where(e.c.seq == bindparam("at_seq")).values(body=bindparam("tomb")),
                [{"at_seq": seq, "tomb": tombstone(seq, subject)} for seq, subject in rows],
            )
        self._conn.execute(delete(s).where(s.c.id.in_(subjects_)))
        self._conn.execute(delete(subjects).where(subjects.c.id.in_(subjects_)))
        return len(rows)

    def _due_where(self, now: datetime) -> Any:
        b, h = retention_buckets, legal_holds
        at = _utc(now)
        # A hold not yet released blocks whatever ``now`` the sweep runs as of: holds are about the present.
        held = exists().where(h.c.subject == b.c.subject, h.c.released_at.is_(None))
        return and_(b.c.state == KEPT, b.c.expires_at <= at, ~held)

    def due_counts(self, now: datetime, *, items: bool = True) -> list[RuleCount]:
        b = retention_buckets
        total = func.sum(b.c["items"]) if items else func.sum(0)
        query = select(b.c.rule, func.count(), total).where(self._due_where(now)).group_by(b.c.rule).order_by(b.c.rule)
        return [RuleCount(rule, int(n), int(fields_ or 0)) for rule, n, fields_ in self._conn.execute(query)]

    def shred_due(self, now: datetime, limit: int) -> list[RuleCount]:
        """Shred up to ``limit`` due buckets (expired, no unreleased hold): their data keys go, they are marked
        shredded; what went, by rule.

        SQLite: set-based, with no row through Python: the batch is picked through the ``(state, expires_at)``
        index into a temporary table, and each statement deletes or updates by rowid, probing the primary keys.
        """
        if not self._sql.sqlite:
            self._cursor.execute(_PG_PROBES)
            self._cursor.execute(_PG_SHRED_DUE, (_utc(now), limit))
            return [RuleCount(rule, int(n), int(items or 0)) for rule, n, items in self._cursor.fetchall()]
        cursor = self._batch_table()
        cursor.execute(_PICK_DUE, (self._sql.created_at(_utc(now)), limit))
        if cursor.rowcount <= 0:
            return []
        self.swept = True
        # The key: from this commit on the ciphertext is unreadable (performance.md §5). The blind index goes with
        # the rows (purge_shredded); searches skip entries without a key until then.
        cursor.execute(_DELETE_BATCH.format(t=self._sql.keys))
        # By rowid only: the batch was picked KEPT in this transaction, and a ``state`` term would let SQLite walk
        # the (state, expires_at) index over every kept bucket instead.
        cursor.execute(f"UPDATE retention_buckets SET state = {SHREDDED} WHERE rowid IN {_BATCH_RIDS}")
        cursor.execute(_BATCH_COUNTS)
        return [RuleCount(rule, int(n), int(items or 0)) for rule, n, items in cursor.fetchall()]

    def purge_shredded(self, limit: int) -> tuple[int, int]:
        """Purge up to ``limit`` shredded buckets: their keys (again), blind-index entries and ciphertext rows, then
        the buckets and the records left without one; (buckets, rows).

        SQLite: set-based through the temporary batch table, as :meth:`shred_due`.
        """
        if not self._sql.sqlite:
            self._cursor.execute(_PG_PROBES)
            self._cursor.execute(_PG_PURGE, (limit,))
            picked, deleted, records = self._cursor.fetchone()
            if records:
                self._delete_orphan_records(sorted(records))
            return int(picked), int(deleted)
        cursor = self._batch_table()
        cursor.execute(_PICK_SHREDDED, (limit,))
        picked = cursor.rowcount
        if picked <= 0:
            return 0, 0
        self.swept = True
        # The keys again (none, normally): on SQLite the key file commits apart from the data file, so a crash
        # inside the shred's commit may have kept a key whose bucket is marked shredded. It goes before any row.
        cursor.execute(_DELETE_BATCH.format(t=self._sql.keys))
        cursor.execute(_DELETE_BATCH.format(t="blind_index"))
        cursor.execute(_DELETE_BATCH.format(t="fields"))
        deleted = max(int(cursor.rowcount), 0)
        cursor.execute(f"DELETE FROM retention_buckets WHERE rowid IN {_BATCH_RIDS}")
        cursor.execute(_DELETE_ORPHAN_RECORDS)
        return picked, deleted

    def _batch_table(self) -> Any:
        cursor = self._cursor
        cursor.execute(_BATCH_TABLE)
        cursor.execute("DELETE FROM temp.sweep_batch")
        return cursor

    def _delete_orphan_records(self, records: Sequence[str]) -> None:
        """A record goes with its last bucket: delete those of ``records`` no bucket refers to any more."""
        r = retention_records
        orphan = ~exists().where(retention_buckets.c.record == r.c.id)
        for start in range(0, len(records), 500):
            self._conn.execute(delete(r).where(r.c.id.in_(records[start : start + 500]), orphan))

    def log_destruction(self, entries: Sequence[DestructionEntry]) -> None:
        if entries:
            self._conn.execute(
                insert(destruction_log),
                [
                    {
                        "run": e.run,
                        "at": _utc(e.at),
                        "rule": e.rule,
                        "kind": e.kind,
                        "subjects": e.subjects,
                        "items": e.items,
                        "method": e.method,
                        "policy_version": e.policy_version,
                    }
                    for e in entries
                ],
            )

    def destruction_log(self, start: datetime, end: datetime) -> list[DestructionEntry]:
        d = destruction_log
        rows = self._conn.execute(select(d).where(d.c.at >= _utc(start), d.c.at < _utc(end)).order_by(d.c.at, d.c.id))
        return [
            DestructionEntry(_aware(x.at), x.rule, x.kind, x.subjects, x.items, x.method, x.policy_version, x.run)
            for x in rows
        ]

    def start_run(self, now: datetime, at: datetime) -> int:
        result = self._conn.execute(insert(sweep_runs).values(now=_utc(now), started_at=_utc(at), batches=0, buckets=0))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def advance_run(self, run: int, buckets: int) -> None:
        s = sweep_runs
        self._conn.execute(
            update(s).where(s.c.id == run).values(batches=s.c.batches + 1, buckets=s.c.buckets + buckets)
        )

    def finish_run(self, run: int, at: datetime) -> None:
        self._conn.execute(update(sweep_runs).where(sweep_runs.c.id == run).values(finished_at=_utc(at)))
        self.finished = True

    def runs(self) -> list[SweepRun]:
        s = sweep_runs
        return [
            SweepRun(r.id, _aware(r.now), _aware(r.started_at), r.batches, r.buckets, _aware(r.finished_at))
            for r in self._conn.execute(select(s).order_by(s.c.id))
        ]


class SqlRetentionStore(SqlConsentStore):
    """A consent store with the retention tables: every transaction is a :class:`SqlRetentionSession`."""

    _session_type = SqlRetentionSession

    _swept = False  # a batch of the current sweep deleted keys: settle the key file when the run ends

    def _committed(self, session: SqlConsentSession) -> None:
        # The sweep's batches delete keys by their own statements: the key file is settled once, when a run that
        # deleted any ends (a sweep with nothing to do does not pay for a checkpoint).
        if isinstance(session, SqlRetentionSession):
            if session.swept:
                session.swept, self._swept = False, True  # sessions are kept for the next transaction
            if session.finished:
                session.finished = False
                if self._swept:
                    self._swept = False
                    self._settle_key_file()
        super()._committed(session)

    @contextmanager
    def retention_transaction(self) -> Iterator[SqlRetentionSession]:
        with self.consent_transaction() as session:
            yield cast(SqlRetentionSession, session)


def open_retention_store(url: str | None = None, *, schema: str | None = None) -> SqlRetentionStore:
    """Open (and on first use, create) the database at ``url``, like ``open_store``, with every table jikimi has."""
    from jikimi.adapters.storage import open_store  # the package imports this module's siblings first

    return SqlRetentionStore(open_store(url, schema=schema).engine)

"""The SQL implementation of :class:`jikimi.retention.ports.RetentionStore`: the consent store plus retention tables.

:class:`SqlRetentionStore` hands out :class:`SqlRetentionSession` for consent transactions too, so the consent
unit of work an :class:`~jikimi.engine.Engine` opens can write vault fields, subject status, ledger events and kept
buckets in one commit. The sweep's statements go to the driver directly, set-based: on SQLite one statement per
table per batch through a temporary batch table, on PostgreSQL one statement per batch with data-modifying CTEs
(``SqlRetentionSession.shred_due``, ``purge_shredded``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import and_, bindparam, delete, exists, func, insert, or_, select, update

from jikimi.adapters.storage.consent_store import SqlConsentSession, SqlConsentStore
from jikimi.adapters.storage.consent_tables import consent_events, consent_subjects
from jikimi.adapters.storage.partitions import (
    CLOSED,
    DROPPED,
    KEK_PART,
    OPEN,
    PARTITIONED,
    make_month,
    month_days,
    month_of,
    part_of,
    partition,
)
from jikimi.adapters.storage.retention_tables import (
    KEPT,
    PURGED,
    SHREDDED,
    destruction_log,
    expiry_keys,
    expiry_months,
    legal_holds,
    retention_buckets,
    sweep_runs,
)
from jikimi.adapters.storage.tables import data_keys, fields, subjects
from jikimi.consent.ledger import tombstone
from jikimi.consent.model import SubjectStatus
from jikimi.errors import StorageError
from jikimi.retention.ports import (
    DestructionEntry,
    HoldRow,
    KeptBucket,
    RecordRow,
    RuleCount,
    SweepRun,
)
from jikimi.vault.envelope import EXPIRY_PREFIX, EXPIRY_SUBJECT

__all__ = ["SqlRetentionSession", "SqlRetentionStore", "open_retention_store"]

_log = logging.getLogger(__name__)

_ENDED = (SubjectStatus.WITHDRAWN.value, SubjectStatus.REFUSED.value)

# SQLite's set-based sweep (SqlRetentionSession.delete_due_keys, mark_deleted_batch, purge_shredded): one batch of
# buckets, by rowid.
_BATCH_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS sweep_batch "
    "(rid INTEGER PRIMARY KEY, subject TEXT NOT NULL, bucket TEXT NOT NULL, rule TEXT NOT NULL, items INTEGER)"
)
_BATCH_RIDS = "(SELECT rid FROM temp.sweep_batch)"
_NOT_HELD = "NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.subject = b.subject AND h.released_at IS NULL)"
_INTO_BATCH = (
    "INSERT OR IGNORE INTO temp.sweep_batch (rid, subject, bucket, rule, items) "
    "SELECT b.rowid, b.subject, b.bucket, b.rule, b.items FROM "
)
# The buckets shredded one by one (the rest go with their expiry key): those of the current day, through the
# (state, expires_at) index, and those under the KEK, through (expiry_key, state, expires_at). No ORDER BY beyond
# the index's own: sorting ties would read every due row for each batch (as ``due``).
# Today's buckets only while their day's key is kept: once a sweep as of a later day has taken the key, that sweep
# logs them (two sweeps either side of midnight must not both count them).
_KEY_KEPT = (
    f"(b.expiry_key IS NULL OR EXISTS (SELECT 1 FROM expiry_keys e WHERE e.name = b.expiry_key AND e.state = {KEPT}"
    "{lock}))"
)
_PICK_TODAY = (
    f"{_INTO_BATCH}retention_buckets b WHERE b.state = {KEPT} AND b.expires_at >= ? AND b.expires_at <= ? "
    f"AND {_NOT_HELD} AND {_KEY_KEPT.format(lock='')} ORDER BY b.state, b.expires_at LIMIT ?"
)
_PICK_UNDER_KEK = (
    f"{_INTO_BATCH}retention_buckets b WHERE b.expiry_key IS NULL AND b.state = {KEPT} AND b.expires_at <= ? "
    f"AND {_NOT_HELD} ORDER BY b.expiry_key, b.state, b.expires_at LIMIT ?"
)
_PICK_SHREDDED = f"{_INTO_BATCH}retention_buckets b WHERE b.state = {SHREDDED} LIMIT ?"
# The buckets under shredded expiry keys are purged in subject order, not day by day: a day's buckets are spread
# over every subject, so purging by day would rewrite each page of ``fields`` once per day it holds (measured on
# SQLite at 1M expired subjects over 30 days: 59 s by day, 18 s in order). Their order is sorted once per connection
# into a temporary table (rebuilt when used up: it holds only what remains, and a rollback restores what a batch
# took), and each batch takes the next contiguous slice of it. The statements per driver: SQLite, PostgreSQL.
_ORDER_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS purge_order (n INTEGER PRIMARY KEY, rid INTEGER NOT NULL, "
    "subject TEXT NOT NULL, bucket TEXT NOT NULL, expiry_key TEXT NOT NULL, rule TEXT, items INTEGER)",
    "CREATE TEMP TABLE IF NOT EXISTS purge_order (n bigint PRIMARY KEY, subject text NOT NULL, bucket text NOT NULL, "
    "expiry_key text NOT NULL, part integer NOT NULL)",
)
# Kept buckets only: those marked shredded one by one are the other pick's (_PICK_SHREDDED).
_ORDER_FILL = (
    # CROSS JOIN: SQLite then walks the (few) shredded keys and each one's range of buckets, never the kept buckets.
    # ``n`` is the rowid, given in the order the sorted rows are inserted into the emptied table (a window function
    # numbering them cost twice as much: 1.9-2.3 s against 1.0-1.2 s for 300,000 buckets).
    "INSERT INTO temp.purge_order (rid, subject, bucket, expiry_key, rule, items) "
    "SELECT b.rowid, b.subject, b.bucket, b.expiry_key, b.rule, b.items "
    f"FROM expiry_keys e CROSS JOIN retention_buckets b ON b.expiry_key = e.name WHERE e.state = {SHREDDED} "
    f"AND b.state = {KEPT} ORDER BY b.subject, b.bucket",
    # Not the buckets of a closed month: its partitions are dropped whole (_PG_MONTH_BATCH).
    "INSERT INTO pg_temp.purge_order (n, subject, bucket, expiry_key, part) "
    "SELECT row_number() OVER (ORDER BY b.subject, b.bucket), b.subject, b.bucket, b.expiry_key, b.part "
    f"FROM expiry_keys e JOIN retention_buckets b ON b.expiry_key = e.name WHERE e.state = {SHREDDED} "
    f"AND b.state = {KEPT} AND NOT EXISTS (SELECT 1 FROM expiry_months m WHERE m.month = b.part "
    f"AND m.state <> {OPEN})",
)
_ORDER_NEXT = ("SELECT min(n) FROM temp.purge_order", "SELECT min(n) FROM pg_temp.purge_order")
_ORDER_DROP = ("DELETE FROM temp.purge_order WHERE n < ?", "DELETE FROM pg_temp.purge_order WHERE n < %s")
# A slice is checked against the table when taken: the same bucket (rowids are reused), still kept under the same
# shredded key (a legal hold moves a bucket out of its day: the order may be older than that, or than a concurrent
# purge).
_ORDER_TAKE = (
    "INSERT OR IGNORE INTO temp.sweep_batch (rid, subject, bucket, rule, items) "
    "SELECT b.rowid, b.subject, b.bucket, b.rule, b.items FROM temp.purge_order o "
    "JOIN retention_buckets b ON b.rowid = o.rid AND b.subject = o.subject AND b.bucket = o.bucket "
    f"AND b.expiry_key = o.expiry_key AND b.state = {KEPT} WHERE o.n >= ? AND o.n < ?"
)
_ORDER_RESET = ("DELETE FROM temp.purge_order", "DELETE FROM pg_temp.purge_order")
# Once the purge finds nothing left: expiry keys with no bucket left under them are not looked under again (on
# PostgreSQL their index ranges hold the purged buckets' dead entries until a vacuum: 0.8 s per pick at 1M).
_SETTLE_EXPIRY_KEYS = (
    f"UPDATE expiry_keys SET state = {PURGED} WHERE state = {SHREDDED} "
    "AND NOT EXISTS (SELECT 1 FROM retention_buckets b WHERE b.expiry_key = expiry_keys.name)"
)
# By primary key, the batch sorted into a temporary index first: the keys (in the key file, another database), and
# the fields and blind-index entries by the prefix of theirs (WITHOUT ROWID tables, migration 0008).
_DELETE_BATCH = "DELETE FROM {t} WHERE (subject, bucket) IN (SELECT subject, bucket FROM temp.sweep_batch)"
_BATCH_COUNTS = "SELECT rule, count(*), sum(items) FROM temp.sweep_batch GROUP BY rule ORDER BY rule"
_BATCH_STILL_KEPT = (
    "DELETE FROM temp.sweep_batch WHERE NOT EXISTS (SELECT 1 FROM retention_buckets b "
    f"WHERE b.rowid = sweep_batch.rid AND b.state = {KEPT} AND {_KEY_KEPT.format(lock='')})"
)


# PostgreSQL's sweep: one statement per batch, no row through Python (round trips, not rows, are its cost,
# performance.md §6). Data-modifying CTEs all run, on the batch the first one picked.
_PG_SHRED_DUE = (
    "WITH cand AS ((SELECT b.subject, b.bucket, b.part FROM retention_buckets b "
    f"WHERE b.state = {KEPT} AND b.expires_at >= %(today)s AND b.expires_at <= %(now)s AND {_NOT_HELD} "
    # FOR SHARE: a concurrent sweep's marking of the day's key waits for this batch, then counts without it.
    f"AND {_KEY_KEPT.format(lock=' FOR SHARE')} ORDER BY b.state, b.expires_at LIMIT %(limit)s) "
    "UNION (SELECT b.subject, b.bucket, b.part FROM retention_buckets b "
    f"WHERE b.expiry_key IS NULL AND b.state = {KEPT} AND b.expires_at <= %(now)s AND {_NOT_HELD} "
    "ORDER BY b.expiry_key, b.state, b.expires_at LIMIT %(limit)s)), "
    # ``part`` in every join: each probe then reads one partition (pruned as the join runs), not one per month.
    "batch AS (SELECT b.subject, b.bucket, b.part, b.rule, b.items FROM retention_buckets b JOIN cand c "
    f"ON b.subject = c.subject AND b.bucket = c.bucket AND b.part = c.part WHERE b.state = {KEPT} FOR UPDATE OF b), "
    "keys AS (DELETE FROM data_keys k USING batch WHERE k.subject = batch.subject AND k.bucket = batch.bucket), "
    f"marked AS (UPDATE retention_buckets t SET state = {SHREDDED} FROM batch "
    "WHERE t.subject = batch.subject AND t.bucket = batch.bucket AND t.part = batch.part) "
    "SELECT rule, count(*), sum(items) FROM batch GROUP BY rule ORDER BY rule"
)
# The batch is small against the tables; without this the planner hashes whole tables once per batch (measured:
# a sequential scan of every key and bucket for each 10,000 destroyed). Index probes keep a batch's cost its own.
_PG_PROBES = "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
_PG_PURGE = (
    f"WITH cand AS ((SELECT b.subject, b.bucket, b.part FROM retention_buckets b WHERE b.state = {SHREDDED} "
    f"AND NOT EXISTS (SELECT 1 FROM expiry_months m WHERE m.month = b.part AND m.state <> {OPEN}) LIMIT %(limit)s) "
    "UNION (SELECT o.subject, o.bucket, o.part FROM pg_temp.purge_order o JOIN retention_buckets b "
    "ON b.subject = o.subject AND b.bucket = o.bucket AND b.part = o.part AND b.expiry_key = o.expiry_key "
    f"WHERE o.n >= %(first)s AND o.n < %(upto)s AND b.state = {KEPT})), "
    # No FOR UPDATE: every statement below is a deletion, and a row a concurrent purge deleted first is skipped.
    "batch AS (SELECT subject, bucket, part FROM cand), "
    "keys AS (DELETE FROM data_keys k USING batch WHERE k.subject = batch.subject AND k.bucket = batch.bucket), "
    "idx AS (DELETE FROM blind_index x USING batch WHERE x.subject = batch.subject AND x.bucket = batch.bucket), "
    "rows AS (DELETE FROM fields f USING batch WHERE f.subject = batch.subject AND f.bucket = batch.bucket "
    "AND f.part = batch.part RETURNING 1), "
    "gone AS (DELETE FROM retention_buckets t USING batch WHERE t.subject = batch.subject "
    "AND t.bucket = batch.bucket AND t.part = batch.part RETURNING 1) "
    "SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM rows)"
)
# A closed month (:mod:`.partitions`): the next slice of its buckets, in key order, loses its data keys and
# blind-index entries; its ciphertext rows and bucket rows (operational records with them) go with its partitions,
# dropped once every slice is done (SqlRetentionStore._drop_months). Every bucket of a closed month is destroyed
# (its day's key is gone, or it was shredded on its own) but for one whose data key is under the KEK: a legal hold's
# move cut short between its key and its listing. Its day was logged with it: it goes too, its rows wherever they
# are (they moved with its key), unless its subject is still held (%(held)s, read once per call: few): then it
# moves out of the month, listing and rows, to the KEK's part. One probe of the key table per bucket.
_UNDER_KEK = f"substr(k.kek_id, 1, {len(EXPIRY_PREFIX)}) <> '{EXPIRY_PREFIX}'"
_PG_MONTH_BATCH = (
    "WITH batch AS (SELECT b.subject, b.bucket, b.items FROM retention_buckets b "
    "WHERE b.part = %(m)s AND (b.subject, b.bucket) > (%(subject)s, %(bucket)s) ORDER BY b.subject, b.bucket "
    "LIMIT %(limit)s), "
    "keep AS (SELECT batch.subject, batch.bucket FROM batch JOIN data_keys k "
    f"ON k.subject = batch.subject AND k.bucket = batch.bucket WHERE batch.subject = ANY(%(held)s) AND {_UNDER_KEK}), "
    "keys AS (DELETE FROM data_keys k USING batch WHERE k.subject = batch.subject AND k.bucket = batch.bucket "
    f"AND NOT (batch.subject = ANY(%(held)s) AND {_UNDER_KEK}) RETURNING k.subject, k.bucket, {_UNDER_KEK} AS kek), "
    "gone AS (SELECT * FROM batch WHERE NOT EXISTS (SELECT 1 FROM keep WHERE keep.subject = batch.subject "
    "AND keep.bucket = batch.bucket)), "
    f"moved AS (UPDATE retention_buckets t SET part = {KEK_PART}, expiry_key = NULL FROM keep "
    "WHERE t.subject = keep.subject AND t.bucket = keep.bucket AND t.part = %(m)s RETURNING 1), "
    f"rows_moved AS (UPDATE fields f SET part = {KEK_PART} FROM keep "
    "WHERE f.subject = keep.subject AND f.bucket = keep.bucket AND f.part = %(m)s), "
    "strays AS (DELETE FROM fields f USING keys WHERE keys.kek AND f.subject = keys.subject "
    "AND f.bucket = keys.bucket AND f.part <> %(m)s), "
    "idx AS (DELETE FROM blind_index x USING gone WHERE x.subject = gone.subject AND x.bucket = gone.bucket) "
    "SELECT (SELECT count(*) FROM batch), (SELECT coalesce(sum(items), 0) FROM gone), (SELECT count(*) FROM moved), "
    "(SELECT max(ARRAY[subject, bucket]) FROM batch)"
)
# Months that are over (as of the sweep's day) none of whose days has a key kept: closable. Each is then closed
# under its row's lock, checked again in a statement of its own (a new snapshot: it sees the key of a transaction
# that held the row, Retention._expiry_key).
_PG_MONTH_END = "make_date(m.month / 100, mod(m.month, 100), 1) + interval '1 month'"
_PG_CLOSABLE_WHERE = (
    f"m.state = {OPEN} AND {_PG_MONTH_END} <= %(today)s AND NOT EXISTS (SELECT 1 FROM expiry_keys e "
    f"WHERE e.state = {KEPT} AND e.day >= make_date(m.month / 100, mod(m.month, 100), 1) AND e.day < {_PG_MONTH_END})"
)
_PG_CLOSABLE = f"SELECT m.month FROM expiry_months m WHERE {_PG_CLOSABLE_WHERE} ORDER BY m.month"
_PG_CLOSE = (
    f"UPDATE expiry_months m SET state = {CLOSED}, closed_at = now() WHERE m.month = %(m)s AND {_PG_CLOSABLE_WHERE}"
)
_PG_ATTACHED = (
    "SELECT i.inhdetachpending FROM pg_inherits i WHERE i.inhrelid = to_regclass(%s) AND i.inhparent = to_regclass(%s)"
)
_PG_SCHEMA_OF = (
    "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(%s)"
)
_PG_DROPPED = (
    f"UPDATE expiry_months SET state = {DROPPED} WHERE month = %(m)s AND state = {CLOSED}",
    f"UPDATE expiry_keys SET state = {PURGED} WHERE state = {SHREDDED} AND day >= %(first)s AND day < %(next)s",
)


# How long the drop of a month may wait: for a lock, and in all (the detach waits for the transactions that may still
# see the partition: a long report, a stuck connection). Past that, the next sweep finishes it.
_DROP_TIMEOUTS = (("lock_timeout", "5s"), ("statement_timeout", "60s"))


def _drop_month(conn: Any, month: int) -> None:
    """Detach and drop ``month``'s partitions (see SqlRetentionStore._drop_months), if it is closed and no other
    sweep is dropping it (an advisory lock per month): two detaching one partition at once would fail one."""
    # The partitions' schema, named: a table of the same name elsewhere on the search path is never touched. The
    # lock is the schema's (advisory locks are the database's: another schema's sweep must not hold this one off).
    space = conn.exec_driver_sql(_PG_SCHEMA_OF, ("fields",)).scalar()
    lock = ("SELECT pg_try_advisory_lock(hashtext(%s), %s)", "SELECT pg_advisory_unlock(hashtext(%s), %s)")
    if not conn.exec_driver_sql(lock[0], (space, month)).scalar():
        return
    try:
        state = conn.exec_driver_sql("SELECT state FROM expiry_months WHERE month = %s", (month,)).scalar()
        if state != CLOSED:
            return
        schema = _quoted(space)
        for table in PARTITIONED:
            parent, name = f"{schema}.{_quoted(table)}", f"{schema}.{_quoted(partition(table, month))}"
            pending = conn.exec_driver_sql(_PG_ATTACHED, (name, parent)).scalar()
            if pending is not None:
                how = "FINALIZE" if pending else "CONCURRENTLY"
                conn.exec_driver_sql(f"ALTER TABLE {parent} DETACH PARTITION {name} {how}")
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        first, next_ = month_days(month)
        for sql in _PG_DROPPED:
            conn.exec_driver_sql(sql, {"m": month, "first": first, "next": next_})
    finally:
        conn.exec_driver_sql(lock[1], (space, month))


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _utc(at: datetime) -> datetime:
    # SQLite keeps DateTime as naive text: store UTC, and read it back as UTC.
    return at.astimezone(UTC) if at.tzinfo is not None else at


def _day_start(now: datetime) -> datetime:
    """The start of the UTC day ``now`` is in: the buckets due since then are shredded one by one."""
    return _utc(now).replace(hour=0, minute=0, second=0, microsecond=0)


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
            part = part_of(row.expiry_key)
            # Listed once: a row of the bucket in another part (it had no expiry yet, or another) makes way.
            self._conn.execute(delete(b).where(b.c.subject == row.subject, b.c.bucket == row.bucket, b.c.part != part))
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
                "expiry_key": row.expiry_key,
                "kind": row.kind,
                "occurred_at": None if row.occurred_at is None else _utc(row.occurred_at),
                "part": part,
            }
            stmt = self._insert(b).values(**values)
            update_ = {k: v for k, v in values.items() if k not in ("subject", "bucket", "part")}
            self._conn.execute(stmt.on_conflict_do_update(index_elements=["subject", "bucket", "part"], set_=update_))

    def kept_of(self, subject: str) -> list[KeptBucket]:
        b = retention_buckets
        query = select(b).where(b.c.subject == subject, b.c.state == KEPT, self._not_under_shredded_key(stored=True))
        rows = self._conn.execute(query.order_by(b.c.bucket))
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
                r.expiry_key,
                r.kind,
                _aware(r.occurred_at),
            )
            for r in rows
        ]

    @staticmethod
    def _not_under_shredded_key(*, stored: bool = False) -> Any:
        """The bucket is under the KEK, or under an expiry key not marked shredded; with ``stored``, one also still
        in the key table (a sweep deletes the key before it marks the day: such a bucket is destroyed, and still
        due, to be logged)."""
        b, e = retention_buckets, expiry_keys
        kept = ~exists().where(e.c.name == b.c.expiry_key, e.c.state != KEPT)
        if stored:
            kept = and_(kept, SqlRetentionSession._key_stored())
        return or_(b.c.expiry_key.is_(None), kept)

    @staticmethod
    def _key_stored() -> Any:
        """The bucket's expiry key is still in the key table (a deleted one has destroyed the bucket)."""
        k = data_keys
        return exists().where(k.c.subject == EXPIRY_SUBJECT, k.c.bucket == retention_buckets.c.expiry_key)

    def clear_expiry_key(self, subject: str, bucket: str) -> None:
        b, f = retention_buckets, fields
        self._conn.execute(
            update(b).where(b.c.subject == subject, b.c.bucket == bucket).values(expiry_key=None, part=KEK_PART)
        )
        # Its rows too (the key's move takes them; here again, should a move have been cut short before 0010): a
        # held bucket must not stay in a month whose storage the sweep drops.
        self._conn.execute(
            update(f).where(f.c.subject == subject, f.c.bucket == bucket, f.c.part != KEK_PART).values(part=KEK_PART)
        )

    def begin_day_shred(self, names: Sequence[str], at: datetime) -> None:
        e = expiry_keys
        if self._sql.sqlite:
            # The first statement of the transaction, a write: SQLite's write lock from here to the commit.
            self._conn.execute(update(e).where(e.c.name.in_(names), e.c.state == KEPT).values(shredded_at=_utc(at)))
        else:
            self._cursor.execute("LOCK TABLE legal_holds IN SHARE MODE")  # waits for, then holds off, new holds

    def held_under_expiry_keys(self) -> list[tuple[str, str]]:
        b, h = retention_buckets, legal_holds
        # From the holds (few) to their subjects' buckets by primary key: never a walk over the buckets.
        held = sorted(set(self._conn.scalars(select(h.c.subject).where(h.c.released_at.is_(None)))))
        out: list[tuple[str, str]] = []
        for start in range(0, len(held), 500):
            # Under a key still stored: one already deleted has destroyed the bucket (nothing left to move).
            query = select(b.c.subject, b.c.bucket).where(
                b.c.subject.in_(held[start : start + 500]), b.c.state == KEPT, self._key_stored()
            )
            out.extend((subject, bucket) for subject, bucket in self._conn.execute(query.order_by(b.c.subject)))
        return out

    def expiry_key_for(self, day: date) -> str | None:
        e = expiry_keys
        query = select(e.c.name).where(e.c.state == KEPT, e.c.day == day).order_by(e.c.created_at.desc(), e.c.name)
        name: str | None = self._conn.scalar(query.limit(1))
        return name

    def open_expiry_month(self, day: date, at: datetime) -> bool:
        m = expiry_months
        month = month_of(day)
        find = select(m.c.state).where(m.c.month == month)
        if self._conn.scalar(find) is None:
            if self._sql.sqlite:  # no partitions: the row alone (SQLite's write lock serialises writers)
                self._conn.execute(
                    self._insert(m).values(month=month, state=OPEN, opened_at=_utc(at)).on_conflict_do_nothing()
                )
            else:
                make_month(self._conn.engine, month, _utc(at))
        # FOR SHARE: a sweep closing the month waits for this transaction, then sees the key it makes.
        return self._conn.scalar(find.with_for_update(read=True)) == OPEN

    def add_expiry_key(self, name: str, day: date, at: datetime) -> None:
        self._conn.execute(insert(expiry_keys).values(name=name, day=day, state=KEPT, created_at=_utc(at)))

    def elapsed_expiry_keys(self, now: datetime) -> list[str]:
        e = expiry_keys
        query = select(e.c.name).where(e.c.state == KEPT, e.c.day < _utc(now).date()).order_by(e.c.state, e.c.day)
        return list(self._conn.scalars(query))

    def due_total(self, now: datetime) -> tuple[int, int]:
        b, h = retention_buckets, legal_holds
        at, today = _utc(now), _day_start(now)
        # Index-only counts where it matters: a day's buckets are one range of (expiry_key, state, expires_at), counted
        # key by key (a join would leave PostgreSQL's planner to guess how many buckets a key holds, and a wrong
        # guess scans every bucket).
        days = self.elapsed_expiry_keys(now)
        # Not with the day's part: that is not in the index, and a count by index alone reads no table (on
        # PostgreSQL at 1M: 3 ms a day; 60 ms with it, and each partition's index is one short probe anyway).
        per_day = select(func.count()).where(b.c.expiry_key == bindparam("day"), b.c.state == KEPT)
        free = ~exists().where(h.c.subject == b.c.subject, h.c.released_at.is_(None))
        today_ = select(func.count()).where(
            b.c.state == KEPT, b.c.expires_at >= today, b.c.expires_at <= at, b.c.expiry_key.is_not(None), free
        )
        kek = select(func.count()).where(b.c.expiry_key.is_(None), b.c.state == KEPT, b.c.expires_at <= at, free)
        c = self._conn.scalar
        under = sum(int(c(per_day, {"day": name}) or 0) for name in days)
        return under, int(c(today_) or 0) + int(c(kek) or 0)

    def mark_expiry_shredded(self, name: str, at: datetime) -> list[RuleCount] | None:
        e, b = expiry_keys, retention_buckets
        marked = self._conn.execute(
            update(e).where(e.c.name == name, e.c.state == KEPT).values(state=SHREDDED, shredded_at=_utc(at))
        )
        if not marked.rowcount:
            return None
        query = (
            select(b.c.rule, func.count(), func.sum(b.c["items"]))
            .where(b.c.expiry_key == name, b.c.state == KEPT)  # by the index alone (not by part: that is not in it)
            .group_by(b.c.rule)
            .order_by(b.c.rule)
        )
        return [RuleCount(rule, int(n), int(items or 0)) for rule, n, items in self._conn.execute(query)]

    def records_of(self, subject: str) -> list[RecordRow]:
        b = retention_buckets
        query = (
            select(b.c.record, b.c.kind, b.c.occurred_at)
            .where(b.c.subject == subject, b.c.record.is_not(None))
            .distinct()
            .order_by(b.c.occurred_at, b.c.record)
        )
        return [RecordRow(r.record, subject, r.kind, _aware(r.occurred_at)) for r in self._conn.execute(query)]

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
        return and_(b.c.state == KEPT, b.c.expires_at <= at, ~held, self._not_under_shredded_key())

    def due_counts(self, now: datetime) -> list[RuleCount]:
        b = retention_buckets
        query = (
            select(b.c.rule, func.count(), func.sum(b.c["items"]))
            .where(self._due_where(now))
            .group_by(b.c.rule)
            .order_by(b.c.rule)
        )
        return [RuleCount(rule, int(n), int(fields_ or 0)) for rule, n, fields_ in self._conn.execute(query)]

    def shred_due(self, now: datetime, limit: int) -> list[RuleCount]:
        """PostgreSQL: shred up to ``limit`` due buckets (expired, no unreleased hold) in one statement: their data
        keys go, they are marked shredded; what went, by rule. On SQLite the same work is two transactions
        (:meth:`delete_due_keys`, :meth:`mark_deleted_batch`)."""
        if self._sql.sqlite:  # the key file commits apart: the sweep calls the two halves in two transactions
            raise StorageError("on SQLite a batch is delete_due_keys, then mark_deleted_batch in the next transaction")
        self._cursor.execute(_PG_PROBES)
        self._cursor.execute(_PG_SHRED_DUE, {"today": _day_start(now), "now": _utc(now), "limit": limit})
        return [RuleCount(rule, int(n), int(items or 0)) for rule, n, items in self._cursor.fetchall()]

    def delete_due_keys(self, now: datetime, limit: int) -> int:
        """SQLite: pick up to ``limit`` due buckets and delete their data keys, nothing else: the first of two
        transactions (the key file commits apart from the data file, so keys go first). Set-based, with no row
        through Python: the batch is picked through the indexes into a temporary table, and each statement deletes
        or updates by rowid, probing the primary keys. How many were picked; :meth:`mark_deleted_batch` marks and
        counts them in the next transaction."""
        cursor = self._batch_table()
        at = self._sql.created_at(_utc(now))
        cursor.execute(_PICK_TODAY, (self._sql.created_at(_day_start(now)), at, limit))
        picked = max(int(cursor.rowcount), 0)
        if picked < limit:
            cursor.execute(_PICK_UNDER_KEK, (at, limit - picked))
            picked += max(int(cursor.rowcount), 0)
        if picked <= 0:
            return 0
        self.swept = True
        # The key: from this commit on the ciphertext is unreadable (performance.md §5). The blind index goes with
        # the rows (purge_shredded); searches skip entries without a key until then.
        cursor.execute(_DELETE_BATCH.format(t=self._sql.keys))
        return picked

    def mark_deleted_batch(self) -> list[RuleCount]:
        """SQLite: mark the buckets of the last :meth:`delete_due_keys` shredded, those still kept only (a concurrent
        sweep may have marked some: they are not counted twice); what this marked, by rule. Nothing if this
        connection holds no batch (the next pick finds the buckets again: still kept, their keys gone)."""
        cursor = self._cursor
        cursor.execute(_BATCH_TABLE)
        cursor.execute(_BATCH_STILL_KEPT)
        # By rowid only: a ``state`` term would let SQLite walk the (state, expires_at) index over every kept bucket.
        cursor.execute(f"UPDATE retention_buckets SET state = {SHREDDED} WHERE rowid IN {_BATCH_RIDS}")
        cursor.execute(_BATCH_COUNTS)
        return [RuleCount(rule, int(n), int(items or 0)) for rule, n, items in cursor.fetchall()]

    def purge_shredded(self, limit: int, *, fresh: bool = False, now: datetime | None = None) -> tuple[int, int]:
        """Purge up to ``limit`` shredded buckets: their keys (again), blind-index entries and ciphertext rows, then
        the buckets and the records left without one; (buckets, rows). ``fresh``: the first batch of a purge (the
        order of an earlier one is dropped).

        SQLite: set-based through the temporary batch table, as :meth:`shred_due`. PostgreSQL: closed months first
        (:meth:`_month_batch`), then the rest, row by row.
        """
        engine = 0 if self._sql.sqlite else 1
        if fresh:
            self._cursor.execute(_ORDER_TABLE[engine])
            self._cursor.execute(_ORDER_RESET[engine])
            self._month, self._tried = None, frozenset()
        if engine:
            self._cursor.execute(_PG_PROBES)
            month = self._month_batch(limit, None if now is None else _utc(now).date())
            if month is not None:
                return month
            refill = True
            while True:  # a slice found wholly gone (a concurrent purge) does not end the purge
                first = self._order_next(refill=refill) or 0
                refill = False
                self._cursor.execute(_PG_PURGE, {"limit": limit, "first": first, "upto": first + limit})
                picked, deleted = self._cursor.fetchone()
                self._cursor.execute(_ORDER_DROP[1], (first + limit,))
                if picked or not first:
                    break
            if not picked:
                self._cursor.execute(_SETTLE_EXPIRY_KEYS)
            return int(picked), int(deleted)
        cursor = self._batch_table()
        cursor.execute(_PICK_SHREDDED, (limit,))
        picked = max(int(cursor.rowcount), 0)
        refill = True  # at most once per batch: a refill finds only what is left
        while picked < limit:
            start = self._order_next(refill=refill)
            refill = False
            if start is None:
                break
            upto = start + limit - picked
            cursor.execute(_ORDER_TAKE, (start, upto))
            taken = max(int(cursor.rowcount), 0)
            cursor.execute(_ORDER_DROP[0], (upto,))  # in this transaction: a rollback puts them back
            picked += taken
            if taken:
                break  # else the slice was wholly gone (a concurrent purge): the next one
        if picked <= 0:
            cursor.execute(_SETTLE_EXPIRY_KEYS)
            return 0, 0
        self.swept = True
        # The data keys under a shredded expiry key (unreadable: their wrapping key is gone), and those of buckets
        # marked shredded (none: they went first). Before any row.
        cursor.execute(_DELETE_BATCH.format(t=self._sql.keys))
        cursor.execute(_DELETE_BATCH.format(t="blind_index"))
        cursor.execute(_DELETE_BATCH.format(t="fields"))
        deleted = max(int(cursor.rowcount), 0)
        cursor.execute(f"DELETE FROM retention_buckets WHERE rowid IN {_BATCH_RIDS}")  # records go with them
        return picked, deleted

    def _order_next(self, *, refill: bool = True) -> int | None:
        """The first position left in this connection's purge order (sorted now if it was used up and ``refill``),
        or None if no bucket is left under a shredded expiry key."""
        engine = 0 if self._sql.sqlite else 1
        cursor = self._cursor
        cursor.execute(_ORDER_TABLE[engine])
        cursor.execute(_ORDER_NEXT[engine])
        first = cursor.fetchone()[0]
        if first is None and refill:
            cursor.execute(_ORDER_FILL[engine])
            cursor.execute(_ORDER_NEXT[engine])
            first = cursor.fetchone()[0]
        return None if first is None else int(first)

    def _batch_table(self) -> Any:
        cursor = self._cursor
        cursor.execute(_BATCH_TABLE)
        cursor.execute("DELETE FROM temp.sweep_batch")
        return cursor

    # PostgreSQL's closed months (:mod:`.partitions`): this connection's month in progress (and where its next slice
    # begins), and the months done with in this purge (one whose drop failed is not taken again until the next).
    _month: tuple[int, str, str] | None = None
    _tried: frozenset[int] = frozenset()
    #: Months whose every slice is done: the store drops their partitions once this transaction has committed.
    drop_months: tuple[int, ...] = ()

    def _month_batch(self, limit: int, today: date | None) -> tuple[int, int] | None:
        """PostgreSQL: the next slice of a closed month (first closing the months over by ``today`` that can be):
        (buckets, fields of those destroyed), whose rows go with the month's partitions; None if no closed month is
        left for this purge."""
        if self._month is None:
            month = self._next_closed_month(today)
            if month is None:
                return None
            self._month = (month, "", "")
        month, subject, bucket = self._month
        held = sorted(set(self._conn.scalars(select(legal_holds.c.subject).where(legal_holds.c.released_at.is_(None)))))
        args = {"m": month, "subject": subject, "bucket": bucket, "limit": limit, "held": held}
        self._cursor.execute(_PG_MONTH_BATCH, args)
        picked, items, moved, last = self._cursor.fetchone()
        if moved:
            _log.warning("expiry month %d: %d held buckets listed in it moved out before its drop", month, moved)
        if picked < limit:
            self._tried |= {month}
            self._month = None
            self.drop_months = (*self.drop_months, month)
            if not picked:
                return self._month_batch(limit, today)
        else:
            self._month = (month, last[0], last[1])
        return int(picked), int(items)

    def _next_closed_month(self, today: date | None) -> int | None:
        """Close every month over by ``today`` none of whose days has a key kept (each under its row's lock, checked
        again), then the first closed month not yet tried in this purge."""
        cursor = self._cursor
        if today is not None:
            cursor.execute(_PG_CLOSABLE, {"today": today})
            for (month,) in cursor.fetchall():
                # Waits for a transaction making a key of the month (Retention._expiry_key holds it FOR SHARE).
                cursor.execute("SELECT 1 FROM expiry_months WHERE month = %s FOR UPDATE", (month,))
                cursor.execute(_PG_CLOSE, {"m": month, "today": today})
        m = expiry_months
        query = select(m.c.month).where(m.c.state == CLOSED).order_by(m.c.month)
        return next((month for month in self._conn.scalars(query) if month not in self._tried), None)

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
            if session.drop_months:
                months, session.drop_months = session.drop_months, ()
                self._drop_months(months)
            if session.swept:
                session.swept, self._swept = False, True  # sessions are kept for the next transaction
            if session.finished:
                session.finished = False
                if self._swept:
                    self._swept = False
                    self._settle_key_file()
        super()._committed(session)

    def _drop_months(self, months: Sequence[int]) -> None:
        """PostgreSQL, after the commit of a closed month's last slice: detach its partitions ``CONCURRENTLY`` (reads
        and writes of the other months go on; it waits for the transactions that may still see them), drop them,
        and mark the month dropped and its keys purged. Each step can be run again: a detach cut short is finished
        (``FINALIZE``). One that fails, or waits longer than ``_DROP_TIMEOUTS`` allow, is logged and left to the next
        sweep (the month stays closed, its rows unreadable): it never fails the sweep, whose work is committed."""
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")  # DETACH ... CONCURRENTLY needs it
                for setting, value in _DROP_TIMEOUTS:
                    conn.exec_driver_sql(f"SET {setting} = '{value}'")
                try:
                    for month in months:
                        _drop_month(conn, month)
                finally:
                    for setting, _ in _DROP_TIMEOUTS:
                        conn.exec_driver_sql(f"RESET {setting}")  # the connection goes back to the pool
        except Exception as error:  # after the commit: reclaiming storage must not look like a failed sweep
            state = getattr(getattr(error, "orig", None), "sqlstate", None)
            why = f"SQLSTATE {state}" if state else type(error).__name__
            _log.warning("expiry months %s: partitions not dropped (%s); left to the next sweep", list(months), why)

    @contextmanager
    def retention_transaction(self) -> Iterator[SqlRetentionSession]:
        with self.consent_transaction() as session:
            yield cast(SqlRetentionSession, session)


def open_retention_store(url: str | None = None, *, schema: str | None = None) -> SqlRetentionStore:
    """Open (and on first use, create) the database at ``url``, like ``open_store``, with every table jikimi has."""
    from jikimi.adapters.storage import open_store  # the package imports this module's siblings first

    return SqlRetentionStore(open_store(url, schema=schema).engine)

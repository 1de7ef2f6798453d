"""The SQLAlchemy implementation of :class:`jikimi.vault.ports.VaultStore`: one schema, SQLite and PostgreSQL.

Long lists are cut into chunks so no statement exceeds a driver's bound-parameter limit; upserts use each dialect's
``INSERT ... ON CONFLICT`` so a bulk write stays one ``executemany``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, exists, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.pool import PoolProxiedConnection

from jikimi.adapters.storage.partitions import KEK_PART, OPEN, make_month, part_of
from jikimi.adapters.storage.tables import KEYS_SCHEMA, blind_index, data_keys, fields, meta, subjects
from jikimi.errors import VaultError
from jikimi.vault.envelope import EXPIRY_PREFIX, EXPIRY_SUBJECT
from jikimi.vault.ports import DataKey, FieldKind, FieldRow, FieldTuple, IndexRow, RawField
from jikimi.vault.storage import LIVE

__all__ = ["SqlVaultSession", "SqlVaultStore", "driver_cursor"]

_IDLE_READERS = 4
_CHUNK = 500  # well under SQLite's and psycopg's parameter limits, large enough to amortise a round trip


# The hottest statements bypass SQLAlchemy's per-row parameter processing (a third of a bulk write's time): plain
# SQL that SQLite and PostgreSQL both accept, sent to the driver's executemany. Placeholders differ by driver.
# Live rows take the KEK's part (the column's default); rows of other buckets the part of their key's wrapper
# (:mod:`.partitions`), given.
_UPSERT_FIELDS = (
    "INSERT INTO fields (subject, bucket, item, kind, value{part}) VALUES ({p}, {p}, {p}, {p}, {p}{mark}) "
    "ON CONFLICT (subject, bucket, item, part) DO UPDATE SET kind = excluded.kind, value = excluded.value"
)
# A bucket's rows follow its key into the part of its new wrapper (a legal hold, a clock that starts).
_MOVE_FIELDS = "UPDATE fields SET part = {p} WHERE subject = {p} AND bucket = {p} AND part <> {p}"
_KEK_IDS = "SELECT subject, kek_id FROM {keys} WHERE bucket = {p} AND subject IN ({ps})"
_UPSERT_INDEX = (
    "INSERT INTO blind_index (subject, bucket, item, digest) VALUES ({p}, {p}, {p}, {p}) "
    "ON CONFLICT (subject, bucket, item) DO UPDATE SET digest = excluded.digest"
)
# {keys}: the key table, in the key database of its own (tables.KEYS_SCHEMA).
# {live}: live data is in the KEK's part; on PostgreSQL the planner then reads that one partition.
_READ_SUBJECT = (
    "SELECT f.item, f.kind, f.value, k.key_version, k.kek_id, k.wrapped FROM fields f "
    "JOIN {keys} k ON k.subject = f.subject AND k.bucket = f.bucket "
    "WHERE f.bucket = {p} AND f.subject = {p}{live}"
)


_GET_KEYS_RAW = "SELECT subject, key_version, kek_id, wrapped FROM {keys} WHERE bucket = {p} AND subject IN ({ps})"
_READ_RAW = (
    "SELECT f.subject, f.item, f.kind, f.value, k.key_version, k.kek_id, k.wrapped FROM fields f "
    "JOIN {keys} k ON k.subject = f.subject AND k.bucket = f.bucket "
    "WHERE f.bucket = {p} AND f.subject IN ({ps}){live}"
)
_ADD_SUBJECTS = "INSERT INTO subjects (id, created_at) VALUES ({p}, {p}) ON CONFLICT (id) DO NOTHING"
_ADD_KEYS = (
    "INSERT INTO {keys} (subject, bucket, key_version, kek_id, wrapped, created_at) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p})"
)


# An entry whose key is shredded (its rows not yet purged) finds nobody; nor does one whose key is under a shredded
# expiry key (docs/retention.md, "Expiry keys"). substr, not LIKE: a literal % would need escaping for psycopg.
_FIND = (
    "SELECT DISTINCT b.subject FROM blind_index b WHERE b.item = {p} AND b.digest = {p} "
    "AND EXISTS (SELECT 1 FROM {keys} k WHERE k.subject = b.subject AND k.bucket = b.bucket "
    f"AND (substr(k.kek_id, 1, {len(EXPIRY_PREFIX)}) <> '{EXPIRY_PREFIX}' OR EXISTS (SELECT 1 FROM {{keys}} e "
    f"WHERE e.subject = '{EXPIRY_SUBJECT}' AND e.bucket = k.kek_id))) ORDER BY b.subject"
)


class _Sql:
    """The raw SQL of one driver (placeholders differ), with ``IN`` lists built once per length."""

    def __init__(self, dialect: Any) -> None:
        p = "%s" if dialect.name == "postgresql" else "?"
        self.sqlite = dialect.name == "sqlite"
        self.p = p
        self.keys = keys = f"{KEYS_SCHEMA}.data_keys" if self.sqlite else "data_keys"
        self.upsert_fields = _UPSERT_FIELDS.format(p=p, part="", mark="")
        self.upsert_parted = _UPSERT_FIELDS.format(p=p, part=", part", mark=f", {p}")
        self.move_fields = _MOVE_FIELDS.format(p=p)
        self.upsert_index = _UPSERT_INDEX.format(p=p)
        self.read_subject = {live: _READ_SUBJECT.format(p=p, keys=keys, live=_live(live)) for live in (False, True)}
        self.add_subjects = _ADD_SUBJECTS.format(p=p)
        self.find = _FIND.format(p=p, keys=keys)
        self.add_keys = _ADD_KEYS.format(p=p, keys=keys)
        self.delete_keys = f"DELETE FROM {keys} WHERE (subject, bucket) IN (SELECT value, ? FROM json_each(?))"
        # SQLite stores DateTime as text in SQLAlchemy's own format: convert exactly as SQLAlchemy would (on SQLite by
        # the C isoformat, a third of SQLAlchemy's processor; a test checks they agree).
        self.created_at: Callable[[Any], Any] = (
            _sqlite_time
            if self.sqlite
            else subjects.c.created_at.type.dialect_impl(dialect).bind_processor(dialect) or _same
        )
        self._get_keys: dict[int, str] = {}
        self._read: dict[tuple[int, int, bool], str] = {}

    def get_keys(self, n: int) -> str:
        sql = self._get_keys.get(n)
        if sql is None:
            sql = self._get_keys[n] = _GET_KEYS_RAW.format(p=self.p, ps=", ".join([self.p] * n), keys=self.keys)
        return sql

    def kek_ids(self, n: int) -> str:
        return _KEK_IDS.format(p=self.p, ps=", ".join([self.p] * n), keys=self.keys)

    def read(self, n: int, items: int = 0, *, live: bool = False) -> str:
        """The read of ``n`` subjects' fields; of ``items`` items only if not 0 (half the rows for half the items);
        ``live``: of the live bucket."""
        sql = self._read.get((n, items, live))
        if sql is None:
            sql = _READ_RAW.format(p=self.p, ps=", ".join([self.p] * n), keys=self.keys, live=_live(live))
            if items:
                sql += " AND f.item IN ({})".format(", ".join([self.p] * items))
            self._read[(n, items, live)] = sql
        return sql


def _live(live: bool) -> str:
    return f" AND f.part = {KEK_PART}" if live else ""


_SQL: dict[str, _Sql] = {}


def _sqlite_time(at: datetime) -> str:
    """SQLAlchemy's SQLite text for ``at`` (its wall clock, "%Y-%m-%d %H:%M:%S.%f"), by the C ``isoformat``."""
    return at.replace(tzinfo=None).isoformat(" ", "microseconds")


def _same(value: Any) -> Any:
    return value


def _sql(dialect: Any) -> _Sql:
    sql = _SQL.get(dialect.name)
    if sql is None:
        sql = _SQL[dialect.name] = _Sql(dialect)
    return sql


def driver_cursor(driver: Any, **named: Any) -> Any:
    """A cursor on a driver connection for reads of many bytes. On PostgreSQL its results come in binary form: a
    ``bytea`` value arrives as its bytes, not as hexadecimal text twice its size for the server to write and the
    client to decode (verification of the access record from 356,000 to 531,000 records/s, docs/performance.md).
    The rows hold the same Python types either way. Such a cursor runs one statement per call (the extended
    protocol). ``named``: psycopg's server-side cursor options (``name``); SQLite's cursor streams as it is."""
    if isinstance(driver, sqlite3.Connection):
        return driver.cursor()
    return driver.cursor(binary=True, **named)


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqlVaultSession:
    """The vault's operations on one open transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        self._sql = _sql(conn.dialect)
        # The hot statements go to the driver's cursor directly, inside the transaction SQLAlchemy opened: a
        # statement through SQLAlchemy costs more than running it (performance.md).
        self._cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        #: Set when this transaction deleted data keys: the store then settles the key file after the commit.
        self.keys_deleted = False

    @cached_property
    def _reads(self) -> Any:
        """The cursor of the reads that bring back ciphertext, keys or ledger bodies: in binary form on PostgreSQL,
        a cursor of its own (binary results take the extended protocol, one statement per call), made on the
        transaction's first such read; on SQLite the one cursor."""
        if self._sql.sqlite:
            return self._cursor
        return driver_cursor(self._conn.connection.driver_connection)

    def get_keys(self, bucket: str, subjects_: Sequence[str]) -> dict[str, DataKey]:
        out: dict[str, DataKey] = {}
        cursor = self._reads
        for chunk in _chunks(subjects_):
            cursor.execute(self._sql.get_keys(len(chunk)), (bucket, *chunk))
            for subject, version, kek_id, wrapped in cursor.fetchall():
                out[subject] = DataKey(subject, bucket, version, kek_id, bytes(wrapped))
        return out

    def add_keys(self, keys: Sequence[DataKey], created_at: datetime, *, subjects: bool = True) -> None:
        if subjects:
            self.add_subjects([k.subject for k in keys], created_at)
        when = self._sql.created_at(created_at)
        if not self._sql.sqlite:
            # An expiry key's month needs its partitions before any row goes under the key (made apart: .partitions).
            for month in {part_of(k.bucket) for k in keys if k.subject == EXPIRY_SUBJECT}:
                make_month(self._conn.engine, month, created_at)
                state = self._conn.exec_driver_sql("SELECT state FROM expiry_months WHERE month = %s", (month,))
                if state.scalar() != OPEN:
                    # Closed or reclaimed by the sweep: a row of it would have no partition, or be dropped with it.
                    # RetentionService.expiry_key puts such a day's buckets under the KEK instead.
                    raise VaultError(
                        f"expiry month {month // 100:04d}-{month % 100:02d} is closed (its storage is reclaimed by "
                        "the sweep): no new expiry key of its days; keep such buckets under the KEK"
                    )
        self._cursor.executemany(
            self._sql.add_keys, [(k.subject, k.bucket, k.key_version, k.kek_id, k.wrapped, when) for k in keys]
        )

    def add_subjects(self, subjects_: Sequence[str], created_at: datetime) -> None:
        when = self._sql.created_at(created_at)
        self._cursor.executemany(self._sql.add_subjects, [(s, when) for s in dict.fromkeys(subjects_)])

    def put_fields(self, rows: Sequence[FieldRow]) -> None:
        self.put_field_tuples([(r.subject, r.bucket, r.item, int(r.kind), r.value) for r in rows])

    def put_field_tuples(self, rows: Sequence[FieldTuple]) -> None:
        """:meth:`put_fields` of plain (subject, bucket, item, kind, value) tuples (see ports.FieldTuple).

        Rows of a bucket other than live go to the part of their data key's wrapper (:mod:`.partitions`): the key
        must be stored first, as the vault does."""
        if not rows:
            return
        if all(row[1] == LIVE for row in rows):  # a sign-up's, the hot path
            self._cursor.executemany(self._sql.upsert_fields, rows)
            return
        by_bucket: dict[str, list[str]] = {}
        for row in rows:
            by_bucket.setdefault(row[1], []).append(row[0])
        parts = {
            (subject, bucket): part
            for bucket, subjects_ in by_bucket.items()
            for subject, part in self._parts(bucket, list(dict.fromkeys(subjects_))).items()
        }
        self._cursor.executemany(
            self._sql.upsert_parted, [(*row, parts.get((row[0], row[1]), KEK_PART)) for row in rows]
        )

    def _parts(self, bucket: str, subjects_: Sequence[str]) -> dict[str, int]:
        """The part of each subject's rows in ``bucket``: that of its data key's wrapper."""
        if bucket == LIVE:
            return dict.fromkeys(subjects_, KEK_PART)
        out: dict[str, int] = {}
        for chunk in _chunks(subjects_):
            self._cursor.execute(self._sql.kek_ids(len(chunk)), (bucket, *chunk))
            out.update((subject, part_of(kek_id)) for subject, kek_id in self._cursor.fetchall())
        return out

    def put_index(self, rows: Sequence[IndexRow]) -> None:
        if rows:
            params = [(r.subject, r.bucket, r.item, r.digest) for r in rows]
            self._cursor.executemany(self._sql.upsert_index, params)

    def read_fields(
        self, bucket: str, subjects_: Sequence[str], items: Sequence[str] | None
    ) -> list[tuple[FieldRow, DataKey]]:
        # Items are filtered here rather than in SQL: a subject's fields are one short primary-key range, and one
        # prepared statement for every call is faster than a statement per item list.
        wanted = None if items is None else set(items)
        live = bucket == LIVE
        if len(subjects_) == 1:
            subject = subjects_[0]
            out = []
            self._reads.execute(self._sql.read_subject[live], (bucket, subject))
            for item, kind, value, version, kek_id, wrapped in self._reads.fetchall():
                if wanted is None or item in wanted:
                    key = DataKey(subject, bucket, version, kek_id, bytes(wrapped))
                    out.append((FieldRow(subject, bucket, item, FieldKind(kind), bytes(value)), key))
            return out
        out = []
        for chunk in _chunks(subjects_):
            self._reads.execute(self._sql.read(len(chunk), live=live), (bucket, *chunk))
            for subject, item, kind, value, version, kek_id, wrapped in self._reads.fetchall():
                if wanted is not None and item not in wanted:
                    continue
                key = DataKey(subject, bucket, version, kek_id, bytes(wrapped))
                out.append((FieldRow(subject, bucket, item, FieldKind(kind), bytes(value)), key))
        return out

    def find_subjects(self, item: str, digest: bytes) -> list[str]:
        self._cursor.execute(self._sql.find, (item, digest))
        return [row[0] for row in self._cursor.fetchall()]

    def delete_keys(self, bucket: str, subjects_: Sequence[str]) -> int:
        """Delete the keys of ``subjects_`` in ``bucket``: from this commit on their ciphertext is unreadable.

        The blind-index entries go with the rows (:meth:`delete_fields`); until then :meth:`find_subjects` skips
        them, as it skips any entry without a key.
        """
        self.keys_deleted = True
        if self._sql.sqlite:
            # One statement per 100,000 subjects: SQLite sorts the JSON list into a temporary index and walks the
            # key table's primary key in order, with no Python per subject.
            deleted = 0
            for chunk in _chunks(subjects_, 100_000):
                self._cursor.execute(self._sql.delete_keys, (bucket, json.dumps(list(chunk))))
                deleted += max(int(self._cursor.rowcount), 0)
            return deleted
        deleted = 0
        for chunk in _chunks(subjects_):
            result = self._conn.execute(
                delete(data_keys).where(data_keys.c.bucket == bucket, data_keys.c.subject.in_(chunk))
            )
            deleted += result.rowcount
        return deleted

    def delete_fields(self, bucket: str, subjects_: Sequence[str]) -> int:
        deleted = 0
        for chunk in _chunks(subjects_):
            # The blind index goes with the rows: after a purge no search can find the subject (R-SEC-27).
            self._conn.execute(
                delete(blind_index).where(blind_index.c.bucket == bucket, blind_index.c.subject.in_(chunk))
            )
            rows = delete(fields).where(fields.c.bucket == bucket, fields.c.subject.in_(chunk))
            if bucket == LIVE:
                rows = rows.where(fields.c.part == KEK_PART)  # one partition on PostgreSQL, not every month's
            deleted += self._conn.execute(rows).rowcount
        return deleted

    def delete_orphan_fields(self, limit: int) -> int:
        has_key = exists().where(data_keys.c.subject == fields.c.subject, data_keys.c.bucket == fields.c.bucket)
        pairs = self._conn.execute(
            select(fields.c.subject, fields.c.bucket).where(~has_key).distinct().limit(limit)
        ).all()
        by_bucket: dict[str, list[str]] = {}
        for subject, bucket in pairs:
            by_bucket.setdefault(bucket, []).append(subject)
        return sum(self.delete_fields(bucket, subs) for bucket, subs in by_bucket.items())

    def keys_page(self, after: tuple[str, str] | None, limit: int) -> list[DataKey]:
        # FOR UPDATE (PostgreSQL; SQLite's write lock serialises anyway): a shred and a new put of the same
        # subject cannot slip in between reading a key here and re-wrapping it in `rewrap`, which would otherwise
        # overwrite the new key with the old one and make the new data unreadable.
        query = select(data_keys).order_by(data_keys.c.subject, data_keys.c.bucket).limit(limit).with_for_update()
        if after is not None:
            query = query.where(tuple_(data_keys.c.subject, data_keys.c.bucket) > tuple_(*after))
        return [DataKey(r.subject, r.bucket, r.key_version, r.kek_id, r.wrapped) for r in self._conn.execute(query)]

    def rewrap(self, keys: Sequence[DataKey]) -> None:
        if not keys:
            return
        stmt = (
            update(data_keys)
            .where(data_keys.c.subject == bindparam("b_subject"), data_keys.c.bucket == bindparam("b_bucket"))
            .values(kek_id=bindparam("b_kek_id"), wrapped=bindparam("b_wrapped"))
        )
        params: list[dict[str, Any]] = [
            {"b_subject": k.subject, "b_bucket": k.bucket, "b_kek_id": k.kek_id, "b_wrapped": k.wrapped} for k in keys
        ]
        self._conn.execute(stmt, params)
        # The rows follow their key into the part of its new wrapper (live data is always under the KEK).
        moves = [
            (part, k.subject, k.bucket, part)
            for k in keys
            if k.bucket != LIVE and k.subject != EXPIRY_SUBJECT  # an expiry key has no rows of its own
            for part in (part_of(k.kek_id),)
        ]
        if moves:
            self._cursor.executemany(self._sql.move_fields, moves)

    def count_keys(self, kek_id: str | None = None, *, prefix: bool = False) -> int:
        query = select(func.count()).select_from(data_keys)
        if kek_id is not None:
            query = query.where(data_keys.c.kek_id.startswith(kek_id) if prefix else data_keys.c.kek_id == kek_id)
        return int(self._conn.scalar(query) or 0)

    def get_meta(self, key: str) -> bytes | None:
        value: bytes | None = self._conn.scalar(select(meta.c.value).where(meta.c.key == key))
        return value

    def set_meta(self, key: str, value: bytes) -> None:
        stmt = self._insert(meta).values(key=key, value=value)
        self._conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))

    def delete_meta(self, key: str) -> None:
        self._conn.execute(delete(meta).where(meta.c.key == key))

    def meta_keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self._conn.scalars(select(meta.c.key)) if k.startswith(prefix))


class SqlVaultStore:
    """A :class:`~jikimi.vault.ports.VaultStore` over a SQLAlchemy engine; build it with ``open_store(url)``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # On SQLite the keys are in a file of their own, committed apart from the data (VaultStore's doc).
        self.keys_apart = engine.dialect.name == "sqlite"
        # Driver connections (with a cursor) kept between reads: a pool checkout costs a third of a point read.
        # At most _IDLE_READERS are held; list pop/append are atomic, so threads can share the list.
        self._idle: list[tuple[PoolProxiedConnection, Any]] = []

    @contextmanager
    def transaction(self) -> Iterator[SqlVaultSession]:
        with self.engine.begin() as conn:
            session = SqlVaultSession(conn)
            yield session
        if session.keys_deleted:
            self._settle_key_file()

    def _settle_key_file(self) -> None:
        """After a commit that deleted keys (a shred, the end of a sweep): on SQLite, copy the key file's WAL into
        it and truncate the WAL, so that older page images of the deleted keys do not stay there until the next
        checkpoint (the file itself overwrites them: ``secure_delete``). Best effort: a reader still open elsewhere
        can keep the WAL until its own checkpoint. Nothing to do on PostgreSQL."""
        if not self.keys_apart:
            return
        raw = self.engine.raw_connection()
        try:
            raw.driver_connection.execute(f"PRAGMA {KEYS_SCHEMA}.wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()

    def read_rows(self, bucket: str, subjects_: Sequence[str], items: Sequence[str] | None = None) -> list[RawField]:
        """The fields of ``subjects_`` in ``bucket`` (only ``items`` if given) with their data keys, as plain tuples
        (the hot read path).

        One statement per 500 subjects on a driver connection, without SQLAlchemy's per-call machinery. A single
        statement is atomic on its own; several run in one read transaction. Nothing stays open afterwards.
        """
        sql = _sql(self.engine.dialect)
        try:
            raw, cursor = self._idle.pop()
        except IndexError:
            raw = self.engine.raw_connection()
            cursor = driver_cursor(raw.driver_connection)
        done = False
        try:
            several = len(subjects_) > _CHUNK
            if several and sql.sqlite:
                cursor.execute("BEGIN")
            out: list[RawField] = []
            wanted = () if items is None else tuple(dict.fromkeys(items))
            live = bucket == LIVE
            for chunk in _chunks(subjects_):
                cursor.execute(sql.read(len(chunk), len(wanted), live=live), (bucket, *chunk, *wanted))
                out.extend(cursor.fetchall())
            if several and sql.sqlite:
                cursor.execute("COMMIT")
            elif not sql.sqlite:
                raw.driver_connection.rollback()  # type: ignore[union-attr]  # end the read-only transaction
            done = True
        finally:
            if done and len(self._idle) < _IDLE_READERS:
                self._idle.append((raw, cursor))
            else:
                raw.close()  # back to the pool, which rolls back whatever is still open
        return out

    def close(self) -> None:
        while self._idle:
            self._idle.pop()[0].close()
        self.engine.dispose()

    def __repr__(self) -> str:
        # The URL without its password.
        return f"SqlVaultStore({self.engine.url.render_as_string(hide_password=True)!r})"

"""The SQL implementation of :class:`jikimi.access.ports.AccessStore`, on the vault store's engine."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, delete, insert, select, update

from jikimi.access.model import Operator, Restriction, RestrictionKind
from jikimi.access.ports import Restricted, RightsChange
from jikimi.access.record import AccessRecord
from jikimi.access.review import ReviewRow
from jikimi.adapters.storage.access_tables import (
    access_operators,
    access_records,
    access_restrictions,
    access_rights_log,
)
from jikimi.adapters.storage.kept import KeptConnections
from jikimi.adapters.storage.store import _sql, driver_cursor
from jikimi.adapters.storage.tables import meta

__all__ = ["SqlAccessSession", "SqlAccessStore"]

_OPERATOR = "SELECT role, active FROM access_operators WHERE id = {p}"
_HEAD = "SELECT seq, hash FROM access_records ORDER BY seq DESC LIMIT 1"
_PAGE = "SELECT seq, at, operator, subject, body, prev_hash, hash FROM access_records WHERE seq > {p} ORDER BY seq"
_BETWEEN = (
    "SELECT seq, at, operator, subject, body, prev_hash, hash FROM access_records "
    "WHERE at >= {p} AND at < {p} ORDER BY at, seq"
)
_CHECKPOINT = "access.checkpoint"
_META = "SELECT value FROM jikimi_meta WHERE key = {p}"
_CHAIN = "SELECT seq, body, hash FROM access_records ORDER BY seq"
_REVIEW = "SELECT at, operator, subject, body FROM access_records WHERE at >= {p} AND at < {p} ORDER BY at, seq"
_RESTRICTED = "SELECT subject, kind, target FROM access_restrictions WHERE released_at IS NULL AND subject IN ({ps})"
_CHUNK = 500  # subjects per restriction query: under every driver's parameter limit (as the vault's reads)
# Rows per fetch when streaming the record: a thousand keep a page in the CPU caches (10,000 measured ~15 % slower
# per row on SQLite, 50,000 ~50 %), and a page is what verification checks at once.
_PAGE_ROWS = 1_000
_APPEND = (
    "INSERT INTO access_records (seq, at, operator, subject, body, prev_hash, hash) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})"
)


def _utc(at: datetime) -> datetime:
    # SQLite gives back naive datetimes; every time jikimi stores is UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class SqlAccessSession:
    """Access operations on one open transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # The hot statements go to the driver's cursor, inside the transaction SQLAlchemy opened (as store.py).
        self._sql = _sql(conn.dialect)
        self._cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    @property
    def connection(self) -> Connection:
        return self._conn

    def driver_execute(self, sql: str) -> None:
        """Run ``sql`` on the driver's cursor, without SQLAlchemy (transaction control of :mod:`.kept`)."""
        self._cursor.execute(sql)

    def get_operator(self, operator: str) -> Operator | None:
        self._cursor.execute(_OPERATOR.format(p=self._sql.p), (operator,))
        row = self._cursor.fetchone()
        return None if row is None else Operator(operator, row[0], bool(row[1]))

    def put_operator(self, operator: Operator, at: datetime) -> None:
        values = {"role": operator.role, "active": operator.active, "updated_at": at}
        done = self._conn.execute(update(access_operators).where(access_operators.c.id == operator.id).values(**values))
        if done.rowcount == 0:
            self._conn.execute(insert(access_operators).values(id=operator.id, **values))

    def log_rights_change(self, change: RightsChange) -> None:
        self._conn.execute(
            insert(access_rights_log).values(
                operator=change.operator,
                change=change.change,
                role_before=change.role_before,
                role_after=change.role_after,
                actor=change.actor,
                at=change.at,
            )
        )

    def head(self) -> tuple[int, bytes] | None:
        self._cursor.execute(_HEAD)
        row = self._cursor.fetchone()
        if row is not None:
            return int(row[0]), bytes(row[1])
        # Every record may have reached its end: the chain then goes on from the checkpoint, not from scratch.
        self._cursor.execute(_META.format(p=self._sql.p), (_CHECKPOINT,))
        found = self._cursor.fetchone()
        return None if found is None else _unpack(bytes(found[0]))

    def append(self, records: Sequence[AccessRecord]) -> None:
        if not records:
            return
        when = self._sql.created_at
        self._cursor.executemany(
            _APPEND.format(p=self._sql.p),
            [(r.seq, when(r.at), r.operator, r.subject, r.body, r.prev_hash, r.hash) for r in records],
        )

    def restricted(self, subjects: Sequence[str]) -> Restricted:
        found: dict[str, tuple[set[str], set[str]]] = {}
        cursor, p = self._cursor, self._sql.p
        for start in range(0, len(subjects), _CHUNK):
            chunk = subjects[start : start + _CHUNK]
            cursor.execute(_restricted_sql(p, len(chunk)), tuple(chunk))
            for subject, kind, target in cursor.fetchall():
                suspended, held = found.setdefault(subject, (set(), set()))
                (suspended if kind == RestrictionKind.SUSPENSION else held).add(target)
        return {s: (frozenset(suspended), frozenset(held)) for s, (suspended, held) in found.items()}

    def active_restrictions(self, subject: str) -> list[Restriction]:
        t = access_restrictions.c
        query = select(access_restrictions).where(t.subject == subject, t.released_at.is_(None)).order_by(t.id)
        return [_restriction(row) for row in self._conn.execute(query)]

    def add_restriction(
        self, subject: str, kind: RestrictionKind, target: str, at: datetime, actor: str, reason: str | None
    ) -> Restriction:
        values = {
            "subject": subject,
            "kind": kind.value,
            "target": target,
            "reason": reason,
            "placed_at": at,
            "placed_by": actor,
        }
        done = self._conn.execute(insert(access_restrictions).values(**values))
        (key,) = done.inserted_primary_key or (None,)
        return Restriction(int(cast(int, key)), subject, kind, target, at, actor, reason)

    def release_restriction(self, restriction: int, at: datetime, actor: str) -> None:
        t = access_restrictions.c
        self._conn.execute(
            update(access_restrictions)
            .where(t.id == restriction, t.released_at.is_(None))
            .values(released_at=at, released_by=actor)
        )


class SqlAccessStore:
    """Operators, their rights log and the access record, in the same database as the vault.

    Its transactions (one per read: the gate's decision and the read's record) run on kept connections
    (:mod:`.kept`), closed with :meth:`close` or when the engine is disposed (the vault store's ``close``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._kept = KeptConnections(engine, SqlAccessSession)

    def transaction(self) -> AbstractContextManager[SqlAccessSession]:
        return self._kept.transaction()

    def close(self) -> None:
        """Close the kept connections (the engine is the vault store's: it closes that)."""
        self._kept.close()

    def records(self, after: int = 0, page: int = 10_000) -> Iterator[Sequence[AccessRecord]]:
        """Every record after ``after``, in ``seq`` order, a page at a time (one read transaction, driver cursor)."""
        sql = _sql(self.engine.dialect)
        at = _time_reader(self.engine.dialect)
        for rows in self._stream(_PAGE.format(p=sql.p), (after,), page):
            yield [AccessRecord(s, at(t), o, j, bytes(b), bytes(ph), bytes(h)) for s, t, o, j, b, ph, h in rows]

    def chain_pages(self) -> Iterator[Sequence[tuple[int, bytes, bytes]]]:
        """``(seq, body, hash)`` of every record in ``seq`` order, a page at a time: what verification reads."""
        yield from self._stream(_CHAIN, ())

    def _stream(self, sql: str, params: tuple[Any, ...], size: int = _PAGE_ROWS) -> Iterator[list[Any]]:
        """The rows of one query as the driver returns them, ``size`` at a time, in one read transaction.

        On PostgreSQL through a server-side (named) cursor: psycopg's ordinary cursor would load the whole result
        (a year of records) into memory before the first page."""
        raw = self.engine.raw_connection()
        try:
            cursor = driver_cursor(raw.driver_connection, name="jikimi_access_stream")
            try:
                cursor.execute(sql, params)
                while rows := cursor.fetchmany(size):
                    yield rows
            finally:
                cursor.close()
        finally:
            raw.close()

    def checkpoint(self) -> tuple[int, bytes] | None:
        """``(seq, hash)`` of the last record destroyed at the end of its retention, if any."""
        with self.engine.connect() as conn:
            value = conn.scalar(select(meta.c.value).where(meta.c.key == _CHECKPOINT))
        return None if value is None else _unpack(bytes(value))

    def prune(self, before: datetime) -> int:
        """Destroy the records older than ``before`` (the oldest first, a prefix of the chain) in one transaction,
        leaving the last one's ``(seq, hash)`` as the checkpoint verification starts from. Returns how many."""
        with self.engine.begin() as conn:
            last = conn.execute(
                select(access_records.c.seq, access_records.c.hash)
                .where(access_records.c.at < before)
                .order_by(access_records.c.seq.desc())
                .limit(1)
            ).first()
            if last is None:
                return 0
            # A prefix: records are appended in time order, so nothing newer sits below the last old one.
            gone = conn.execute(delete(access_records).where(access_records.c.seq <= last.seq)).rowcount
            value = int(last.seq).to_bytes(8, "big") + bytes(last.hash)
            done = conn.execute(update(meta).where(meta.c.key == _CHECKPOINT).values(value=value))
            if done.rowcount == 0:
                conn.execute(insert(meta).values(key=_CHECKPOINT, value=value))
            return int(gone)

    def records_between(self, start: datetime, end: datetime) -> Iterator[AccessRecord]:
        """Records with ``start <= at < end``, in time order (the monthly review), read a page at a time."""
        sql = _sql(self.engine.dialect)
        at = _time_reader(self.engine.dialect)
        when = sql.created_at
        for rows in self._stream(_BETWEEN.format(p=sql.p), (when(start), when(end))):
            for s, t, o, j, b, ph, h in rows:
                yield AccessRecord(s, at(t), o, j, bytes(b), bytes(ph), bytes(h))

    def review_rows(self, start: datetime, end: datetime) -> Iterator[Sequence[ReviewRow]]:
        """``(at, operator, subject, body)`` of the records with ``start <= at < end``, in time order, a page at a
        time: what the monthly review reads (it needs neither the hashes nor a record object per row)."""
        sql = _sql(self.engine.dialect)
        when = sql.created_at
        pages = self._stream(_REVIEW.format(p=sql.p), (when(start), when(end)))
        if not sql.sqlite:
            at = _time_reader(self.engine.dialect)
            for rows in pages:
                yield [(at(t), o, j, bytes(b)) for t, o, j, b in rows]
            return
        parse, fallback = datetime.fromisoformat, _time_reader(self.engine.dialect)
        for rows in pages:
            # SQLAlchemy's own text (26 characters), read as UTC in one C call; anything else through its reader.
            yield [(parse(t + "+00:00") if len(t) == 26 else fallback(t), o, j, b) for t, o, j, b in rows]

    def restrictions(self, subject: str) -> list[Restriction]:
        t = access_restrictions.c
        query = select(access_restrictions).where(t.subject == subject).order_by(t.id)
        with self.engine.connect() as conn:
            return [_restriction(row) for row in conn.execute(query)]

    def rights_changes(self, operator: str | None = None) -> list[RightsChange]:
        query = select(access_rights_log).order_by(access_rights_log.c.id)
        if operator is not None:
            query = query.where(access_rights_log.c.operator == operator)
        with self.engine.connect() as conn:
            return [
                RightsChange(r.operator, r.change, r.role_before, r.role_after, r.actor, _utc(r.at))
                for r in conn.execute(query)
            ]


def _unpack(value: bytes) -> tuple[int, bytes]:
    return int.from_bytes(value[:8], "big"), value[8:]


def _time_reader(dialect: Any) -> Any:
    """Driver values of the ``at`` column as aware UTC datetimes (SQLite keeps SQLAlchemy's text form)."""
    convert = access_records.c.at.type.dialect_impl(dialect).result_processor(dialect, None)

    def read(value: Any) -> datetime:
        return _utc(cast(datetime, convert(value) if convert is not None else value))

    if dialect.name != "sqlite":
        return read
    parse = datetime.fromisoformat

    def read_text(value: Any) -> datetime:
        # SQLAlchemy's own text ("2026-10-01 01:00:00.000000"), read as UTC in one C call (a test checks the two agree).
        if isinstance(value, str) and len(value) == 26:
            return parse(value + "+00:00")
        return read(value)

    return read_text


_RESTRICTED_SQL: dict[tuple[str, int], str] = {}


def _restricted_sql(p: str, n: int) -> str:
    sql = _RESTRICTED_SQL.get((p, n))
    if sql is None:
        sql = _RESTRICTED_SQL[(p, n)] = _RESTRICTED.format(ps=", ".join([p] * n))
    return sql


def _restriction(row: Any) -> Restriction:
    return Restriction(
        int(row.id),
        row.subject,
        RestrictionKind(row.kind),
        row.target,
        _utc(row.placed_at),
        row.placed_by,
        row.reason,
        None if row.released_at is None else _utc(row.released_at),
        row.released_by,
    )

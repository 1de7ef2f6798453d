"""The SQL implementation of :class:`jikimi.consent.ports.ConsentStore`: the vault's session plus the ledger.

:class:`SqlConsentStore` is a :class:`~.store.SqlVaultStore` whose transactions hand out a
:class:`SqlConsentSession`, so vault fields, subject records and ledger events of one sign-up share one
connection and one commit. Build it with :func:`open_consent_store`, or wrap an open vault store with
:meth:`SqlConsentStore.over`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update

from jikimi.adapters.storage.consent_tables import consent_subjects
from jikimi.adapters.storage.kept import KeptConnections
from jikimi.adapters.storage.partitions import KEK_PART
from jikimi.adapters.storage.store import SqlVaultSession, SqlVaultStore
from jikimi.adapters.storage.tables import blind_index, fields
from jikimi.consent.ledger import ChainRow, LedgerRecord, from_record, is_tombstone
from jikimi.consent.model import ConsentEvent, SubjectRecord, SubjectStatus
from jikimi.vault.storage import LIVE

__all__ = ["SqlConsentSession", "SqlConsentStore", "open_consent_store"]


# A sign-up runs these once each: plain SQL to the driver's cursor, as the vault's hot statements do (store.py).
_ADD_SUBJECT = (
    "INSERT INTO consent_subjects (id, subject_type, channel, status, child, created_at, updated_at) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})"
)
_HEAD = "SELECT seq, hash FROM consent_events ORDER BY seq DESC LIMIT 1"
_APPEND = "INSERT INTO consent_events (seq, subject, body, prev_hash, hash) VALUES ({p}, {p}, {p}, {p}, {p})"
_PAGE = "SELECT seq, subject, body, prev_hash, hash FROM consent_events WHERE seq > {p} ORDER BY seq LIMIT {p}"
_OF = "SELECT seq, subject, body, prev_hash, hash FROM consent_events WHERE subject = {p} ORDER BY seq"
_ALL = "SELECT seq, subject, body, prev_hash, hash FROM consent_events ORDER BY seq"
_CHAIN = "SELECT seq, subject, body, hash FROM consent_events ORDER BY seq"
_CHAIN_PAGE = "SELECT seq, subject, body, hash FROM consent_events WHERE seq > {p} ORDER BY seq LIMIT {p}"
_CACHED_ROWS = 500


class _Statements:
    """The consent SQL of one driver, formatted once (placeholders and the key table's name differ)."""

    def __init__(self, p: str, keys: str) -> None:
        self.add_subject = _ADD_SUBJECT.format(p=p)
        self.append = _APPEND.format(p=p)
        self.of = _OF.format(p=p)
        self.page = _PAGE.format(p=p)
        self.chain_page = _CHAIN_PAGE.format(p=p)


_STATEMENTS: dict[tuple[str, str], _Statements] = {}


class SqlConsentSession(SqlVaultSession):
    """The vault's operations plus subject records and the consent ledger, on one open transaction."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        key = (self._sql.p, self._sql.keys)
        statements = _STATEMENTS.get(key)
        if statements is None:
            statements = _STATEMENTS[key] = _Statements(*key)
        self._q = statements

    @property
    def connection(self) -> Connection:
        return self._conn

    def driver_execute(self, sql: str) -> None:
        """Run ``sql`` on the driver's cursor, without SQLAlchemy (transaction control of SqlConsentStore)."""
        self._cursor.execute(sql)

    def add_subject(self, record: SubjectRecord) -> None:
        when = self._sql.created_at
        created = when(record.created_at)
        updated = created if record.updated_at == record.created_at else when(record.updated_at)
        self._cursor.execute(
            self._q.add_subject,
            (record.id, record.subject_type, record.channel, record.status.value, record.child, created, updated),
        )

    def get_subject(self, subject: str) -> SubjectRecord | None:
        row = self._conn.execute(select(consent_subjects).where(consent_subjects.c.id == subject)).first()
        if row is None:
            return None
        return _subject(row)

    def set_status(self, subject: str, status: SubjectStatus, at: datetime) -> None:
        self._conn.execute(
            update(consent_subjects).where(consent_subjects.c.id == subject).values(status=status.value, updated_at=at)
        )

    def mark_child(self, subject: str, at: datetime) -> None:
        self._conn.execute(
            update(consent_subjects).where(consent_subjects.c.id == subject).values(child=True, updated_at=at)
        )

    def subjects_with_status(self, status: SubjectStatus) -> list[SubjectRecord]:
        rows = self._conn.execute(
            select(consent_subjects).where(consent_subjects.c.status == status.value).order_by(consent_subjects.c.id)
        )
        return [_subject(r) for r in rows]

    def ledger_head(self) -> tuple[int, bytes] | None:
        self._cursor.execute(_HEAD)
        row = self._cursor.fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def append_records(self, records: Sequence[LedgerRecord]) -> None:
        if records:
            self._cursor.executemany(self._q.append, records)

    def events_of(self, subject: str) -> list[ConsentEvent]:
        self._reads.execute(self._q.of, (subject,))
        # A tombstoned event (proof period over) holds nothing to read back: it only keeps the chain whole.
        return [from_record(_record(row)) for row in self._reads.fetchall() if not is_tombstone(row[2])]

    def records_page(self, after: int, limit: int) -> list[LedgerRecord]:
        # Verification reads every record: straight from the driver's cursor, hashed as stored.
        # Both drivers return (int, str, bytes, bytes, bytes) rows already: no conversion on the hot path.
        self._reads.execute(self._q.page, (after, limit))
        rows: list[LedgerRecord] = self._reads.fetchall()
        return rows

    def stream_records(self, size: int) -> Iterator[list[LedgerRecord]]:
        if self._sql.sqlite:
            # SQLite steps through the rows as they are fetched: one statement, streamed by fetchmany.
            cursor = self._cursor
            cursor.execute(_ALL)
            while page := cursor.fetchmany(size):
                yield page
            return
        # PostgreSQL's client-side cursor would load the whole ledger at once: pages by seq instead.
        after = 0
        while page := self.records_page(after, size):
            yield page
            after = page[-1][0]

    def chain_rows(self, size: int) -> Iterator[list[ChainRow]]:
        # Both drivers return (int, str, bytes, bytes) rows already: no conversion on the hot path.
        cursor = self._reads
        if self._sql.sqlite:
            # SQLite steps through the rows as they are fetched: one statement, streamed by fetchmany, in pages small
            # enough to stay in the CPU cache (10,000 rows a page cost a third more per row than 500).
            cursor.execute(_CHAIN)
            size = min(size, _CACHED_ROWS)
            while page := cursor.fetchmany(size):
                yield page
            return
        # PostgreSQL's client-side cursor would load the whole ledger at once: pages by seq instead.
        after = 0
        while True:
            cursor.execute(self._q.chain_page, (after, size))
            page = cursor.fetchall()
            if not page:
                return
            yield page
            after = page[-1][0]

    def delete_items(self, bucket: str, subject: str, items: Sequence[str]) -> int:
        if not items:
            return 0
        # The blind index goes with the value: after a withdrawal no search finds the subject by that item.
        self._conn.execute(
            delete(blind_index).where(
                blind_index.c.subject == subject, blind_index.c.bucket == bucket, blind_index.c.item.in_(items)
            )
        )
        rows = delete(fields).where(fields.c.subject == subject, fields.c.bucket == bucket, fields.c.item.in_(items))
        if bucket == LIVE:
            rows = rows.where(fields.c.part == KEK_PART)  # one partition on PostgreSQL, not every month's
        return int(self._conn.execute(rows).rowcount)


def _aware(at: datetime) -> datetime:
    # SQLite hands back naive datetimes for DateTime(timezone=True): they are stored in UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _subject(row: Any) -> SubjectRecord:
    return SubjectRecord(
        row.id,
        row.subject_type,
        row.channel,
        SubjectStatus(row.status),
        bool(row.child),
        _aware(row.created_at),
        _aware(row.updated_at),
    )


def _record(row: Any) -> LedgerRecord:
    seq, subject, body, prev, digest = row
    return int(seq), subject, bytes(body), bytes(prev), bytes(digest)


class SqlConsentStore(SqlVaultStore):
    """A vault store with the consent ledger: every transaction is a :class:`SqlConsentSession`, on a kept
    connection (:mod:`.kept`: on SQLite begun and committed on the driver)."""

    # The session each transaction hands out; a store with more tables (retention) names its own.
    _session_type: type[SqlConsentSession] = SqlConsentSession

    @classmethod
    def over(cls, store: SqlVaultStore) -> SqlConsentStore:
        """The same database as ``store`` (sharing its engine), with the consent tables."""
        return cls(store.engine)

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._kept = KeptConnections(engine, self._session_type, self._committed)

    def consent_transaction(self) -> AbstractContextManager[SqlConsentSession]:
        return self._kept.transaction()

    def _committed(self, session: SqlConsentSession) -> None:
        """Called after each transaction that committed: one that deleted data keys settles the key file."""
        if session.keys_deleted:
            session.keys_deleted = False  # sessions are kept for the next transaction
            self._settle_key_file()

    def close(self) -> None:
        self._kept.close()
        super().close()

    @contextmanager
    def transaction(self) -> Iterator[SqlConsentSession]:
        with self.consent_transaction() as session:
            yield session


def open_consent_store(url: str | None = None, *, schema: str | None = None) -> SqlConsentStore:
    """Open (and on first use, create) the database at ``url``, like ``open_store``, with the consent ledger."""
    from jikimi.adapters.storage import open_store  # the package imports this module's siblings first

    return SqlConsentStore.over(open_store(url, schema=schema))

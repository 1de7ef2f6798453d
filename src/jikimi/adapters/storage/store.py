"""The SQLAlchemy implementation of :class:`jikimi.vault.ports.VaultStore`: one schema, SQLite and PostgreSQL.

Long lists are cut into chunks so no statement exceeds a driver's bound-parameter limit; upserts use each dialect's
``INSERT ... ON CONFLICT`` so a bulk write stays one ``executemany``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, delete, exists, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from jikimi.adapters.storage.tables import blind_index, data_keys, fields, meta, subjects
from jikimi.vault.ports import DataKey, FieldKind, FieldRow, IndexRow

__all__ = ["SqlVaultSession", "SqlVaultStore"]

_CHUNK = 500  # well under SQLite's and psycopg's parameter limits, large enough to amortise a round trip


_JOIN = fields.join(data_keys, and_(data_keys.c.subject == fields.c.subject, data_keys.c.bucket == fields.c.bucket))
_READ = select(
    fields.c.subject,
    fields.c.item,
    fields.c.kind,
    fields.c.value,
    data_keys.c.key_version,
    data_keys.c.kek_id,
    data_keys.c.wrapped,
).select_from(_JOIN)
# Built once: constructing a statement costs more than running it on SQLite (the hot read path, performance.md).
_READ_MANY = _READ.where(
    fields.c.bucket == bindparam("bucket"), fields.c.subject.in_(bindparam("subjects", expanding=True))
)
_GET_KEYS = select(data_keys).where(
    data_keys.c.bucket == bindparam("bucket"), data_keys.c.subject.in_(bindparam("subjects", expanding=True))
)


# The hottest statements bypass SQLAlchemy's per-row parameter processing (a third of a bulk write's time): plain
# SQL that SQLite and PostgreSQL both accept, sent to the driver's executemany. Placeholders differ by driver.
_UPSERT_FIELDS = (
    "INSERT INTO fields (subject, bucket, item, kind, value) VALUES ({p}, {p}, {p}, {p}, {p}) "
    "ON CONFLICT (subject, bucket, item) DO UPDATE SET kind = excluded.kind, value = excluded.value"
)
_UPSERT_INDEX = (
    "INSERT INTO blind_index (subject, bucket, item, digest) VALUES ({p}, {p}, {p}, {p}) "
    "ON CONFLICT (subject, bucket, item) DO UPDATE SET digest = excluded.digest"
)
_READ_SUBJECT = (
    "SELECT f.item, f.kind, f.value, k.key_version, k.kek_id, k.wrapped FROM fields f "
    "JOIN data_keys k ON k.subject = f.subject AND k.bucket = f.bucket "
    "WHERE f.bucket = {p} AND f.subject = {p}"
)


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqlVaultSession:
    """The vault's operations on one open transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        p = "%s" if conn.dialect.name == "postgresql" else "?"
        self._upsert_fields = _UPSERT_FIELDS.format(p=p)
        self._upsert_index = _UPSERT_INDEX.format(p=p)
        self._read_subject = _READ_SUBJECT.format(p=p)

    def get_keys(self, bucket: str, subjects_: Sequence[str]) -> dict[str, DataKey]:
        out: dict[str, DataKey] = {}
        for chunk in _chunks(subjects_):
            for r in self._conn.execute(_GET_KEYS, {"bucket": bucket, "subjects": list(chunk)}):
                out[r.subject] = DataKey(r.subject, r.bucket, r.key_version, r.kek_id, r.wrapped)
        return out

    def add_keys(self, keys: Sequence[DataKey], created_at: datetime) -> None:
        new_subjects = [{"id": s, "created_at": created_at} for s in dict.fromkeys(k.subject for k in keys)]
        self._conn.execute(self._insert(subjects).on_conflict_do_nothing(index_elements=["id"]), new_subjects)
        self._conn.execute(
            data_keys.insert(),
            [
                {
                    "subject": k.subject,
                    "bucket": k.bucket,
                    "key_version": k.key_version,
                    "kek_id": k.kek_id,
                    "wrapped": k.wrapped,
                    "created_at": created_at,
                }
                for k in keys
            ],
        )

    def put_fields(self, rows: Sequence[FieldRow]) -> None:
        if rows:
            params = [(r.subject, r.bucket, r.item, int(r.kind), r.value) for r in rows]
            self._conn.exec_driver_sql(self._upsert_fields, params)

    def put_index(self, rows: Sequence[IndexRow]) -> None:
        if rows:
            params = [(r.subject, r.bucket, r.item, r.digest) for r in rows]
            self._conn.exec_driver_sql(self._upsert_index, params)

    def read_fields(
        self, bucket: str, subjects_: Sequence[str], items: Sequence[str] | None
    ) -> list[tuple[FieldRow, DataKey]]:
        # Items are filtered here rather than in SQL: a subject's fields are one short primary-key range, and one
        # prepared statement for every call is faster than a statement per item list.
        wanted = None if items is None else set(items)
        if len(subjects_) == 1:
            subject = subjects_[0]
            out = []
            for item, kind, value, version, kek_id, wrapped in self._conn.exec_driver_sql(
                self._read_subject, (bucket, subject)
            ):
                if wanted is None or item in wanted:
                    key = DataKey(subject, bucket, version, kek_id, bytes(wrapped))
                    out.append((FieldRow(subject, bucket, item, FieldKind(kind), bytes(value)), key))
            return out
        results = [
            self._conn.execute(_READ_MANY, {"bucket": bucket, "subjects": list(chunk)}) for chunk in _chunks(subjects_)
        ]
        out = []
        for result in results:
            for r in result:
                if wanted is not None and r.item not in wanted:
                    continue
                key = DataKey(r.subject, bucket, r.key_version, r.kek_id, r.wrapped)
                out.append((FieldRow(r.subject, bucket, r.item, FieldKind(r.kind), r.value), key))
        return out

    def find_subjects(self, item: str, digest: bytes) -> list[str]:
        query = (
            select(blind_index.c.subject)
            .where(blind_index.c.item == item, blind_index.c.digest == digest)
            .distinct()
            .order_by(blind_index.c.subject)
        )
        return list(self._conn.scalars(query))

    def delete_keys(self, bucket: str, subjects_: Sequence[str]) -> int:
        deleted = 0
        for chunk in _chunks(subjects_):
            # The blind index goes with the key: after a shred no search can find the subject (R-SEC-27).
            self._conn.execute(
                delete(blind_index).where(blind_index.c.bucket == bucket, blind_index.c.subject.in_(chunk))
            )
            result = self._conn.execute(
                delete(data_keys).where(data_keys.c.bucket == bucket, data_keys.c.subject.in_(chunk))
            )
            deleted += result.rowcount
        return deleted

    def delete_fields(self, bucket: str, subjects_: Sequence[str]) -> int:
        deleted = 0
        for chunk in _chunks(subjects_):
            result = self._conn.execute(delete(fields).where(fields.c.bucket == bucket, fields.c.subject.in_(chunk)))
            deleted += result.rowcount
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
        query = select(data_keys).order_by(data_keys.c.subject, data_keys.c.bucket).limit(limit)
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

    def count_keys(self, kek_id: str | None = None) -> int:
        query = select(func.count()).select_from(data_keys)
        if kek_id is not None:
            query = query.where(data_keys.c.kek_id == kek_id)
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

    @contextmanager
    def transaction(self) -> Iterator[SqlVaultSession]:
        with self.engine.begin() as conn:
            yield SqlVaultSession(conn)

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        # The URL without its password.
        return f"SqlVaultStore({self.engine.url.render_as_string(hide_password=True)!r})"

"""The access tables that the migrations make are the tables in code, and migration 0006 (restrictions, and on SQLite
the record's ``seq`` as the rowid) keeps every record and its chain, both ways. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from jikimi.access import AccessRequest, Decision, chain_records
from jikimi.access.record import verify_pages
from jikimi.adapters.storage import create_db_engine, open_store
from jikimi.adapters.storage.access_store import SqlAccessStore
from jikimi.adapters.storage.access_tables import access_records
from jikimi.adapters.storage.schema import _config, current_revision, head_revision
from jikimi.adapters.storage.tables import metadata

from .conftest import Db

AT = datetime(2026, 10, 1, 1, tzinfo=UTC)


def _access_differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    # Only the access domain's tables: the other domains' tables are their own tests' business.
    return [d for d in differences if "access_" in repr(d)]


def test_the_migrated_access_tables_are_the_tables_in_code(db: Db) -> None:
    store = open_store(db.url, schema=db.schema)
    try:
        assert access_records.name in metadata.tables
        assert _access_differences(store.engine) == []
        if db.sqlite:
            with store.engine.connect() as conn:
                # seq is the rowid: no separate key index, and verification reads the table front to back.
                indexes = [row[1] for row in conn.exec_driver_sql("PRAGMA index_list(access_records)")]
                assert indexes == ["ix_access_records_at"]
                plan = conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT seq, body, hash FROM access_records ORDER BY seq"
                )
                assert [row[3] for row in plan] == ["SCAN access_records"]
    finally:
        store.close()


def _records(n: int) -> list[tuple[AccessRequest, Decision]]:
    request = AccessRequest("op-a", tuple(f"s{i}" for i in range(n)), ("email",), "p", "문의", "::1", AT)
    return [(request, Decision(True))]


def test_migration_0006_keeps_the_record_both_ways(db: Db) -> None:
    engine = create_db_engine(db.url, schema=db.schema)
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0005")
        access = SqlAccessStore(engine)
        records = chain_records(_records(250), None)
        with access.transaction() as session:
            session.append(records)
        with engine.begin() as conn:
            command.upgrade(_config(conn), "head")
        with engine.connect() as conn:
            assert current_revision(conn) == head_revision()
        assert verify_pages(access.chain_pages()) == (250, None)
        assert [r for page in access.records() for r in page] == records
        more = chain_records(_records(5), (records[-1].seq, records[-1].hash))
        with access.transaction() as session:
            session.append(more)
        assert verify_pages(access.chain_pages()) == (255, None)
        with engine.begin() as conn:
            command.downgrade(_config(conn), "0005")
        with engine.connect() as conn:
            assert current_revision(conn) == "0005"
            assert conn.execute(text("SELECT count(*) FROM access_records")).scalar_one() == 255
        assert verify_pages(access.chain_pages()) == (255, None)
    finally:
        engine.dispose()


def test_review_rows_reads_the_month_in_time_order(db: Db) -> None:
    store = open_store(db.url, schema=db.schema)
    access = SqlAccessStore(store.engine)
    try:
        late = AccessRequest("op-b", ("s9",), ("email",), "p", "문의", "::1", AT + timedelta(days=40))
        early = AccessRequest("op-a", ("s1", "s2"), ("email",), "p", "문의", "::1", AT)
        with access.transaction() as session:
            session.append(chain_records([(late, Decision(True)), (early, Decision(False, "R-SEC-2"))], None))
        rows = [row for page in access.review_rows(AT - timedelta(days=1), AT + timedelta(days=30)) for row in page]
        assert [(at, op, subject) for at, op, subject, _ in rows] == [(AT, "op-a", "s1"), (AT, "op-a", "s2")]
        assert all(at.utcoffset() is not None and isinstance(body, bytes) for at, _, _, body in rows)
    finally:
        store.close()

"""Fixtures shared by every test package."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Collection, Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, create_engine, text

from jikimi.adapters.storage import normalise_url
from jikimi.adapters.storage.tables import metadata

PG_ENV = "JIKIMI_TEST_POSTGRES_URL"


@pytest.fixture
def postgres_schema() -> Iterator[tuple[str, str]]:
    """``(url, schema)``: a schema of its own on the PostgreSQL server of ``JIKIMI_TEST_POSTGRES_URL``, dropped with
    everything in it afterwards (after the fixtures that asked for it are torn down). Skips if the variable is not
    set; `.ci/run` sets it."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set")
    schema = "jikimi_test_" + secrets.token_hex(6)
    admin = create_engine(normalise_url(url))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url, schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


Differences = Callable[[Connection, Collection[str]], list[object]]


@pytest.fixture
def schema_differences() -> Differences:
    """``(conn, tables) -> differences``: what Alembic finds between the code's tables and the database's, for
    ``tables`` only (the other domains' tables are their own tests' business)."""

    def differences(conn: Connection, tables: Collection[str]) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return [d for d in compare_metadata(context, metadata) if _table_of(d, tables) in tables]

    return differences


def _table_of(difference: object, tables: Collection[str]) -> str | None:
    """The table an Alembic difference is about (a tuple naming a table, column or index, or a list of those), where a
    difference names its table by a string only if it is one of ``tables``."""
    first = difference[0] if isinstance(difference, list) else difference
    for part in first if isinstance(first, tuple) else ():
        table = getattr(part, "table", None)
        name = getattr(table, "name", None) or (getattr(part, "name", None) if hasattr(part, "columns") else None)
        if isinstance(name, str):
            return name
        if isinstance(part, str) and part in tables:
            return part
    return None

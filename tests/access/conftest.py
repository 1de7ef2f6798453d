"""Databases for the access tests: a SQLite file, and a PostgreSQL schema of its own when
``JIKIMI_TEST_POSTGRES_URL`` is set (dropped with CASCADE afterwards)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from jikimi.adapters.storage import normalise_url

PG_ENV = "JIKIMI_TEST_POSTGRES_URL"


@dataclass(frozen=True)
class Db:
    url: str
    schema: str | None = None

    @property
    def sqlite(self) -> bool:
        return self.url.startswith("sqlite")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    if request.param == "sqlite":
        yield Db(f"sqlite:///{tmp_path / 'access.db'}")
        return
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set")
    schema = "jikimi_test_" + secrets.token_hex(6)
    admin = create_engine(normalise_url(url))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield Db(url, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

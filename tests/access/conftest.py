"""Databases for the access tests: a SQLite file, and a PostgreSQL schema of its own when
``JIKIMI_TEST_POSTGRES_URL`` is set (dropped with CASCADE afterwards)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


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
    url, schema = request.getfixturevalue("postgres_schema")
    yield Db(url, schema)

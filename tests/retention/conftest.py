"""Fixtures of the retention tests: an Engine over a fresh SQLite file (and PostgreSQL when configured), a clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from jikimi.adapters.storage.retention_store import SqlRetentionStore, open_retention_store
from jikimi.adapters.storage.tables import data_keys, fields
from jikimi.clock import FixedClock
from jikimi.engine import Engine
from jikimi.policy import load_policy
from jikimi.vault import Argon2Params, LocalKeyring, PasswordHashing

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"
T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)

Make = Callable[[str], Engine]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def make(tmp_path: Path, clock: FixedClock) -> Iterator[Make]:
    """Build an Engine for an example policy over a fresh SQLite file (one database per call)."""
    stores: list[SqlRetentionStore] = []
    passwords = PasswordHashing(Argon2Params.cheap())

    def _make(name: str) -> Engine:
        store = open_retention_store(f"sqlite:///{tmp_path / f'{name}-{len(stores)}.db'}")
        stores.append(store)
        return Engine(
            load_policy(EXAMPLES / f"{name}.yaml"), store, LocalKeyring.generate(), clock, passwords=passwords
        )

    yield _make
    for store in stores:
        store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def make_any(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock) -> Iterator[Make]:
    """Like ``make``, on SQLite and on PostgreSQL (a schema of its own) when ``JIKIMI_TEST_POSTGRES_URL`` is set."""
    passwords = PasswordHashing(Argon2Params.cheap())
    stores: list[SqlRetentionStore] = []
    schema: str | None
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'any.db'}", None
    else:
        url, schema = request.getfixturevalue("postgres_schema")

    def _make(name: str) -> Engine:
        store = open_retention_store(url, schema=schema)
        stores.append(store)
        return Engine(
            load_policy(EXAMPLES / f"{name}.yaml"), store, LocalKeyring.generate(), clock, passwords=passwords
        )

    yield _make
    for store in stores:
        store.close()


def stored(engine: Engine, subject: str) -> dict[str, set[str]]:
    """What exists of ``subject`` in the database: per bucket's rule (``live`` for live data), the items stored.

    Asserts that nothing is half-destroyed: every field row has its data key, and every data key is listed (live,
    or a kept bucket).
    """
    store = engine.store
    assert isinstance(store, SqlRetentionStore)
    with store.engine.connect() as conn:
        keys = {b for (b,) in conn.execute(select(data_keys.c.bucket).where(data_keys.c.subject == subject))}
        rows = conn.execute(select(fields.c.bucket, fields.c.item).where(fields.c.subject == subject)).all()
    out: dict[str, set[str]] = {}
    for bucket in keys:
        out.setdefault(bucket.partition("/")[0], set())
    for bucket, item in rows:
        assert bucket in keys, f"field rows of bucket {bucket} without a key: half-destroyed"
        out[bucket.partition("/")[0]].add(item)
    kept = {k.bucket for k in engine.retention.kept(subject)}
    assert keys - {"live"} == kept
    return out

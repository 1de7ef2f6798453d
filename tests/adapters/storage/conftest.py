"""Every storage test runs on SQLite, and on PostgreSQL too when ``JIKIMI_TEST_POSTGRES_URL`` is set.

On PostgreSQL each test gets a schema of its own (``jikimi_test_<random>``) through ``search_path``, dropped with
CASCADE afterwards, so no table is left behind in the shared database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from jikimi.adapters.storage import SqlVaultStore, open_store
from jikimi.policy import Policy, load_policy
from jikimi.vault import Argon2Params, LocalKeyring, PasswordHashing, Vault

POLICY = Path(__file__).resolve().parents[2] / "vault" / "data" / "vault.yaml"


@dataclass
class Database:
    """A fresh, empty database for one test; ``open()`` may be called more than once."""

    engine: str
    url: str
    schema: str | None = None
    stores: list[SqlVaultStore] = field(default_factory=list)

    def open(self) -> SqlVaultStore:
        store = open_store(self.url, schema=self.schema)
        self.stores.append(store)
        return store

    def close(self) -> None:
        for store in self.stores:
            store.close()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        db = Database("sqlite", f"sqlite:///{tmp_path / 'vault.db'}")
        yield db
        db.close()
        return
    url, schema = request.getfixturevalue("postgres_schema")
    db = Database("postgresql", url, schema)
    yield db
    db.close()


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(POLICY)


@pytest.fixture(scope="session")
def passwords() -> PasswordHashing:
    return PasswordHashing(Argon2Params.cheap())


@pytest.fixture
def keyring() -> LocalKeyring:
    return LocalKeyring.generate()


@pytest.fixture
def store(database: Database) -> SqlVaultStore:
    return database.open()


@pytest.fixture
def vault(policy: Policy, store: SqlVaultStore, keyring: LocalKeyring, passwords: PasswordHashing) -> Vault:
    return Vault(policy, store, keyring, passwords=passwords)


@pytest.fixture
def hong() -> dict[str, str]:
    """Obviously fake data: 900101-1234568 is a checksum-valid RRN of nobody, 4111... a test card number."""
    return {
        "name": "홍길동",
        "phone": "010-1234-5678",
        "email": "hong.gildong@example.com",
        "rrn": "900101-1234568",
        "card": "4111-1111-1111-1111",
        "password": "correct horse battery staple",
        "ip": "192.168.10.20",
        "plan": "basic-plan",
    }

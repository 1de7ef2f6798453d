"""``Vault.put_new``, the sign-up's write: a new subject's first data, stored as ``put`` stores it, with the
duplicate check of its identity items in the same transaction. SQLite in memory; fake personal data only."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from jikimi.adapters.storage import SqlVaultStore, open_store
from jikimi.adapters.storage.tables import data_keys, fields
from jikimi.errors import InvalidValueError, VaultError
from jikimi.policy import Policy
from jikimi.vault import LocalKeyring, PasswordHashing, Vault

HONG = {
    "name": "홍길동",
    "phone": "010-0000-1234",
    "email": "hong@example.com",
    "password": "correct horse battery staple",
    "plan": "basic-plan",
}


@pytest.fixture
def store() -> Iterator[SqlVaultStore]:
    made = open_store("sqlite:///:memory:")
    yield made
    made.close()


@pytest.fixture
def vault(policy: Policy, store: SqlVaultStore, passwords: PasswordHashing) -> Vault:
    return Vault(policy, store, LocalKeyring.generate(), passwords=passwords)


def rows(store: SqlVaultStore) -> tuple[int, int]:
    with store.engine.connect() as conn:
        return (
            int(conn.scalar(select(func.count()).select_from(data_keys)) or 0),
            int(conn.scalar(select(func.count()).select_from(fields)) or 0),
        )


def test_a_new_subjects_data_reads_back_as_put_stores_it(vault: Vault, store: SqlVaultStore) -> None:
    assert vault.put_new("s_new", HONG, unique=["phone"]) == ()
    vault.put("s_old", HONG)
    assert vault.get("s_new") == vault.get("s_old") == {k: v for k, v in HONG.items() if k != "password"}
    assert vault.verify_password("s_new", "password", HONG["password"])  # one-way, as put stores it
    assert vault.find_by("email", "HONG@example.com") == ["s_new", "s_old"]
    with store.engine.connect() as conn:
        stored = dict(conn.execute(select(fields.c.item, fields.c.value).where(fields.c.subject == "s_new")).all())
    assert stored["plan"] == b"basic-plan"  # declared not personal: kept as is
    assert HONG["name"].encode() not in stored["name"]  # everything else is ciphertext
    assert HONG["password"].encode() not in stored["password"]


def test_identity_items_another_subject_holds_are_returned(vault: Vault) -> None:
    vault.put_new("s_1", HONG, unique=["phone", "email"])
    other = {**HONG, "email": "kim@example.com", "phone": "01000001234"}  # the same phone, written differently
    assert vault.put_new("s_2", other, unique=["email", "phone"]) == ("phone",)
    # A subject whose key is shredded (its rows not purged yet) is nobody's duplicate any more.
    vault.shred_keys(["s_1", "s_2"])
    assert vault.put_new("s_3", HONG, unique=["phone", "email"]) == ()


def test_a_value_that_fails_its_check_writes_nothing(vault: Vault, store: SqlVaultStore) -> None:
    with pytest.raises(InvalidValueError) as caught:
        vault.put_new("s_1", {**HONG, "phone": "not-a-phone-0000"})
    assert "not-a-phone-0000" not in str(caught.value)
    assert rows(store) == (0, 0)


def test_only_searchable_items_can_be_unique(vault: Vault, store: SqlVaultStore) -> None:
    with pytest.raises(VaultError, match="'name' is not searchable"):
        vault.put_new("s_1", HONG, unique=["name"])
    assert rows(store) == (0, 0)


def test_a_subject_that_has_data_already_is_refused(vault: Vault, store: SqlVaultStore) -> None:
    vault.put("s_1", {"name": "홍길동"})
    # The key table's primary key refuses a second key of the subject: nothing is written.
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        vault.put_new("s_1", HONG)
    assert rows(store) == (1, 1)
    assert vault.get("s_1") == {"name": "홍길동"}

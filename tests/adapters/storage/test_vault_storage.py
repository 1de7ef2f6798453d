"""The vault on a real database (SQLite always, PostgreSQL when configured): round trips, integrity, look-ups,
passwords and atomic writes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest
from sqlalchemy import select, update

from jikimi.adapters.storage import SqlVaultStore
from jikimi.adapters.storage.tables import blind_index, fields
from jikimi.errors import (
    IntegrityError,
    InvalidValueError,
    NotReadableError,
    UnknownItemError,
    VaultError,
)
from jikimi.policy import Policy
from jikimi.vault import Argon2Params, LocalKeyring, PasswordHashing, Vault
from jikimi.vault.ports import IndexRow, VaultSession


def raw_fields(store: SqlVaultStore) -> dict[tuple[str, str, str], tuple[int, bytes]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(fields)).all()
    return {(r.subject, r.bucket, r.item): (r.kind, bytes(r.value)) for r in rows}


def test_round_trip_of_every_item_but_the_password(vault: Vault, hong: dict[str, str]) -> None:
    vault.put("s-1", hong)
    readable = {k: v for k, v in hong.items() if k != "password"}
    assert vault.get("s-1") == readable
    assert vault.get("s-1", ["name", "phone"]) == {"name": "홍길동", "phone": "010-1234-5678"}
    assert vault.get("nobody") == {}


def test_the_database_holds_ciphertext_only(vault: Vault, store: SqlVaultStore, hong: dict[str, str]) -> None:
    """R-SEC-15/16: even an RRN the policy wrongly marks `personal: false` is encrypted; only `plan` is plain."""
    vault.put("s-1", hong)
    raw = raw_fields(store)
    assert raw[("s-1", "live", "plan")] == (3, b"basic-plan")
    for (_, _, item), (_, value) in raw.items():
        if item == "plan":
            continue
        for clear in hong.values():
            assert clear.encode() not in value, f"{item} stored in clear"
    with store.engine.connect() as conn:
        digests = conn.execute(select(blind_index.c.item)).scalars().all()
    assert sorted(digests) == ["email", "phone"]


def test_a_flipped_byte_is_detected(vault: Vault, store: SqlVaultStore, hong: dict[str, str]) -> None:
    vault.put("s-1", hong)
    _kind, value = raw_fields(store)[("s-1", "live", "email")]
    tampered = value[:-1] + bytes([value[-1] ^ 0x01])
    with store.engine.begin() as conn:
        conn.execute(update(fields).where(fields.c.subject == "s-1", fields.c.item == "email").values(value=tampered))
    with pytest.raises(IntegrityError, match="'email'"):
        vault.get("s-1", ["email"])


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (("s-1", "email"), ("s-2", "email")),  # another subject
        (("s-1", "phone"), ("s-1", "email")),  # another item of the same subject
    ],
)
def test_a_ciphertext_moved_elsewhere_fails(
    vault: Vault,
    store: SqlVaultStore,
    hong: dict[str, str],
    source: tuple[str, str],
    target: tuple[str, str],
) -> None:
    vault.put("s-1", hong)
    vault.put("s-2", {"email": "other@example.com"})
    _, value = raw_fields(store)[(source[0], "live", source[1])]
    with store.engine.begin() as conn:
        conn.execute(
            update(fields).where(fields.c.subject == target[0], fields.c.item == target[1]).values(value=value)
        )
    with pytest.raises(IntegrityError):
        vault.get(target[0], [target[1]])


def test_blind_index_finds_subjects_without_decrypting(vault: Vault, hong: dict[str, str]) -> None:
    vault.put("s-1", hong)
    vault.put("s-2", {"phone": "01012345678", "email": "Other@Example.com"})
    assert vault.find_by("phone", "010 1234 5678") == ["s-1", "s-2"]
    assert vault.find_by("email", "other@example.com") == ["s-2"]
    assert vault.find_by("email", "nobody@example.com") == []
    vault.put("s-2", {"phone": "010-9999-8888"})  # a change replaces the old entry
    assert vault.find_by("phone", "010-1234-5678") == ["s-1"]
    with pytest.raises(VaultError, match="not searchable"):
        vault.find_by("name", "홍길동")


def test_bad_input_writes_nothing_and_names_the_item(vault: Vault, hong: dict[str, str]) -> None:
    bad = dict(hong, rrn="900101-1234567")  # checksum wrong
    with pytest.raises(InvalidValueError) as caught:
        vault.put("s-1", bad)
    assert caught.value.item == "rrn"
    assert "900101" not in str(caught.value)
    assert vault.get("s-1") == {}
    with pytest.raises(UnknownItemError, match="'shoe_size'"):
        vault.put("s-1", {"name": "홍길동", "shoe_size": "270"})
    with pytest.raises(UnknownItemError, match="bucket"):
        vault.put("s-1", {"name": "홍길동"}, bucket="forever")
    assert vault.get("s-1") == {}


class FailingIndexStore:
    """Wraps a store; its sessions fail when writing the blind index, i.e. after the fields were written."""

    def __init__(self, inner: SqlVaultStore) -> None:
        self.inner = inner

    @contextmanager
    def transaction(self) -> Iterator[VaultSession]:
        with self.inner.transaction() as session:

            def fail(rows: Sequence[IndexRow]) -> None:
                raise RuntimeError("disk full")

            session.put_index = fail  # type: ignore[method-assign]
            yield session


def test_a_write_is_one_transaction(
    policy: Policy,
    store: SqlVaultStore,
    keyring: LocalKeyring,
    passwords: PasswordHashing,
    hong: dict[str, str],
) -> None:
    Vault(policy, store, keyring, passwords=passwords)  # adopt the key first
    failing = Vault(policy, FailingIndexStore(store), keyring, passwords=passwords)
    with pytest.raises(RuntimeError):
        failing.put("s-1", hong)
    assert raw_fields(store) == {}
    assert Vault(policy, store, keyring, passwords=passwords).get("s-1") == {}


def test_passwords_verify_and_never_read(vault: Vault, store: SqlVaultStore, hong: dict[str, str]) -> None:
    vault.put("s-1", hong)
    vault.put("s-2", {"password": hong["password"]})
    assert vault.verify_password("s-1", "password", hong["password"])
    assert not vault.verify_password("s-1", "password", "wrong")
    assert not vault.verify_password("nobody", "password", "anything")
    with pytest.raises(NotReadableError):
        vault.get("s-1", ["password"])
    raw = raw_fields(store)
    assert raw[("s-1", "live", "password")][0] == 2
    # Salted: the same password never stores alike.
    assert raw[("s-1", "live", "password")] != raw[("s-2", "live", "password")]


def test_rehash_on_verify_when_parameters_change(
    policy: Policy, store: SqlVaultStore, keyring: LocalKeyring, hong: dict[str, str]
) -> None:
    old = Vault(policy, store, keyring, passwords=PasswordHashing(Argon2Params.cheap()))
    old.put("s-1", {"password": hong["password"]})
    before = raw_fields(store)[("s-1", "live", "password")]
    stronger = PasswordHashing(Argon2Params(time_cost=2, memory_cost=16, parallelism=1))
    new = Vault(policy, store, keyring, passwords=stronger)
    assert new.verify_password("s-1", "password", hong["password"])
    after = raw_fields(store)[("s-1", "live", "password")]
    assert after != before
    assert not new.verify_password("s-1", "password", "wrong")
    assert raw_fields(store)[("s-1", "live", "password")] == after  # a failed check rewrites nothing
    assert new.verify_password("s-1", "password", hong["password"])


def test_masked_view_for_display(vault: Vault, hong: dict[str, str]) -> None:
    vault.put("s-1", hong)
    shown = vault.masked("s-1", ["name", "phone", "rrn", "card", "email", "ip"])
    assert shown == {
        "name": "홍*동",
        "phone": "010-****-5678",
        "rrn": "900101-1******",
        "card": "4111-****-****-1111",
        "email": "ho***@example.com",
        "ip": "192.168.*.*",
    }


def test_bulk_write_and_read(vault: Vault) -> None:
    records = [(f"s-{i}", {"name": "홍길동", "email": f"user{i}@example.com"}) for i in range(1200)]
    assert vault.put_many(records) == 2400
    got = vault.get_many([f"s-{i}" for i in range(1200)], ["email"])
    assert len(got) == 1200
    assert got["s-1199"] == {"email": "user1199@example.com"}


def test_a_subject_twice_in_one_bulk_write_keeps_its_last_values(vault: Vault) -> None:
    """A bulk write has the outcome of writing its records in order (a set-based write of the batch, such as one
    upsert over arrays on PostgreSQL, must deduplicate it first: such an upsert may touch a row only once)."""
    records = [
        ("s-1", {"name": "홍길동", "email": "first@example.com"}),
        ("s-2", {"name": "김철수"}),
        ("s-1", {"email": "second@example.com"}),
    ]
    assert vault.put_many(records) == 4
    assert vault.get("s-1") == {"name": "홍길동", "email": "second@example.com"}
    assert vault.find_by("email", "second@example.com") == ["s-1"]
    assert vault.find_by("email", "first@example.com") == []
    assert vault.get("s-2") == {"name": "김철수"}

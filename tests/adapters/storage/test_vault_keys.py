"""Keys on a real database: wrong-key refusal, rotation and its resumption, crypto-shredding, schema versions."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, text

from jikimi.adapters.storage import SqlVaultStore, open_store, upgrade_database
from jikimi.adapters.storage.consent_store import SqlConsentStore
from jikimi.adapters.storage.schema import downgrade, head_revision
from jikimi.adapters.storage.tables import blind_index
from jikimi.errors import IntegrityError, KeyringError, SchemaError
from jikimi.policy import Policy
from jikimi.vault import LocalKeyring, PasswordHashing, Vault
from jikimi.vault.cipher import associated_data, decrypt_field
from jikimi.vault.envelope import key_context

from .conftest import Database


def test_a_wrong_kek_is_refused_at_start_up(policy: Policy, store: SqlVaultStore, passwords: PasswordHashing) -> None:
    kek, index_key = b"\x01" * 32, b"\x02" * 32
    keyring = LocalKeyring("kek-test", kek, index_key)
    Vault(policy, store, keyring, passwords=passwords).put("s-1", {"name": "홍길동"})
    with pytest.raises(KeyringError, match="encrypted under KEK"):
        Vault(policy, store, LocalKeyring.generate(), passwords=passwords)
    same_id_other_bytes = LocalKeyring("kek-test", b"\x07" * 32, index_key)
    with pytest.raises(KeyringError, match="cannot unwrap"):
        Vault(policy, store, same_id_other_bytes, passwords=passwords)
    other_index = LocalKeyring("kek-test", kek, b"\x09" * 32)
    with pytest.raises(KeyringError, match="blind-index"):
        Vault(policy, store, other_index, passwords=passwords)


def test_rotation_rewraps_every_key_and_resumes(
    policy: Policy, store: SqlVaultStore, keyring: LocalKeyring, passwords: PasswordHashing
) -> None:
    vault = Vault(policy, store, keyring, passwords=passwords)
    for i in range(7):
        vault.put(f"s-{i}", {"name": "홍길동", "email": f"user{i}@example.com"})
    vault.put("s-0", {"card": "4111-1111-1111-1111"}, bucket="payment_records")
    new = LocalKeyring.generate(index_key=keyring.index_key())
    partial = Vault(policy, store, keyring, passwords=passwords).rotate_kek(new, batch_size=3, max_batches=1)
    assert (partial.rewrapped, partial.done) == (3, False)
    assert partial.remaining == 5
    # Mid-rotation both keys open the database; the vault that rotated reads everything.
    assert Vault(policy, store, new, passwords=passwords).get("s-0")["name"] == "홍길동"
    with pytest.raises(KeyringError):
        Vault(policy, store, new, passwords=passwords).get("s-6")
    assert Vault(policy, store, keyring, passwords=passwords).get("s-6")["name"] == "홍길동"
    # Running again finishes the job; running a third time changes nothing.
    resumed = Vault(policy, store, keyring, passwords=passwords).rotate_kek(new, batch_size=3)
    assert (resumed.rewrapped, resumed.remaining, resumed.done) == (5, 0, True)
    with pytest.raises(KeyringError):
        Vault(policy, store, keyring, passwords=passwords)  # the old KEK is retired
    after = Vault(policy, store, new, passwords=passwords)
    assert after.rotate_kek(new).rewrapped == 0
    assert after.get("s-6") == {"name": "홍길동", "email": "user6@example.com"}
    assert after.get("s-0", bucket="payment_records") == {"card": "4111-1111-1111-1111"}
    assert after.find_by("email", "user3@example.com") == ["s-3"]


def test_rotation_keeps_the_index_key(
    policy: Policy, store: SqlVaultStore, keyring: LocalKeyring, passwords: PasswordHashing
) -> None:
    vault = Vault(policy, store, keyring, passwords=passwords)
    with pytest.raises(KeyringError, match="blind-index"):
        vault.rotate_kek(LocalKeyring.generate())


def test_shredding_live_data_keeps_the_statutory_bucket(
    policy: Policy, store: SqlVaultStore, keyring: LocalKeyring, passwords: PasswordHashing
) -> None:
    vault = Vault(policy, store, keyring, passwords=passwords)
    vault.put("s-1", {"name": "홍길동", "phone": "010-1234-5678"})
    vault.put("s-1", {"name": "홍길동", "card": "4111-1111-1111-1111"}, bucket="payment_records")
    vault.put("s-2", {"name": "김철수", "phone": "010-2222-3333"})
    assert vault.shred("s-1")
    assert not vault.shred("s-1")
    assert vault.get("s-1") == {}
    assert vault.find_by("phone", "010-1234-5678") == []
    assert vault.get("s-1", bucket="payment_records") == {"name": "홍길동", "card": "4111-1111-1111-1111"}
    assert vault.get("s-2")["name"] == "김철수"


def test_shred_keys_then_purge(
    policy: Policy, store: SqlVaultStore, keyring: LocalKeyring, passwords: PasswordHashing
) -> None:
    vault = Vault(policy, store, keyring, passwords=passwords)
    vault.put_many([(f"s-{i}", {"name": "홍길동", "email": f"u{i}@example.com"}) for i in range(10)])
    assert vault.shred_keys([f"s-{i}" for i in range(6)]) == 6
    assert vault.get("s-0") == {}  # unreadable from the moment the key is gone
    assert vault.find_by("email", "u0@example.com") == []
    assert vault.purge([f"s-{i}" for i in range(3)], chunk=2) == 6
    assert vault.purge_orphans(chunk=1) == 6  # what an interrupted purge left behind
    assert vault.purge_orphans() == 0
    assert vault.get("s-9")["email"] == "u9@example.com"
    with store.engine.connect() as conn:  # the blind index went with the rows (R-SEC-27)
        indexed = set(conn.scalars(select(blind_index.c.subject).distinct()))
    assert indexed == {f"s-{i}" for i in range(6, 10)}


def _file(database: Database) -> Path:
    return Path(database.url.removeprefix("sqlite:///"))


def test_a_copy_taken_before_shredding_does_not_bring_the_data_back(
    database: Database,
    policy: Policy,
    keyring: LocalKeyring,
    passwords: PasswordHashing,
    tmp_path: Path,
) -> None:
    """R-SEC-27. The data file holds no key: a copy of it taken before the shred, with the KEK and the key database
    as it is after the shred, reads the bucket that is still kept and nothing of the shredded one."""
    if database.engine != "sqlite":
        pytest.skip("copies the database file")
    store = database.open()
    vault = Vault(policy, store, keyring, passwords=passwords)
    vault.put("s-1", {"name": "홍길동"})
    vault.put("s-1", {"name": "홍길동"}, bucket="payment_records")
    store.close()  # checkpoint the WAL so the file is a complete copy
    copy = tmp_path / "before-shred.db"
    shutil.copy(_file(database), copy)
    store = database.open()
    vault = Vault(policy, store, keyring, passwords=passwords)
    vault.shred("s-1")

    with sqlite3.connect(copy) as old:
        rows = dict(old.execute("SELECT bucket, value FROM fields WHERE subject = 's-1' AND item = 'name'").fetchall())
        tables = {name for (name,) in old.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(rows) == {"live", "payment_records"}  # the copy has both ciphertexts ...
    assert "data_keys" not in tables  # ... and no key for either
    with store.transaction() as session:
        assert session.get_keys("live", ["s-1"]) == {}  # nothing left anywhere can open the copy's live row
        kept = session.get_keys("payment_records", ["s-1"])["s-1"]
    dek = keyring.unwrap(kept.wrapped, kept.kek_id, key_context("s-1", "payment_records"))
    ad = associated_data("s-1", "name", "payment_records", kept.key_version)
    assert decrypt_field(AESGCM(dek), rows["payment_records"], ad, item="name") == "홍길동".encode()
    # Any other key fails on the live row: the ciphertext is bound to its own (destroyed) DEK.
    with pytest.raises(IntegrityError):
        decrypt_field(AESGCM(dek), rows["live"], associated_data("s-1", "name", "live", 1), item="name")


def test_a_shredded_key_is_overwritten_in_the_key_file(
    database: Database, policy: Policy, keyring: LocalKeyring, passwords: PasswordHashing
) -> None:
    """R-SEC-27: a deleted key is not left in a free page of the key file for a carving tool to find."""
    if database.engine != "sqlite":
        pytest.skip("reads the key file's bytes")
    store = database.open()
    vault = Vault(policy, store, keyring, passwords=passwords)
    subjects = [f"s-{n}" for n in range(400)]  # enough keys to free whole pages when they go
    for subject in subjects:
        vault.put(subject, {"name": "홍길동"})
    with store.transaction() as session:
        keys = session.get_keys("live", subjects)
    wrapped = [keys[subject].wrapped for subject in subjects]
    for subject in subjects[:300]:
        vault.shred(subject)
    store.close()  # checkpoints both files' WAL into the files
    key_file = _file(database).with_name("vault.keys.db")
    content = key_file.read_bytes()
    assert not any(w in content for w in wrapped[:300])
    assert all(w in content for w in wrapped[300:])  # the test can see a key that is there


@pytest.mark.parametrize("through", ["vault store", "consent store"])
def test_a_shred_leaves_no_old_copy_of_the_key_in_the_write_ahead_log(
    database: Database, policy: Policy, keyring: LocalKeyring, passwords: PasswordHashing, through: str
) -> None:
    """R-SEC-27: the key file's WAL keeps earlier images of the pages it changed until a checkpoint; a commit that
    deleted keys checkpoints and truncates it at once, not whenever the WAL next fills up."""
    if database.engine != "sqlite":
        pytest.skip("reads the key file's bytes")
    store = database.open()
    used = SqlConsentStore.over(store) if through == "consent store" else store
    vault = Vault(policy, used, keyring, passwords=passwords)
    subjects = [f"s-{n}" for n in range(200)]
    for subject in subjects:
        vault.put(subject, {"name": "홍길동"})
    with store.transaction() as session:
        keys = session.get_keys("live", subjects)
    wrapped = [keys[subject].wrapped for subject in subjects]
    key_file = _file(database).with_name("vault.keys.db")
    wal = key_file.with_name("vault.keys.db-wal")
    assert any(w in wal.read_bytes() for w in wrapped)  # the puts' pages are still in the WAL
    vault.shred_keys(subjects[:150])
    content = key_file.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert not any(w in content for w in wrapped[:150])
    assert all(w in content for w in wrapped[150:])  # the test can see a key that is there
    store.close()


def test_a_database_without_its_key_file_is_refused(
    database: Database, policy: Policy, keyring: LocalKeyring, passwords: PasswordHashing, tmp_path: Path
) -> None:
    if database.engine != "sqlite":
        pytest.skip("moves files")
    store = database.open()
    Vault(policy, store, keyring, passwords=passwords).put("s-1", {"name": "홍길동"})
    store.close()
    key_file = _file(database).with_name("vault.keys.db")
    moved = tmp_path / "elsewhere.keys.db"
    key_file.rename(moved)
    with pytest.raises(SchemaError, match=r"key database .*vault\.keys\.db is missing"):
        database.open()
    # A new database beside a key file that holds another database's keys is refused too, and nothing is made.
    _file(database).unlink()
    key_file.unlink()
    moved.rename(key_file)
    with pytest.raises(SchemaError, match="belongs to another database"):
        database.open()


def test_keys_move_to_the_key_file_on_upgrade(
    database: Database, policy: Policy, keyring: LocalKeyring, passwords: PasswordHashing
) -> None:
    """A database made before the key database existed (revision 0006) keeps every field readable after upgrade."""
    store = database.open()
    vault = Vault(policy, store, keyring, passwords=passwords)
    vault.put("s-1", {"name": "홍길동", "email": "u1@example.com"})
    downgrade(store.engine, "0006")
    store.close()
    with pytest.raises(SchemaError, match="jikimi db upgrade"):
        database.open()
    assert upgrade_database(database.url, schema=database.schema) == head_revision()
    vault = Vault(policy, database.open(), keyring, passwords=passwords)
    assert vault.get("s-1") == {"name": "홍길동", "email": "u1@example.com"}


def test_a_database_from_a_newer_jikimi_is_refused(database: Database) -> None:
    store = database.open()
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    store.close()
    with pytest.raises(SchemaError, match="newer jikimi"):
        database.open()
    with pytest.raises(SchemaError, match="newer jikimi"):
        upgrade_database(database.url, schema=database.schema)


def test_upgrade_is_idempotent_and_first_use_migrates(database: Database) -> None:
    assert upgrade_database(database.url, schema=database.schema) == head_revision()
    assert upgrade_database(database.url, schema=database.schema) == head_revision()
    database.open()


def test_an_unversioned_vault_is_not_touched(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "odd.db") as conn:
        conn.execute("CREATE TABLE fields (x INTEGER)")
    with pytest.raises(SchemaError, match="no schema revision"):
        open_store(f"sqlite:///{tmp_path / 'odd.db'}")

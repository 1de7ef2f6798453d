"""`jikimi keys` and `jikimi db`: key files are never overwritten, rotation is resumable, upgrades are idempotent."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jikimi.adapters.cli import app
from jikimi.adapters.storage import open_store
from jikimi.adapters.storage.schema import head_revision
from jikimi.policy import load_policy
from jikimi.vault import Argon2Params, LocalKeyring, PasswordHashing, Vault

POLICY = Path(__file__).resolve().parents[2] / "vault" / "data" / "vault.yaml"
runner = CliRunner()


def test_keys_init_writes_0600_and_refuses_to_overwrite(tmp_path: Path) -> None:
    key = tmp_path / "jikimi.key"
    result = runner.invoke(app, ["keys", "init", "--key-file", str(key)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    again = runner.invoke(app, ["keys", "init", "--key-file", str(key)])
    assert again.exit_code == 1
    assert "never overwrites" in again.output


def test_db_upgrade_uses_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIKIMI_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()}" in result.output
    assert (tmp_path / "env.db").exists()


def test_keys_rotate_rewraps_under_a_new_key_file(tmp_path: Path) -> None:
    old_file, new_file = tmp_path / "old.key", tmp_path / "new.key"
    url = f"sqlite:///{tmp_path / 'vault.db'}"
    assert runner.invoke(app, ["keys", "init", "--key-file", str(old_file)]).exit_code == 0
    policy = load_policy(POLICY)
    passwords = PasswordHashing(Argon2Params.cheap())
    store = open_store(url)
    Vault(policy, store, LocalKeyring.from_file(old_file), passwords=passwords).put(
        "s-1", {"email": "user@example.com"}
    )
    store.close()
    args = ["keys", "rotate", "--key-file", str(old_file), "--new-key-file", str(new_file), "--db", url]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "re-wrapped 1 data keys" in result.output
    store = open_store(url)
    vault = Vault(policy, store, LocalKeyring.from_file(new_file), passwords=passwords)
    assert vault.find_by("email", "user@example.com") == ["s-1"]
    assert vault.get("s-1") == {"email": "user@example.com"}
    store.close()


def test_a_missing_key_file_is_a_clear_error(tmp_path: Path) -> None:
    args = ["keys", "rotate", "--key-file", str(tmp_path / "nope.key"), "--new-key-file", str(tmp_path / "n.key")]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "does not exist" in result.output


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("sqlite:////nonexistent-dir/x.db", "cannot use the database"),
        ("postgresql://nobody:secret@127.0.0.1:1/x", "cannot use the database"),
        ("foo://bar", "not a database URL"),
        ("notaurl", "not a database URL"),
    ],
)
def test_db_upgrade_with_an_unusable_url_is_one_clean_line(url: str, says: str) -> None:
    result = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert result.exit_code == 1
    assert says in result.output
    assert "secret" not in result.output  # passwords never printed
    assert isinstance(result.exception, SystemExit)


def test_keys_init_in_a_missing_folder_and_unreadable_key_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["keys", "init", "--key-file", str(tmp_path / "no" / "k.key")])
    assert result.exit_code == 1
    assert "cannot create key file" in result.output
    binary = tmp_path / "binary.key"
    binary.write_bytes(b"\xff\xfe\x00")
    for bad in (binary, tmp_path):
        out = runner.invoke(app, ["keys", "rotate", "--key-file", str(bad), "--new-key-file", str(tmp_path / "n.key")])
        assert out.exit_code == 1
        assert out.output.startswith("error: ")


def test_rotate_with_a_bad_database_leaves_no_new_key_file(tmp_path: Path) -> None:
    old = tmp_path / "old.key"
    assert runner.invoke(app, ["keys", "init", "--key-file", str(old)]).exit_code == 0
    new = tmp_path / "new.key"
    result = runner.invoke(
        app, ["keys", "rotate", "--key-file", str(old), "--new-key-file", str(new), "--db", "foo://bar"]
    )
    assert result.exit_code == 1
    assert not new.exists()

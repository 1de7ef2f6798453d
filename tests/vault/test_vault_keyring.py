"""Key files and the local keyring: 0600, never overwritten, clear errors, no key material in reprs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from jikimi.errors import KeyFileExistsError, KeyringError
from jikimi.vault import LocalKeyring, init_key_file
from jikimi.vault.keyring import ENV_VAR, Keyring


def test_init_writes_0600_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "jikimi.key"
    made = init_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    with pytest.raises(KeyFileExistsError):
        init_key_file(path)
    assert path.read_bytes() == before
    loaded = LocalKeyring.from_file(path)
    assert loaded.kek_id == made.kek_id
    assert isinstance(loaded, Keyring)


def test_wrapped_keys_are_bound_to_their_context() -> None:
    keyring = LocalKeyring.generate()
    wrapped = keyring.wrap(b"\x05" * 32, b"s-1/live")
    assert keyring.unwrap(wrapped, keyring.kek_id, b"s-1/live") == b"\x05" * 32
    with pytest.raises(KeyringError):
        keyring.unwrap(wrapped, keyring.kek_id, b"s-2/live")
    with pytest.raises(KeyringError, match="wrapped by KEK"):
        LocalKeyring.generate().unwrap(wrapped, keyring.kek_id, b"s-1/live")


def test_load_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "jikimi.key"
    made = init_key_file(path)
    monkeypatch.setenv(ENV_VAR, str(path))
    assert LocalKeyring.load().kek_id == made.kek_id
    monkeypatch.setenv(ENV_VAR, path.read_text("utf-8"))
    assert LocalKeyring.load().kek_id == made.kek_id
    monkeypatch.delenv(ENV_VAR)
    with pytest.raises(KeyringError, match="jikimi keys init"):
        LocalKeyring.load()


def test_a_missing_or_malformed_key_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="does not exist"):
        LocalKeyring.from_file(tmp_path / "nope.key")
    bad = tmp_path / "bad.key"
    bad.write_text('{"format": 1, "kek_id": "k", "kek": "c2VjcmV0LXZhbHVl", "index_key": "!!"}')
    with pytest.raises(KeyringError) as caught:
        LocalKeyring.from_file(bad)
    assert "c2VjcmV0" not in str(caught.value)


def test_repr_shows_the_id_only() -> None:
    kek, index = os.urandom(32), os.urandom(32)
    keyring = LocalKeyring("kek-1", kek, index)
    assert repr(keyring) == "LocalKeyring(kek_id='kek-1')"
    with pytest.raises(KeyringError):
        LocalKeyring("kek-1", kek, kek)

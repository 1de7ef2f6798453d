"""Key-encryption keys (KEKs): the top of the key hierarchy (R-SEC-19).

A :class:`Keyring` wraps and unwraps data keys (DEKs) and holds the separate blind-index key. jikimi ships
:class:`LocalKeyring`, which reads a key file (or ``JIKIMI_KEY``); a KMS or HSM plugs in by implementing the same
four members (``docs/security.md``). The context passed to ``wrap``/``unwrap`` is bound as associated data (an
"encryption context" in KMS terms), so a wrapped DEK moved onto another subject or bucket does not unwrap.

A missing or malformed key is a :class:`~jikimi.errors.KeyringError` at start-up: jikimi never invents a key silently.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jikimi.errors import KeyFileExistsError, KeyringError

__all__ = ["ENV_VAR", "Keyring", "LocalKeyring", "init_key_file"]

ENV_VAR = "JIKIMI_KEY"
_FORMAT = 1
_KEY_SIZE = 32
_NONCE_SIZE = 12


@runtime_checkable
class Keyring(Protocol):
    """Wraps data keys under a KEK; a KMS adapter implements these members."""

    @property
    def kek_id(self) -> str:
        """The id of the KEK that ``wrap`` uses now; recorded beside every wrapped DEK."""
        ...

    def wrap(self, dek: bytes, context: bytes) -> bytes:
        """Encrypt a data key under the current KEK, bound to ``context``."""
        ...

    def unwrap(self, wrapped: bytes, kek_id: str, context: bytes) -> bytes:
        """Decrypt a data key wrapped by KEK ``kek_id``; raise KeyringError if it cannot (wrong KEK, altered)."""
        ...

    def index_key(self) -> bytes:
        """The 32-byte blind-index key, separate from every KEK and never rotated with them."""
        ...


class LocalKeyring:
    """A KEK and a blind-index key held in process memory, read from a 0600 key file or ``JIKIMI_KEY``."""

    def __init__(self, kek_id: str, kek: bytes, index_key: bytes) -> None:
        if len(kek) != _KEY_SIZE or len(index_key) != _KEY_SIZE:
            raise KeyringError("a KEK and a blind-index key are 32 bytes each")
        if kek == index_key:
            raise KeyringError("the blind-index key must differ from the KEK")
        self._kek_id = kek_id
        self._aead = AESGCM(kek)
        self._index_key = index_key

    @classmethod
    def generate(cls, index_key: bytes | None = None) -> LocalKeyring:
        """A fresh random KEK; pass ``index_key`` to keep look-ups working across a rotation."""
        return cls(_new_kek_id(), os.urandom(_KEY_SIZE), index_key or os.urandom(_KEY_SIZE))

    @classmethod
    def from_json(cls, text: str, source: str = "key") -> LocalKeyring:
        """Parse the key-file JSON; ``source`` names where it came from in error messages."""
        try:
            data = json.loads(text)
            if data.get("format") != _FORMAT:
                raise KeyringError(f"{source}: unsupported key format {data.get('format')!r}")
            return cls(
                str(data["kek_id"]),
                base64.b64decode(data["kek"], validate=True),
                base64.b64decode(data["index_key"], validate=True),
            )
        except KeyringError:
            raise
        # Never echo the content: it is a secret. Name the source and what is wrong only.
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise KeyringError(
                f"{source}: not a jikimi key (expected JSON with format, kek_id, kek, index_key)"
            ) from None

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> LocalKeyring:
        try:
            text = Path(path).read_text("utf-8")
        except FileNotFoundError:
            raise KeyringError(
                f"key file {os.fspath(path)} does not exist (create one with `jikimi keys init`)"
            ) from None
        except UnicodeDecodeError:
            raise KeyringError(f"{os.fspath(path)}: not a jikimi key file (not UTF-8 text)") from None
        except OSError as exc:
            raise KeyringError(f"key file {os.fspath(path)}: cannot read it ({exc.strerror})") from None
        return cls.from_json(text, os.fspath(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> LocalKeyring:
        """From ``path`` if given, else from ``JIKIMI_KEY`` (the JSON itself, or a path to it)."""
        if path is not None:
            return cls.from_file(path)
        value = os.environ.get(ENV_VAR, "").strip()
        if not value:
            raise KeyringError(f"no key: pass a key file or set {ENV_VAR} (create one with `jikimi keys init`)")
        if value.startswith("{"):
            return cls.from_json(value, ENV_VAR)
        return cls.from_file(value)

    @property
    def kek_id(self) -> str:
        return self._kek_id

    def wrap(self, dek: bytes, context: bytes) -> bytes:
        nonce = os.urandom(_NONCE_SIZE)
        return nonce + self._aead.encrypt(nonce, dek, self._ad(self._kek_id, context))

    def unwrap(self, wrapped: bytes, kek_id: str, context: bytes) -> bytes:
        if kek_id != self._kek_id:
            raise KeyringError(f"data key is wrapped by KEK {kek_id!r}; this keyring holds {self._kek_id!r}")
        try:
            return self._aead.decrypt(wrapped[:_NONCE_SIZE], wrapped[_NONCE_SIZE:], self._ad(kek_id, context))
        except InvalidTag:
            raise KeyringError(
                f"KEK {kek_id!r} cannot unwrap a stored data key: wrong key file, or the key was altered"
            ) from None

    def index_key(self) -> bytes:
        return self._index_key

    @staticmethod
    def _ad(kek_id: str, context: bytes) -> bytes:
        return b"jikimi.dek.v1\x00" + kek_id.encode() + b"\x00" + context

    def __repr__(self) -> str:
        # The id only: never the key material.
        return f"LocalKeyring(kek_id={self._kek_id!r})"


def _new_kek_id() -> str:
    return "kek-" + secrets.token_hex(8)


def init_key_file(path: str | os.PathLike[str], *, index_key: bytes | None = None) -> LocalKeyring:
    """Write a new key file with mode 0600; refuse if ``path`` exists (overwriting a key loses the data).

    ``index_key`` carries the blind-index key over from an older key file (rotation keeps look-ups working).
    """
    kek = os.urandom(_KEY_SIZE)
    idx = index_key if index_key is not None else os.urandom(_KEY_SIZE)
    kek_id = _new_kek_id()
    keyring = LocalKeyring(kek_id, kek, idx)
    text = json.dumps(
        {
            "format": _FORMAT,
            "kek_id": kek_id,
            "kek": base64.b64encode(kek).decode(),
            "index_key": base64.b64encode(idx).decode(),
        },
        indent=2,
    )
    try:
        # O_EXCL: an atomic refusal to overwrite; mode 0600 from creation, so the key is never world-readable.
        fd = os.open(os.fspath(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileExistsError(f"key file {os.fspath(path)} exists; jikimi never overwrites a key") from None
    except OSError as exc:
        raise KeyringError(f"cannot create key file {os.fspath(path)} ({exc.strerror})") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text + "\n")
    return keyring

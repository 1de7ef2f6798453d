"""Envelope encryption: random data keys (DEKs), wrapped under the KEK, one per subject and bucket (R-SEC-19).

A DEK is ``os.urandom(32)``, never derived from the KEK: a derived key could be re-derived by whoever holds the KEK,
and could then not be shredded (R-SEC-27, performance.md §2). Each wrapped DEK is bound to its subject and bucket.

Start-up check (:func:`check_keyring`): the database keeps, per KEK id, a random value wrapped under that KEK, and an
HMAC of a constant under the blind-index key. A keyring that cannot unwrap its check value, or whose index key does
not match, is refused with :class:`~jikimi.errors.KeyringError` before anything is read or written. An empty
database adopts the keyring it first meets.

Rotation (:func:`rotate_kek`) re-wraps every DEK under a new KEK, in batches of one transaction each. It is
idempotent and resumable: a DEK already under the new KEK is skipped, so a run cut short is simply run again.

Expiry keys (:class:`ExpiryKeyring`): a retention bucket's DEK may be wrapped, not under the KEK, but under the
expiry key of the day the bucket expires; that key is itself a DEK of the reserved subject ``~expiry`` wrapped
under the KEK. Deleting it shreds every bucket of its day at once (docs/retention.md, "Expiry keys"). A rotation
re-wraps the expiry keys, not the DEKs under them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jikimi.errors import KeyringError
from jikimi.vault.keyring import Keyring
from jikimi.vault.ports import DataKey, VaultStore

__all__ = [
    "EXPIRY_PREFIX",
    "EXPIRY_SUBJECT",
    "ExpiryKeyring",
    "RotationReport",
    "check_keyring",
    "key_context",
    "new_data_key",
    "rotate_kek",
]

DEK_SIZE = 32
_CHECK_PREFIX = "kek_check/"
_INDEX_CHECK = "index_check"
_CONTEXT_HEAD = len(b"jikimi.dek").to_bytes(2, "big") + b"jikimi.dek"
#: The subject an expiry key is stored under, as a DEK of bucket ``<EXPIRY_PREFIX><day>/<random>``. Subject ids
#: are ``s_...`` and never start with "~".
EXPIRY_SUBJECT = "~expiry"
#: How the name of an expiry key begins; a DEK under it records that name as its ``kek_id``.
EXPIRY_PREFIX = "expiry:"
_NONCE = 12


def key_context(subject: str, bucket: str) -> bytes:
    """The encryption context a DEK is wrapped with: length-prefixed subject and bucket."""
    s, b = subject.encode(), bucket.encode()
    return _CONTEXT_HEAD + len(s).to_bytes(2, "big") + s + len(b).to_bytes(2, "big") + b


def new_data_key(keyring: Keyring, subject: str, bucket: str) -> tuple[bytes, DataKey]:
    """A fresh random DEK and its wrapped form, ready to store."""
    dek = os.urandom(DEK_SIZE)
    wrapped = keyring.wrap(dek, key_context(subject, bucket))
    return dek, DataKey(subject, bucket, 1, keyring.kek_id, wrapped)


class ExpiryKeyring:
    """Wraps DEKs under one expiry key (a random 32-byte key, itself stored wrapped under the KEK).

    A :class:`Keyring` for wrapping only: blind indexes use the main keyring's key (:meth:`index_key` refuses).
    """

    __slots__ = ("_aead", "_name")

    def __init__(self, name: str, key: bytes) -> None:
        self._name = name
        self._aead = AESGCM(key)

    @property
    def kek_id(self) -> str:
        return self._name

    def wrap(self, dek: bytes, context: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, dek, self._ad(context))

    def unwrap(self, wrapped: bytes, kek_id: str, context: bytes) -> bytes:
        if kek_id != self._name:
            raise KeyringError(f"data key is wrapped by {kek_id!r}, not by expiry key {self._name!r}")
        try:
            return self._aead.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], self._ad(context))
        except InvalidTag:
            raise KeyringError(f"expiry key {self._name!r} cannot unwrap a stored data key (altered?)") from None

    def index_key(self) -> bytes:
        raise KeyringError("an expiry key has no blind-index key: use the main keyring's")

    def _ad(self, context: bytes) -> bytes:
        return b"jikimi.expiry.v1\x00" + self._name.encode() + b"\x00" + context

    def __repr__(self) -> str:
        return f"ExpiryKeyring({self._name!r})"  # the name only, never the key


def _index_check(keyring: Keyring) -> bytes:
    return hmac.new(keyring.index_key(), b"jikimi.index.check", hashlib.sha256).digest()


def _write_check(session_store: VaultStore, keyring: Keyring) -> None:
    with session_store.transaction() as session:
        name = _CHECK_PREFIX + keyring.kek_id
        if session.get_meta(name) is None:
            session.set_meta(name, keyring.wrap(os.urandom(DEK_SIZE), b"jikimi.check"))


def check_keyring(store: VaultStore, keyring: Keyring) -> None:
    """Refuse a keyring that is not the one the database's data keys are wrapped with (see module doc)."""
    with store.transaction() as session:
        checks = session.meta_keys(_CHECK_PREFIX)
        mine = session.get_meta(_CHECK_PREFIX + keyring.kek_id)
        index = session.get_meta(_INDEX_CHECK)
        if not checks:
            if session.count_keys() > 0:
                raise KeyringError("the database holds data keys but no KEK check value; refusing to guess")
            # An empty database: adopt this keyring, in this same transaction.
            session.set_meta(_CHECK_PREFIX + keyring.kek_id, keyring.wrap(os.urandom(DEK_SIZE), b"jikimi.check"))
            session.set_meta(_INDEX_CHECK, _index_check(keyring))
            return
        if mine is None:
            known = ", ".join(sorted(c.removeprefix(_CHECK_PREFIX) for c in checks))
            raise KeyringError(f"this database is encrypted under KEK {known}; the key given is {keyring.kek_id!r}")
        keyring.unwrap(mine, keyring.kek_id, b"jikimi.check")  # raises KeyringError on a wrong KEK
        if index is not None and not hmac.compare_digest(index, _index_check(keyring)):
            raise KeyringError("the key's blind-index key does not match this database")


@dataclass(frozen=True, slots=True)
class RotationReport:
    """What one :func:`rotate_kek` run did. ``done`` is false while any DEK is still under another KEK."""

    rewrapped: int
    remaining: int
    done: bool


def rotate_kek(
    store: VaultStore,
    old: Keyring,
    new: Keyring,
    *,
    batch_size: int = 1000,
    max_batches: int | None = None,
) -> RotationReport:
    """Re-wrap every DEK under ``new``; the data itself is not touched. Safe to interrupt and run again."""
    if not hmac.compare_digest(old.index_key(), new.index_key()):
        # Look-ups would silently stop matching: the index key is not rotated with the KEK.
        raise KeyringError("the new key must keep the blind-index key of the old one")
    check_keyring(store, old)
    _write_check(store, new)
    rewrapped = 0
    batches = 0
    after: tuple[str, str] | None = None
    while max_batches is None or batches < max_batches:
        with store.transaction() as session:
            page = session.keys_page(after, batch_size)
            if not page:
                break
            session.rewrap(_rewrap(page, old, new))
        rewrapped += sum(1 for key in page if key.kek_id != new.kek_id and not key.kek_id.startswith(EXPIRY_PREFIX))
        after = (page[-1].subject, page[-1].bucket)
        batches += 1
    with store.transaction() as session:
        # DEKs under an expiry key follow it: only keys under a KEK count (the expiry keys among them).
        under_expiry = session.count_keys(EXPIRY_PREFIX, prefix=True)
        remaining = session.count_keys() - session.count_keys(new.kek_id) - under_expiry
        if remaining == 0 and old.kek_id != new.kek_id:
            # Only now is the old KEK no longer needed; until then both keys open the database.
            session.delete_meta(_CHECK_PREFIX + old.kek_id)
    return RotationReport(rewrapped, remaining, remaining == 0)


def _rewrap(page: Sequence[DataKey], old: Keyring, new: Keyring) -> list[DataKey]:
    out = []
    for key in page:
        if key.kek_id == new.kek_id or key.kek_id.startswith(EXPIRY_PREFIX):
            continue  # done by an earlier, interrupted run; or under an expiry key, which is re-wrapped itself
        context = key_context(key.subject, key.bucket)
        dek = old.unwrap(key.wrapped, key.kek_id, context)
        out.append(DataKey(key.subject, key.bucket, key.key_version, new.kek_id, new.wrap(dek, context)))
    return out

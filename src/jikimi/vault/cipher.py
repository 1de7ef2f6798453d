"""AES-256-GCM field encryption (R-SEC-15, R-SEC-20).

Every write draws a fresh 12-byte nonce from ``os.urandom`` (a batch draws its nonces in one call); the stored blob
is ``nonce || ciphertext || tag``. The associated data binds the ciphertext to where it belongs: subject id, item
key, bucket and data-key version. A blob copied onto another subject, item or bucket therefore fails authentication
exactly like a flipped byte does.

Building an ``AESGCM`` object costs about as much as one encryption (performance.md), so :class:`AeadCache` keeps a
bounded LRU of them per data key.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jikimi.errors import IntegrityError

__all__ = [
    "NONCE_SIZE",
    "AeadCache",
    "ad_item",
    "ad_subject",
    "ad_tail",
    "associated_data",
    "decrypt_field",
    "encrypt_field",
    "integrity_error",
]

NONCE_SIZE = 12
_AD_PREFIX = b"jikimi.field.v1"
_AD_HEAD = len(_AD_PREFIX).to_bytes(2, "big") + _AD_PREFIX


def associated_data(subject: str, item: str, bucket: str, key_version: int) -> bytes:
    """The bytes a field ciphertext is bound to. Length-prefixed, so no two tuples encode alike."""
    return ad_subject(subject) + ad_item(item) + ad_tail(bucket, key_version)


# The three parts of :func:`associated_data`, so hot loops build the subject and tail parts once per subject and
# the item part once per item, then join three byte strings per field.
def ad_subject(subject: str) -> bytes:
    s = subject.encode()
    return _AD_HEAD + len(s).to_bytes(2, "big") + s


def ad_item(item: str) -> bytes:
    i = item.encode()
    return len(i).to_bytes(2, "big") + i


def ad_tail(bucket: str, key_version: int) -> bytes:
    b, v = bucket.encode(), str(key_version).encode()
    return len(b).to_bytes(2, "big") + b + len(v).to_bytes(2, "big") + v


def encrypt_field(aead: AESGCM, plaintext: bytes, ad: bytes) -> bytes:
    """Encrypt one field under a fresh random nonce; returns ``nonce || ciphertext || tag``."""
    nonce = os.urandom(NONCE_SIZE)
    return nonce + aead.encrypt(nonce, plaintext, ad)


def decrypt_field(aead: AESGCM, blob: bytes, ad: bytes, *, item: str) -> bytes:
    """Decrypt one field; raises :class:`IntegrityError` naming the item if the blob or its binding was altered."""
    try:
        return aead.decrypt(blob[:NONCE_SIZE], blob[NONCE_SIZE:], ad)
    except InvalidTag:
        # `from None`: the cryptography exception carries nothing useful and must not chain the blob around.
        raise integrity_error(item) from None


def integrity_error(item: str) -> IntegrityError:
    """The error of a field that failed authentication; it names the item only."""
    return IntegrityError(f"item {item!r}: ciphertext failed authentication (altered, or copied from another field)")


class AeadCache:
    """A bounded, thread-safe LRU of ``AESGCM`` objects, keyed by an opaque handle of the data key.

    The handle is the wrapped data key: it changes whenever the key is re-wrapped or replaced, so a stale entry can
    never be reached after a shred; :meth:`discard` still drops it at once so the clear key leaves memory.
    """

    def __init__(self, size: int = 4096) -> None:
        if size < 1:
            raise ValueError("cache size must be positive")
        self._size = size
        self._entries: OrderedDict[bytes, AESGCM] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, handle: bytes, load_key: Callable[[], bytes]) -> AESGCM:
        """The cached object for ``handle``, building it from ``load_key()`` on a miss."""
        with self._lock:
            aead = self._entries.get(handle)
            if aead is not None:
                self._entries.move_to_end(handle)
                return aead
        # Unwrapping may call a remote KMS: do it outside the lock.
        aead = AESGCM(load_key())
        with self._lock:
            self._entries[handle] = aead
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return aead

    def discard(self, handle: bytes) -> None:
        with self._lock:
            self._entries.pop(handle, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"AeadCache(size={self._size}, held={len(self._entries)})"

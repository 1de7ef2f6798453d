"""Field encryption: fresh nonces, associated-data binding, tamper detection, a bounded key cache."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jikimi.errors import IntegrityError
from jikimi.vault.cipher import AeadCache, associated_data, decrypt_field, encrypt_field

AD = associated_data("s-1", "email", "live", 1)


def test_round_trip_with_a_fresh_nonce_each_time() -> None:
    aead = AESGCM(os.urandom(32))
    one, two = encrypt_field(aead, b"user@example.com", AD), encrypt_field(aead, b"user@example.com", AD)
    assert one != two
    assert one[:12] != two[:12]
    assert decrypt_field(aead, one, AD, item="email") == b"user@example.com"


@pytest.mark.parametrize(
    "other",
    [
        associated_data("s-2", "email", "live", 1),
        associated_data("s-1", "phone", "live", 1),
        associated_data("s-1", "email", "payment_records", 1),
        associated_data("s-1", "email", "live", 2),
    ],
)
def test_a_ciphertext_bound_elsewhere_fails(other: bytes) -> None:
    aead = AESGCM(os.urandom(32))
    blob = encrypt_field(aead, b"user@example.com", AD)
    with pytest.raises(IntegrityError, match="'email'"):
        decrypt_field(aead, blob, other, item="email")


def test_a_flipped_byte_fails() -> None:
    aead = AESGCM(os.urandom(32))
    blob = bytearray(encrypt_field(aead, b"user@example.com", AD))
    blob[20] ^= 0x80
    with pytest.raises(IntegrityError):
        decrypt_field(aead, bytes(blob), AD, item="email")


def test_associated_data_is_unambiguous() -> None:
    assert associated_data("a", "bc", "live", 1) != associated_data("ab", "c", "live", 1)


def test_the_cache_is_bounded_and_forgets() -> None:
    cache = AeadCache(size=2)
    loads: list[bytes] = []

    def loader(tag: bytes) -> bytes:
        loads.append(tag)
        return tag * 32

    for tag in (b"a", b"b", b"a", b"c", b"b"):
        cache.get(tag, lambda t=tag: loader(t))  # type: ignore[misc]
    assert loads == [b"a", b"b", b"c", b"b"]  # "a" was hot, so "b" was evicted for "c"
    assert len(cache) == 2
    cache.discard(b"b")
    assert len(cache) == 1

"""Keyed blind index: find a subject by phone number or e-mail without decrypting anyone.

``digest = HMAC-SHA256(index_key, item || 0x00 || normalise(value))``. The item key namespaces the digest, so equal
values of two items never collide; normalising first makes ``010-1234-5678`` and ``01012345678`` one entry. The
index key is separate from every KEK (a KEK rotation leaves the index valid); without it, the digests reveal only
which stored values are equal within one item.
"""

from __future__ import annotations

import hashlib
import hmac

from jikimi.policy.model import ItemFormat

__all__ = ["blind_index", "normalise"]

_DIGITS_ONLY = frozenset(
    {
        ItemFormat.PHONE,
        ItemFormat.RRN,
        ItemFormat.CARD_NUMBER,
        ItemFormat.ACCOUNT_NUMBER,
        ItemFormat.BUSINESS_NUMBER,
    }
)
_LOWER = frozenset({ItemFormat.EMAIL, ItemFormat.LOGIN_ID, ItemFormat.DEVICE_ID})


def normalise(fmt: ItemFormat, value: str) -> str:
    """The canonical form that is indexed: digits only for numbers, lower case for e-mails and ids."""
    value = value.strip()
    if fmt in _DIGITS_ONLY:
        if fmt is ItemFormat.PHONE and value.startswith("+82"):
            value = "0" + value[3:]
        return "".join(ch for ch in value if ch.isdigit())
    if fmt in _LOWER:
        return value.lower()
    return value


def blind_index(key: bytes, item: str, fmt: ItemFormat, value: str) -> bytes:
    """The 32-byte digest stored for ``value`` of ``item``."""
    message = item.encode() + b"\x00" + normalise(fmt, value).encode()
    return hmac.new(key, message, hashlib.sha256).digest()

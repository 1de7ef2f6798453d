"""The blind index: normalised, keyed, and namespaced by item."""

from __future__ import annotations

import os

from jikimi.policy.model import ItemFormat
from jikimi.vault.blind_index import blind_index, normalise


def test_normalisation() -> None:
    assert normalise(ItemFormat.PHONE, "+82 10-1234-5678") == "01012345678"
    assert normalise(ItemFormat.RRN, "900101-1234568") == "9001011234568"
    assert normalise(ItemFormat.EMAIL, " User@Example.COM ") == "user@example.com"


def test_keyed_and_namespaced() -> None:
    key = os.urandom(32)
    one = blind_index(key, "phone", ItemFormat.PHONE, "010-1234-5678")
    assert one == blind_index(key, "phone", ItemFormat.PHONE, "01012345678")
    assert one != blind_index(key, "fax", ItemFormat.PHONE, "01012345678")
    assert one != blind_index(os.urandom(32), "phone", ItemFormat.PHONE, "01012345678")
    assert len(one) == 32

"""Masking follows Korean display conventions, one function per format, dispatched by the policy's item."""

from __future__ import annotations

import pytest

from jikimi.policy.model import Item, ItemCategory, ItemFormat
from jikimi.vault.masking import HIDDEN, mask


@pytest.mark.parametrize(
    ("fmt", "value", "shown"),
    [
        (ItemFormat.NAME, "홍길동", "홍*동"),
        (ItemFormat.NAME, "홍길", "홍*"),
        (ItemFormat.NAME, "남궁길동", "남**동"),
        (ItemFormat.PHONE, "010-1234-5678", "010-****-5678"),
        (ItemFormat.PHONE, "01012345678", "010-****-5678"),
        (ItemFormat.PHONE, "02-123-4567", "02-***-4567"),
        (ItemFormat.PHONE, "+82 10-1234-5678", "010-****-5678"),
        (ItemFormat.RRN, "900101-1234568", "900101-1******"),
        (ItemFormat.CARD_NUMBER, "1234-5678-9012-5678", "1234-****-****-5678"),
        (ItemFormat.EMAIL, "abcdef@example.com", "ab***@example.com"),
        (ItemFormat.EMAIL, "a@example.com", "a***@example.com"),
        (ItemFormat.IP_ADDRESS, "192.168.10.20", "192.168.*.*"),
        (ItemFormat.IP_ADDRESS, "2001:db8::1", "2001:0db8:*:*:*:*:*:*"),
        (ItemFormat.ACCOUNT_NUMBER, "110-123-456789", "***-***-**6789"),
        (ItemFormat.BUSINESS_NUMBER, "123-45-67890", "123-45-*****"),
        (ItemFormat.ADDRESS, "서울특별시 강남구 테헤란로 1", "서울특별시 강남구 ***"),
        (ItemFormat.DATE, "1990-01-02", "1990-**-**"),
        (ItemFormat.LOGIN_ID, "gildong99", "gil******"),
        (ItemFormat.URL, "https://example.com/users/42", "https://example.com/***"),
        (ItemFormat.SECRET, "api-token", HIDDEN),
    ],
)
def test_masking_table(fmt: ItemFormat, value: str, shown: str) -> None:
    assert mask(Item(label="x", format=fmt), value) == shown


def test_passwords_and_biometrics_are_never_shown() -> None:
    for category in (ItemCategory.PASSWORD, ItemCategory.BIOMETRIC):
        assert mask(Item(label="x", category=category, format=ItemFormat.TEXT), "홍길동") == HIDDEN


def test_every_format_has_a_masking_rule() -> None:
    for fmt in ItemFormat:
        assert isinstance(mask(Item(label="x", format=fmt), "abcdefghij"), str)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("서울특별시 강남구 테헤란로 1", "서울특별시 강남구 ***"),
        ("서울특별시 강남구", "서울특별시 ***"),
        ("서울특별시강남구테헤란로123길45", "서울 ***"),
        ("테헤란로123 45", "테헤 ***"),
        ("", ""),
    ],
)
def test_addresses_never_come_back_whole(value: str, shown: str) -> None:
    assert mask(Item(label="주소", format=ItemFormat.ADDRESS), value) == shown

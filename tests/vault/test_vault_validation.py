"""Validation rejects malformed values with an error naming the item and the rule, never the value."""

from __future__ import annotations

import pytest

from jikimi.errors import InvalidValueError
from jikimi.policy.model import Item, ItemFormat
from jikimi.vault.validation import validate


@pytest.mark.parametrize(
    ("fmt", "value"),
    [
        (ItemFormat.RRN, "900101-1234568"),
        (ItemFormat.RRN, "9001011234568"),
        (ItemFormat.RRN, "211231-3000000"),  # born after 2020-10: random serial, no checksum (documented rule)
        (ItemFormat.PHONE, "010-1234-5678"),
        (ItemFormat.PHONE, "02-123-4567"),
        (ItemFormat.PHONE, "031 123 4567"),
        (ItemFormat.PHONE, "1588-1234"),
        (ItemFormat.PHONE, "+82 10-1234-5678"),
        (ItemFormat.EMAIL, "user@example.com"),
        (ItemFormat.CARD_NUMBER, "4111 1111 1111 1111"),
        (ItemFormat.BUSINESS_NUMBER, "220-81-62517"),
        (ItemFormat.IP_ADDRESS, "192.168.0.1"),
        (ItemFormat.DATE, "1990-01-02"),
        (ItemFormat.TEXT, "아무 말"),
    ],
)
def test_valid_values_pass(fmt: ItemFormat, value: str) -> None:
    validate("x", Item(label="x", format=fmt), value)


@pytest.mark.parametrize(
    ("fmt", "value"),
    [
        (ItemFormat.RRN, "900101-1234567"),  # checksum
        (ItemFormat.RRN, "901301-1234568"),  # month 13
        (ItemFormat.RRN, "900101-1234"),
        (ItemFormat.RRN, "200101-3234568"),  # born 2020-01: the checksum applies, and fails
        (ItemFormat.PHONE, "010-12-5678"),
        (ItemFormat.PHONE, "099-1234-5678"),
        (ItemFormat.PHONE, "010-1234-567a"),
        (ItemFormat.EMAIL, "user@"),
        (ItemFormat.EMAIL, "user example.com"),
        (ItemFormat.CARD_NUMBER, "4111-1111-1111-1112"),  # Luhn
        (ItemFormat.CARD_NUMBER, "4111"),
        (ItemFormat.BUSINESS_NUMBER, "220-81-62518"),
        (ItemFormat.IP_ADDRESS, "300.1.1.1"),
        (ItemFormat.DATE, "1990-02-30"),
        (ItemFormat.TEXT, "   "),
    ],
)
def test_malformed_values_name_the_item_not_the_value(fmt: ItemFormat, value: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        validate("the_item", Item(label="x", format=fmt), value)
    assert caught.value.item == "the_item"
    assert "the_item" in str(caught.value)
    assert value.strip() not in str(caught.value) or not value.strip()


def test_max_length() -> None:
    item = Item(label="memo", max_length=10)
    validate("memo", item, "가" * 10)
    with pytest.raises(InvalidValueError, match="max_length 10"):
        validate("memo", item, "가" * 11)


def test_non_text_is_rejected() -> None:
    with pytest.raises(InvalidValueError, match="expected text"):
        validate("memo", Item(label="memo"), 12345)


def test_text_that_cannot_be_encoded_is_refused_without_the_value() -> None:
    value = "홍길동\udc80비밀"
    with pytest.raises(InvalidValueError) as info:
        validate("name", Item(label="성명", format=ItemFormat.TEXT), value)
    assert "not valid Unicode text" in str(info.value)
    assert "비밀" not in repr(info.value)
    assert info.value.__cause__ is None

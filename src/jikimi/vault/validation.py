"""Input validation before anything is written: one rule per item format, plus the declared ``max_length``.

:func:`validate` raises :class:`~jikimi.errors.InvalidValueError` naming the item and the rule broken. The value
itself never appears in the message, in the exception's attributes, or in a chained exception.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import date

from jikimi.errors import InvalidValueError
from jikimi.policy.model import Item, ItemFormat

__all__ = [
    "Rule",
    "check",
    "format_rule",
    "is_valid_business_number",
    "is_valid_card_number",
    "is_valid_email",
    "is_valid_phone",
    "is_valid_rrn",
    "validate",
]

# Korean mobile: 010 (8 digits after), legacy 011/016/017/018/019 (7 or 8).
_MOBILE = re.compile(r"^01(?:0\d{8}|[16789]\d{7,8})$")
# Landline: Seoul 02 + 7-8 digits; other areas 031-064 + 7-8 digits; 070 internet phone; 050x safe numbers.
_LANDLINE = re.compile(r"^(?:02\d{7,8}|0[3-6][1-5]\d{7,8}|070\d{8}|050\d{8,9})$")
# Representative numbers (대표번호): 15xx, 16xx, 18xx + 4 digits.
_REPRESENTATIVE = re.compile(r"^1[568]\d{6}$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}\Z")
_PHONE_CHARS = re.compile(r"[\d\- ]+\Z")
_RRN_SHAPE = re.compile(r"^\d{6}-?\d{7}$")
_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
# The 7th digit: sex and century (5-8: 외국인등록번호).
_CENTURY = {"9": 1800, "0": 1800, "1": 1900, "2": 1900, "5": 1900, "6": 1900, "3": 2000, "4": 2000}
_CENTURY |= {"7": 2000, "8": 2000}
# From 2020-10-05 the last six digits are random (주민등록법 시행규칙 개정): numbers issued since carry no checksum.
_RANDOM_SERIAL_SINCE = date(2020, 10, 1)


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def is_valid_rrn(value: str) -> bool:
    """A 주민등록번호 or 외국인등록번호: a real birth date, a known sex/century digit, and the checksum.

    Rule for the October 2020 change: numbers of people born on or after 2020-10-01 are accepted without a checksum
    (every one of them was issued under the random scheme); older birth dates must pass the checksum. This rejects
    the rare number re-issued after 2020 to someone born earlier; such a subject's record needs an operator's
    correction path rather than a weaker check for everyone.
    """
    v = value.strip()
    if not _RRN_SHAPE.match(v):
        return False
    d = _digits(v)
    century = _CENTURY.get(d[6])
    if century is None:
        return False
    try:
        born = date(century + int(d[0:2]), int(d[2:4]), int(d[4:6]))
    except ValueError:
        return False
    if born >= _RANDOM_SERIAL_SINCE:
        return True
    total = sum(int(ch) * w for ch, w in zip(d[:12], _RRN_WEIGHTS, strict=True))
    # 외국인등록번호 (7th digit 5-8) used 13 instead of 11 in the check digit formula.
    base = 13 if d[6] in "5678" else 11
    return (base - total % 11) % 10 == int(d[12])


def is_valid_phone(value: str) -> bool:
    """A Korean mobile, landline, internet-phone or representative number, hyphens and spaces allowed."""
    v = value.strip()
    if v.startswith("+82"):
        v = "0" + v[3:].lstrip()
    if not _PHONE_CHARS.match(v):
        return False
    d = v.replace("-", "").replace(" ", "")  # _digits(v): only digits, hyphens and spaces are left
    return bool(_MOBILE.match(d) or _LANDLINE.match(d) or _REPRESENTATIVE.match(d))


def is_valid_email(value: str) -> bool:
    return len(value) <= 254 and bool(_EMAIL.match(value.strip()))


def is_valid_card_number(value: str) -> bool:
    """13 to 19 digits (hyphens and spaces allowed) passing the Luhn check."""
    v = value.strip()
    if not re.fullmatch(r"[\d\- ]+", v):
        return False
    d = _digits(v)
    if not 13 <= len(d) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(d)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def is_valid_business_number(value: str) -> bool:
    """A 사업자등록번호: 10 digits with its check digit."""
    v = value.strip()
    if not re.fullmatch(r"\d{3}-?\d{2}-?\d{5}", v):
        return False
    d = [int(ch) for ch in _digits(v)]
    weights = (1, 3, 7, 1, 3, 7, 1, 3, 5)
    total = sum(a * b for a, b in zip(d[:9], weights, strict=True)) + (d[8] * 5) // 10
    return (10 - total % 10) % 10 == d[9]


def _is_valid_ip(value: str) -> bool:
    v = value.strip()
    if _IPV4.match(v):
        return True  # a subset of what ip_address accepts, checked several times faster
    try:
        ipaddress.ip_address(v)
    except ValueError:
        return False
    return True


def _is_valid_date(value: str) -> bool:
    try:
        date.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


def _is_valid_account(value: str) -> bool:
    v = value.strip()
    return bool(re.fullmatch(r"[\d\-]+", v)) and 8 <= len(_digits(v)) <= 20


_RULES = {
    ItemFormat.RRN: (is_valid_rrn, "not a valid 주민등록번호 (date part or checksum)"),
    ItemFormat.PHONE: (is_valid_phone, "not a Korean mobile or landline number"),
    ItemFormat.EMAIL: (is_valid_email, "not an e-mail address"),
    ItemFormat.CARD_NUMBER: (is_valid_card_number, "not a card number (13-19 digits, Luhn check)"),
    ItemFormat.BUSINESS_NUMBER: (is_valid_business_number, "not a 사업자등록번호 (checksum)"),
    ItemFormat.ACCOUNT_NUMBER: (_is_valid_account, "not an account number (8-20 digits)"),
    ItemFormat.IP_ADDRESS: (_is_valid_ip, "not an IP address"),
    ItemFormat.DATE: (_is_valid_date, "not a date (YYYY-MM-DD)"),
}


def validate(key: str, item: Item, value: object) -> None:
    """Raise :class:`InvalidValueError` if ``value`` does not fit ``item``; the message names ``key`` only."""
    check(key, value, item.max_length, format_rule(item))


Rule = tuple[Callable[[str], bool], str]


def format_rule(item: Item) -> Rule | None:
    """The format check of ``item`` (a predicate and its message), if its format has one: look it up once."""
    return _RULES.get(item.format)


def check(key: str, value: object, max_length: int | None, rule: Rule | None) -> None:
    """:func:`validate` with the item's ``max_length`` and :func:`format_rule` worked out beforehand."""
    if not isinstance(value, str):
        raise InvalidValueError(key, f"expected text, got {type(value).__name__}")
    if not value.strip():
        raise InvalidValueError(key, "empty")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # Checked here so that the later encode (cipher, argon2) never raises an exception holding the value.
            raise InvalidValueError(key, "not valid Unicode text") from None
    if max_length is not None and len(value) > max_length:
        raise InvalidValueError(key, f"longer than the declared max_length {max_length}")
    if rule is not None and not rule[0](value):
        raise InvalidValueError(key, rule[1])

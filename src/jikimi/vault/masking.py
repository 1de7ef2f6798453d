"""Masking for display, following Korean conventions (개인정보 표시 제한).

One function per item format; :func:`mask` dispatches on the policy's item and is what every display surface (CLI,
API, console) calls. Passwords and other one-way or secret items are never shown at all.

==============  ============================  ==========================
format          example in                    shown as
==============  ============================  ==========================
name            홍길동 / 홍길 / 남궁길동      홍*동 / 홍* / 남**동
phone           010-1234-5678                 010-****-5678
rrn             900101-1234567                900101-1******
card_number     1234-5678-9012-3456           1234-****-****-3456
email           abcdef@example.com            ab***@example.com
ip_address      192.168.10.20                 192.168.*.*
==============  ============================  ==========================
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from jikimi.policy.model import Item, ItemCategory, ItemFormat

__all__ = [
    "HIDDEN",
    "mask",
    "mask_account",
    "mask_address",
    "mask_business_number",
    "mask_card",
    "mask_date",
    "mask_device_id",
    "mask_email",
    "mask_ip",
    "mask_login_id",
    "mask_name",
    "mask_phone",
    "mask_rrn",
    "mask_text",
    "mask_url",
]

HIDDEN = "********"


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def mask_name(value: str) -> str:
    """Keep the first and last character: 홍길동 -> 홍*동; a two-character name keeps the first: 홍길 -> 홍*."""
    v = value.strip()
    if len(v) <= 1:
        return "*"
    if len(v) == 2:
        return v[0] + "*"
    return v[0] + "*" * (len(v) - 2) + v[-1]


def mask_phone(value: str) -> str:
    """Hide the middle group: 010-1234-5678 -> 010-****-5678, 02-123-4567 -> 02-***-4567."""
    d = _digits(value)
    if d.startswith("82") and value.strip().startswith("+"):
        d = "0" + d[2:]
    if len(d) < 8:
        return "*" * len(d)
    area = 2 if d.startswith("02") else 3
    if len(d) == 8:  # 1588-1234: representative numbers have no area code
        return "****-" + d[4:]
    middle = d[area:-4]
    return f"{d[:area]}-{'*' * len(middle)}-{d[-4:]}"


def mask_rrn(value: str) -> str:
    """Keep the birth date and the sex/century digit: 900101-1234567 -> 900101-1******."""
    d = _digits(value)
    if len(d) != 13:
        return HIDDEN
    return f"{d[:6]}-{d[6]}******"


def mask_card(value: str) -> str:
    """Keep the first and last four digits: 1234-5678-9012-3456 -> 1234-****-****-3456."""
    d = _digits(value)
    if len(d) < 9:
        return "*" * len(d)
    if len(d) == 16:
        return f"{d[:4]}-****-****-{d[-4:]}"
    return d[:4] + "*" * (len(d) - 8) + d[-4:]


def mask_account(value: str) -> str:
    """Keep the last four digits, and any hyphens: 110-123-456789 -> ***-***-**6789."""
    total = sum(ch.isdigit() for ch in value)
    seen = 0
    out = []
    for ch in value.strip():
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > total - 4 else "*")
        else:
            out.append(ch)
    return "".join(out)


def mask_email(value: str) -> str:
    """Keep two characters of the local part and the domain: abcdef@example.com -> ab***@example.com.

    A fixed ``***`` also hides the length of the local part.
    """
    local, at, domain = value.strip().rpartition("@")
    if not at:
        return HIDDEN
    keep = 2 if len(local) > 2 else 1
    return f"{local[:keep]}***@{domain}"


def mask_ip(value: str) -> str:
    """Hide the host part: 192.168.10.20 -> 192.168.*.*; IPv6 keeps the first two groups."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return HIDDEN
    if address.version == 4:
        a, b, _, _ = str(address).split(".")
        return f"{a}.{b}.*.*"
    groups = address.exploded.split(":")
    return ":".join(groups[:2] + ["*"] * 6)


def mask_login_id(value: str) -> str:
    """Keep the first three characters (fewer for short ids): jikimi_user -> jik********."""
    v = value.strip()
    keep = min(3, max(1, len(v) // 2))
    return v[:keep] + "*" * (len(v) - keep)


def mask_device_id(value: str) -> str:
    """Keep four characters at each end."""
    v = value.strip()
    if len(v) <= 8:
        return "*" * len(v)
    return v[:4] + "*" * (len(v) - 8) + v[-4:]


def mask_business_number(value: str) -> str:
    """Keep the office and type codes: 123-45-67890 -> 123-45-*****."""
    d = _digits(value)
    if len(d) != 10:
        return HIDDEN
    return f"{d[:3]}-{d[3:5]}-*****"


def mask_address(value: str) -> str:
    """Keep the 시/도 and 시/군/구: 서울특별시 강남구 테헤란로 1 -> 서울특별시 강남구 ***."""
    words = value.split()
    if len(words) >= 3:
        return " ".join(words[:2]) + " ***"
    if not words:
        return ""
    # Two words or fewer: only a 시/도 may show ("서울특별시강남구테헤란로123" must not come back whole).
    first = words[0]
    region = first if len(words) == 2 and first.endswith(("시", "도")) and len(first) <= 7 else first[:2]
    return region + " ***"


def mask_date(value: str) -> str:
    """Keep the year: 1990-01-02 -> 1990-**-**."""
    v = value.strip()
    return v[:4] + "-**-**" if len(v) >= 4 else HIDDEN


def mask_url(value: str) -> str:
    """Keep the scheme and host; the path may hold ids."""
    scheme, sep, rest = value.strip().partition("://")
    if not sep:
        return HIDDEN
    return f"{scheme}://{rest.split('/', 1)[0]}/***"


def mask_text(value: str) -> str:
    """Free text: the first character only."""
    v = value.strip()
    return (v[0] + "***") if v else ""


def _hidden(value: str) -> str:
    del value
    return HIDDEN


_BY_FORMAT: dict[ItemFormat, Callable[[str], str]] = {
    ItemFormat.TEXT: mask_text,
    ItemFormat.NAME: mask_name,
    ItemFormat.PHONE: mask_phone,
    ItemFormat.EMAIL: mask_email,
    ItemFormat.RRN: mask_rrn,
    ItemFormat.CARD_NUMBER: mask_card,
    ItemFormat.ACCOUNT_NUMBER: mask_account,
    ItemFormat.IP_ADDRESS: mask_ip,
    ItemFormat.DATE: mask_date,
    ItemFormat.LOGIN_ID: mask_login_id,
    ItemFormat.DEVICE_ID: mask_device_id,
    ItemFormat.BUSINESS_NUMBER: mask_business_number,
    ItemFormat.ADDRESS: mask_address,
    ItemFormat.IMAGE: _hidden,
    ItemFormat.URL: mask_url,
    ItemFormat.SECRET: _hidden,
}

# Categories never shown even masked: authentication data and biometric templates (R-SEC-14).
_NEVER_SHOWN = frozenset({ItemCategory.PASSWORD, ItemCategory.BIOMETRIC})


def mask(item: Item, value: str) -> str:
    """The display form of ``value`` for ``item``: every display surface calls this, never a format function."""
    if item.category in _NEVER_SHOWN:
        return HIDDEN
    return _BY_FORMAT[item.format](value)

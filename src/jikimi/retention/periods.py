"""Calendar arithmetic for retention periods: "3개월" from 31 January ends on the last day of April, not in May."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from jikimi.policy.model import parse_period

__all__ = ["add_period", "subtract_period"]


def add_period(start: datetime, period: str) -> datetime | None:
    """``start`` plus ``period`` (``30d``, ``3m``, ``5y``); ``None`` for ``permanent``.

    Months and years are calendar months and years; a day that does not exist in the target month becomes that
    month's last day (31 Jan + 1m = 28/29 Feb; 29 Feb + 1y = 28 Feb), so a period never runs past its month.
    """
    parsed = parse_period(period)
    if parsed is None:
        return None
    n, unit = parsed
    return _shift(start, n, unit)


def subtract_period(end: datetime, period: str) -> datetime | None:
    """``end`` minus ``period``: the earliest time still inside a retention period that ends at ``end``."""
    parsed = parse_period(period)
    if parsed is None:
        return None
    n, unit = parsed
    return _shift(end, -n, unit)


def _shift(start: datetime, n: int, unit: str) -> datetime:
    if unit == "d":
        return start + timedelta(days=n)
    months = n if unit == "m" else 12 * n
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)

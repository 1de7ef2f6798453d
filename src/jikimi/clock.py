"""Time flows in (STYLE.md habit 5): every service takes a :class:`Clock`, so tests and demos can jump years ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    """Tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that stands still until told otherwise: ``set()`` it or ``advance()`` it."""

    def __init__(self, at: datetime | None = None) -> None:
        self._at = at or datetime(2026, 1, 1, tzinfo=UTC)
        if self._at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at

    def advance(self, by: timedelta) -> None:
        self._at += by

    def __repr__(self) -> str:
        return f"FixedClock({self._at.isoformat()})"

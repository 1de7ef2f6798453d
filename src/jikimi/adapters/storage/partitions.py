"""Expiry months: where rows kept under an expiry key are stored, so that a month of destroyed buckets is reclaimed
by dropping its storage instead of deleting its rows one by one (docs/retention.md, "Expiry months").

Every row of ``fields`` and ``retention_buckets`` carries a ``part``: ``YYYYMM`` of its expiry key's day when the
bucket's data key is under an expiry key, else 0 (under the KEK: live data, held buckets, buckets made past their
day or in a month already reclaimed). On PostgreSQL both tables are partitioned by ``part`` (``LIST``): one
partition ``<table>_kek`` for part 0 and one ``<table>_<YYYY>_<MM>`` per expiry month. SQLite keeps the column (one
schema and one set of statements for both engines) but not the partitions: there the sweep deletes the rows, which
it does within its targets.

A month is OPEN from the first expiry key of one of its days (its partitions are made then, in that transaction),
CLOSED once no key of its days is kept any more (the sweep closes it, holding the month's row, so no new key of its
days can be made meanwhile: a bucket that would need one goes under the KEK), and DROPPED once its partitions are
detached (``CONCURRENTLY``: reads and writes of the other months go on) and dropped.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from jikimi.vault.envelope import EXPIRY_PREFIX

__all__ = [
    "CLOSED",
    "DROPPED",
    "KEK_PART",
    "OPEN",
    "PARTITIONED",
    "PART_SQL",
    "make_month",
    "month_days",
    "month_of",
    "part_of",
    "partition",
]

_log = logging.getLogger(__name__)

#: The tables partitioned by ``part`` on PostgreSQL.
PARTITIONED = ("fields", "retention_buckets")
#: The part of every row whose data key is under the KEK.
KEK_PART = 0
#: The states of a month in ``expiry_months``.
OPEN, CLOSED, DROPPED = 0, 1, 2

_DAY = len(EXPIRY_PREFIX)  # where the day begins in an expiry key's name, "expiry:YYYY-MM-DD/<random>"

#: ``part_of`` in SQL, over a column holding an expiry key's name or a data key's ``kek_id`` (both engines).
PART_SQL = (
    f"CASE WHEN substr({{col}}, 1, {_DAY}) = '{EXPIRY_PREFIX}' "
    f"THEN CAST(substr({{col}}, {_DAY + 1}, 4) || substr({{col}}, {_DAY + 6}, 2) AS INTEGER) ELSE {KEK_PART} END"
)


def part_of(name: str | None) -> int:
    """The part of the rows whose data key is wrapped by ``name`` (an expiry key's name, or a ``kek_id``)."""
    if name is None or not name.startswith(EXPIRY_PREFIX):
        return KEK_PART
    return int(name[_DAY : _DAY + 4]) * 100 + int(name[_DAY + 5 : _DAY + 7])


def month_of(day: date) -> int:
    """``YYYYMM`` of ``day``: the part of the buckets expiring that day."""
    return day.year * 100 + day.month


def month_days(month: int) -> tuple[date, date]:
    """The first day of ``month`` and the first day of the next."""
    year, number = divmod(month, 100)
    return date(year, number, 1), date(year + number // 12, number % 12 + 1, 1)


def partition(table: str, part: int) -> str:
    """The name of ``table``'s partition for ``part``."""
    if part == KEK_PART:
        return f"{table}_kek"
    year, number = divmod(part, 100)
    return f"{table}_{year:04d}_{number:02d}"


def make_month(engine: Engine, month: int, at: datetime) -> None:
    """PostgreSQL: make ``month``'s row and partitions in a transaction of their own, on a connection of their own,
    committed before the caller's transaction goes on. Not in the caller's: an attach holds its table against other
    schema changes until commit, so two writers each opening a month in a longer transaction could deadlock. Nothing
    here waits for a writer's transaction (attaching locks the parent against schema changes only, not against reads
    or writes). A month that cannot be made (the role does not own the tables) is logged: its buckets go under the
    KEK, as a closed month's."""
    try:
        with engine.begin() as conn:
            made = conn.exec_driver_sql(
                "INSERT INTO expiry_months (month, state, opened_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (month, OPEN, at),
            )
            if made.rowcount == 1:  # else another writer made it: its commit came first (the insert waited for it)
                for table in PARTITIONED:
                    # Attached, not created as a partition of the table: that would lock it against reads too.
                    name = partition(table, month)
                    conn.exec_driver_sql(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS)")
                    conn.exec_driver_sql(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES IN ({month})")
    except DBAPIError as error:
        state = getattr(error.orig, "sqlstate", None)
        _log.warning("expiry month %d: partitions not made (SQLSTATE %s); its buckets go under the KEK", month, state)
        # Listed as having no partitions, so its other writers do not try again (nor does the sweep look at it).
        with contextlib.suppress(DBAPIError), engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO expiry_months (month, state, opened_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (month, DROPPED, at),
            )

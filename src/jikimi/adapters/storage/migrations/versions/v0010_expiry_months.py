"""Expiry months: ``fields`` and ``retention_buckets`` carry the expiry month of the bucket's key (``part``, 0 under
the KEK), and on PostgreSQL are partitioned by it, so the sweep drops a month of destroyed buckets instead of
deleting its rows (docs/retention.md, "Expiry months"; :mod:`jikimi.adapters.storage.partitions`). There the
expiry-key index of ``retention_buckets`` carries ``rule`` and ``items`` too: a day's destruction-log count by rule
reads the index alone.

Adds ``expiry_months``, and folds ``retention_records`` into ``retention_buckets``: an operational record's kind and
date on each of its buckets, so it goes with its last one, by the same deletion or partition drop. Each table is
copied, in key order, into one with the new key (``part`` last in it), inside the migration's one transaction; on
PostgreSQL the copy is partitioned, with a partition for the KEK and one per month that still has an expiry key kept
or shredded (rows may remain under it). A row's part comes from its data key's wrapper (its ``kek_id``), or for a
bucket whose key is gone from the bucket's listed expiry key. ``downgrade`` copies them back without the columns,
and the records' table is made again from the buckets.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from jikimi.adapters.storage.partitions import OPEN, PART_SQL, month_of, partition

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

_TZ = sa.DateTime(timezone=True)


def _fields() -> list[sa.Column[object]]:
    return [
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("bucket", sa.String(64), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
    ]


def _buckets() -> list[sa.Column[object]]:
    return [
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("bucket", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("record", sa.String(32), nullable=True),
        sa.Column("expires_at", _TZ, nullable=True),
        sa.Column("use", sa.String(64), nullable=True),
        sa.Column("separate_storage", sa.Boolean, nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("state", sa.SmallInteger, nullable=False),
        sa.Column("expiry_key", sa.String(64), nullable=True),
    ]


_BUCKET_INDEXES = (("state", "expires_at"), ("expiry_key", "state", "expires_at"))


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    keys = "data_keys" if postgres else "jikimi_keys.data_keys"
    op.create_table(
        "expiry_months",
        sa.Column("month", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("state", sa.SmallInteger, nullable=False),
        sa.Column("opened_at", _TZ, nullable=False),
        sa.Column("closed_at", _TZ, nullable=True),
        sa.PrimaryKeyConstraint("month", name="pk_expiry_months"),
    )
    # The months that may still hold rows: those of a key kept, or shredded with rows left under it.
    listed = sa.table("expiry_keys", sa.column("day", sa.Date()), sa.column("state", sa.SmallInteger()))
    days = bind.execute(sa.select(listed.c.day).where(listed.c.state.in_((0, 1))).distinct()).scalars()
    months = sorted({month_of(day) for day in days})
    if months:
        op.bulk_insert(
            sa.table("expiry_months", sa.column("month"), sa.column("state"), sa.column("opened_at", _TZ)),
            [{"month": month, "state": OPEN, "opened_at": datetime.now(UTC)} for month in months],
        )
    part = PART_SQL.format
    field_part = (
        f"COALESCE((SELECT {part(col='k.kek_id')} FROM {keys} k WHERE k.subject = o.subject AND k.bucket = o.bucket), "
        f"(SELECT {part(col='b.expiry_key')} FROM retention_buckets b WHERE b.subject = o.subject "
        "AND b.bucket = o.bucket), 0)"
    )
    # The fields first: their parts are read from the buckets' listing before it is copied (and dropped).
    _copy("fields", _fields, ("subject", "bucket", "item"), [(_part(), field_part)], months, postgres, rowid=False)
    # An operational record's kind and date move onto its buckets; its own table goes.
    record = "(SELECT r.{} FROM retention_records r WHERE r.id = o.record AND r.subject = o.subject)"
    added: list[tuple[sa.Column[object], str]] = [
        (sa.Column("kind", sa.String(64), nullable=True), record.format("kind")),
        (sa.Column("occurred_at", _TZ, nullable=True), record.format("occurred_at")),
        (_part(), part(col="o.expiry_key")),
    ]
    _copy("retention_buckets", _buckets, ("subject", "bucket"), added, months, postgres)
    op.drop_index("ix_retention_records_subject", "retention_records")
    op.drop_table("retention_records")
    for columns in _BUCKET_INDEXES:
        # On PostgreSQL a day's count by rule (the destruction log) reads the expiry-key index alone.
        include: dict[str, Any] = {"postgresql_include": ["rule", "items"]} if columns[0] == "expiry_key" else {}
        op.create_index(f"ix_retention_buckets_{'_'.join(columns)}", "retention_buckets", list(columns), **include)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "retention_records",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("occurred_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_retention_records"),
    )
    op.create_index("ix_retention_records_subject", "retention_records", ["subject"])
    op.execute(
        "INSERT INTO retention_records (id, subject, kind, occurred_at) SELECT record, min(subject), min(kind), "
        "min(occurred_at) FROM retention_buckets WHERE record IS NOT NULL GROUP BY record"
    )
    _copy("retention_buckets", _buckets, ("subject", "bucket"), [], [], postgres)
    _copy("fields", _fields, ("subject", "bucket", "item"), [], [], postgres, rowid=False)
    for columns in _BUCKET_INDEXES:
        op.create_index(f"ix_retention_buckets_{'_'.join(columns)}", "retention_buckets", list(columns))
    op.drop_table("expiry_months")


def _part() -> sa.Column[object]:
    return sa.Column("part", sa.Integer, nullable=False, server_default="0")


def _copy(
    name: str,
    columns: Callable[[], list[sa.Column[object]]],
    key: tuple[str, ...],
    added: list[tuple[sa.Column[object], str]],
    months: list[int],
    postgres: bool,
    *,
    rowid: bool = True,
) -> None:
    """Copy ``name``'s ``columns`` into a new table with the ``added`` columns (each with its value: SQL over the old
    row ``o``); with a ``part`` among them, it joins the key and, on PostgreSQL, partitions the table (the KEK's and
    ``months``'). The old table, and its indexes, go."""
    copy = f"{name}_0010"
    names = ", ".join(c.name for c in columns())
    cols = [*columns(), *(column for column, _ in added)]
    options: dict[str, Any] = {} if rowid else {"sqlite_with_rowid": False}
    parted = any(column.name == "part" for column, _ in added)
    if parted:
        key = (*key, "part")
        if postgres:
            options["postgresql_partition_by"] = "LIST (part)"
    # PostgreSQL's constraint names are index names, one per schema: the copy's is renamed once the old one is gone.
    pk = f"pk_{copy}" if postgres else f"pk_{name}"
    op.create_table(copy, *cols, sa.PrimaryKeyConstraint(*key, name=pk), **options)
    if parted and postgres:
        for month in [0, *months]:
            op.execute(f"CREATE TABLE {partition(name, month)} PARTITION OF {copy} FOR VALUES IN ({month})")
    selected = ", ".join([names, *(value for _, value in added)])
    inserted = ", ".join([names, *(column.name for column, _ in added)])
    order = ", ".join(f"o.{c}" for c in key if c != "part")
    op.execute(f"INSERT INTO {copy} ({inserted}) SELECT {selected} FROM {name} o ORDER BY {order}")
    op.drop_table(name)
    op.rename_table(copy, name)
    if postgres:
        op.execute(f"ALTER TABLE {name} RENAME CONSTRAINT {pk} TO pk_{name}")

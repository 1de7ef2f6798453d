"""Restrictions and the access record's key: suspensions of processing (처리정지, R-DSR-6) and items held back pending
a correction (R-DSR-5), read by the access gate; on SQLite, ``access_records.seq`` becomes the table's rowid.

The second change is SQLite only (PostgreSQL keeps its ``BIGINT`` key): a ``BIGINT`` primary key is a separate
unique index beside the rowid, so each append wrote two B-trees, verification read the chain through that index,
and the review sorted each month by ``seq`` in a temporary B-tree. ``INTEGER PRIMARY KEY`` is the rowid itself.
SQLite cannot change a column's type in place, so the table is copied in ``seq`` order into one with the new key
(inside the migration's one transaction), and its time index is made again.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_TZ = sa.DateTime(timezone=True)
_COLUMNS = "seq, at, operator, subject, body, prev_hash, hash"


def upgrade() -> None:
    op.create_table(
        "access_restrictions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False, autoincrement=True),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("placed_at", _TZ, nullable=False),
        sa.Column("placed_by", sa.String(64), nullable=False),
        sa.Column("released_at", _TZ, nullable=True),
        sa.Column("released_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_access_restrictions"),
    )
    op.create_index("ix_access_restrictions_subject", "access_restrictions", ["subject"])
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_records(sa.Integer())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_records(sa.BigInteger())
    op.drop_index("ix_access_restrictions_subject", "access_restrictions")
    op.drop_table("access_restrictions")


def _rebuild_records(seq: sa.types.TypeEngine[int]) -> None:
    """``access_records`` copied, in chain order, into a table whose ``seq`` has type ``seq``."""
    op.create_table(
        "access_records_0006",
        sa.Column("seq", seq, nullable=False, autoincrement=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("prev_hash", sa.LargeBinary, nullable=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_access_records"),
    )
    op.execute(f"INSERT INTO access_records_0006 ({_COLUMNS}) SELECT {_COLUMNS} FROM access_records ORDER BY seq")
    op.drop_index("ix_access_records_at", "access_records")
    op.drop_table("access_records")
    op.rename_table("access_records_0006", "access_records")
    op.create_index("ix_access_records_at", "access_records", ["at"])

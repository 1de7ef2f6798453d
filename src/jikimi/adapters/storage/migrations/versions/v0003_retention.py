"""Retention: kept buckets with their expiry, operational records, legal holds, the destruction log, sweep runs.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "retention_buckets",
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
        sa.PrimaryKeyConstraint("subject", "bucket", name="pk_retention_buckets"),
    )
    op.create_index("ix_retention_buckets_state_expires_at", "retention_buckets", ["state", "expires_at"])
    op.create_table(
        "retention_records",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("occurred_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_retention_records"),
    )
    op.create_index("ix_retention_records_subject", "retention_records", ["subject"])
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("placed_at", _TZ, nullable=False),
        sa.Column("placed_by", sa.String(64), nullable=False),
        sa.Column("released_at", _TZ, nullable=True),
        sa.Column("released_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_legal_holds"),
    )
    op.create_index("ix_legal_holds_subject", "legal_holds", ["subject"])
    op.create_table(
        "destruction_log",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("run", sa.Integer, nullable=True),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(200), nullable=False),
        sa.Column("subjects", sa.Integer, nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("method", sa.String(200), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_destruction_log"),
    )
    op.create_index("ix_destruction_log_at", "destruction_log", ["at"])
    op.create_table(
        "sweep_runs",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("now", _TZ, nullable=False),
        sa.Column("started_at", _TZ, nullable=False),
        sa.Column("batches", sa.Integer, nullable=False),
        sa.Column("buckets", sa.Integer, nullable=False),
        sa.Column("finished_at", _TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sweep_runs"),
    )


def downgrade() -> None:
    op.drop_table("sweep_runs")
    op.drop_index("ix_destruction_log_at", "destruction_log")
    op.drop_table("destruction_log")
    op.drop_index("ix_legal_holds_subject", "legal_holds")
    op.drop_table("legal_holds")
    op.drop_index("ix_retention_records_subject", "retention_records")
    op.drop_table("retention_records")
    op.drop_index("ix_retention_buckets_state_expires_at", "retention_buckets")
    op.drop_table("retention_buckets")

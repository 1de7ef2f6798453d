"""The vault: subjects, wrapped data keys, encrypted fields, blind index, meta.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "subjects",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subjects"),
    )
    op.create_table(
        "data_keys",
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("bucket", sa.String(64), nullable=False),
        sa.Column("key_version", sa.Integer, nullable=False),
        sa.Column("kek_id", sa.String(64), nullable=False),
        sa.Column("wrapped", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["subject"], ["subjects.id"], name="fk_data_keys_subject_subjects"),
        sa.PrimaryKeyConstraint("subject", "bucket", name="pk_data_keys"),
    )
    op.create_table(
        "fields",
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("bucket", sa.String(64), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("subject", "bucket", "item", name="pk_fields"),
    )
    op.create_table(
        "blind_index",
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("bucket", sa.String(64), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("digest", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("subject", "bucket", "item", name="pk_blind_index"),
    )
    op.create_index("ix_blind_index_item_digest", "blind_index", ["item", "digest"])
    op.create_table(
        "jikimi_meta",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_jikimi_meta"),
    )


def downgrade() -> None:
    for table in ("jikimi_meta", "blind_index", "fields", "data_keys", "subjects"):
        op.drop_table(table)

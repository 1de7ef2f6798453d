"""Expiry keys: one key per day of expiry wraps the data keys of the buckets due that day, so the sweep shreds a
day of buckets by deleting one key (docs/retention.md, "Expiry keys").

Adds the ``expiry_keys`` table and ``retention_buckets.expiry_key`` with its index. Buckets kept before this
revision stay under the KEK (``expiry_key`` NULL) and are shredded one by one, as before.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jikimi.errors import SchemaError

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "expiry_keys",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_expiry_keys"),
    )
    op.create_index("ix_expiry_keys_state_day", "expiry_keys", ["state", "day"])
    with op.batch_alter_table("retention_buckets") as batch:
        batch.add_column(sa.Column("expiry_key", sa.String(64), nullable=True))
    op.create_index(
        "ix_retention_buckets_expiry_key_state_expires_at", "retention_buckets", ["expiry_key", "state", "expires_at"]
    )


def downgrade() -> None:
    # Buckets under an expiry key cannot go back under the KEK here (that needs the keys): refuse rather than lose
    # them. Destroy or re-wrap them first.
    bind = op.get_bind()
    under = bind.execute(sa.text("SELECT count(*) FROM retention_buckets WHERE expiry_key IS NOT NULL")).scalar()
    if under:
        raise SchemaError(f"{under} kept buckets are under expiry keys; revision 0009 cannot be undone over them")
    op.drop_index("ix_retention_buckets_expiry_key_state_expires_at", "retention_buckets")
    with op.batch_alter_table("retention_buckets") as batch:
        batch.drop_column("expiry_key")
    op.drop_index("ix_expiry_keys_state_day", "expiry_keys")
    op.drop_table("expiry_keys")

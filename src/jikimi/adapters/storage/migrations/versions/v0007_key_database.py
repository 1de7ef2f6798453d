"""Key database: the wrapped data keys move out of the data file (docs/security.md, R-SEC-27).

SQLite: ``data_keys`` moves to the key database attached as ``jikimi_keys`` (``jikimi.keys.db`` beside
``jikimi.db``); the old table is dropped with ``secure_delete`` on, so the data file keeps no key in a free page.
PostgreSQL: the table stays in its schema and loses its foreign key to ``subjects`` (one schema, both engines).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

_KEYS = "jikimi_keys"
_COLUMNS = "subject, bucket, key_version, kek_id, wrapped, created_at"
_FK = "fk_data_keys_subject_subjects"


def _key_table(schema: str | None, *, foreign_key: bool) -> None:
    constraints: list[sa.Constraint] = [sa.PrimaryKeyConstraint("subject", "bucket", name="pk_data_keys")]
    if foreign_key:
        constraints.append(sa.ForeignKeyConstraint(["subject"], ["subjects.id"], name=_FK))
    op.create_table(
        "data_keys",
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("bucket", sa.String(64), nullable=False),
        sa.Column("key_version", sa.Integer, nullable=False),
        sa.Column("kek_id", sa.String(64), nullable=False),
        sa.Column("wrapped", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *constraints,
        schema=schema,
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(_FK, "data_keys", type_="foreignkey")
        return
    _key_table(_KEYS, foreign_key=False)
    op.execute(f"INSERT INTO {_KEYS}.data_keys ({_COLUMNS}) SELECT {_COLUMNS} FROM main.data_keys")
    op.execute("PRAGMA main.secure_delete=ON")  # the dropped table's pages are overwritten, not just freed
    op.drop_table("data_keys", schema="main")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.create_foreign_key(_FK, "data_keys", "subjects", ["subject"], ["id"])
        return
    _key_table("main", foreign_key=True)
    op.execute(f"INSERT INTO main.data_keys ({_COLUMNS}) SELECT {_COLUMNS} FROM {_KEYS}.data_keys")
    op.drop_table("data_keys", schema=_KEYS)

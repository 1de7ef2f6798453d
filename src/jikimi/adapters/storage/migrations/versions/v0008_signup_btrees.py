"""Fewer B-trees per sign-up (SQLite only; PostgreSQL's tables do not change).

A sign-up writes a row into ``subjects``, ``fields`` (8 rows), ``blind_index``, ``consent_subjects`` and
``consent_events`` (5 rows), each commit writing every page it touched to the WAL. On SQLite a table with a
primary key other than ``INTEGER PRIMARY KEY`` is two B-trees (the rowid table and the key's unique index), so:

- ``consent_events.seq`` becomes ``INTEGER PRIMARY KEY``, the rowid itself (the chain is then stored in ``seq``
  order, as ``access_records`` since 0006);
- ``subjects``, ``consent_subjects``, ``fields`` and ``blind_index`` become ``WITHOUT ROWID`` tables, stored in
  their key's B-tree.

Not the key database's ``data_keys``: a ``WITHOUT ROWID`` table's interior pages hold copies of whole rows as
dividers (a deleted row's may stay there, where ``secure_delete`` does not reach), and a wrapped key must not
outlive its shred. In a rowid table the wrapped key lives in leaf cells only. For ``fields`` a stray copy is
ciphertext whose key is shredded; the blind index's digests are in its ``(item, digest)`` index already, whose
interior pages keep dividers like any index (docs/security.md).

Each table is copied in key order into one with the new layout, inside the migration's one transaction, and its
indexes are made again. ``downgrade`` copies them back.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

_TZ = sa.DateTime(timezone=True)


def _tables(seq: sa.types.TypeEngine[int]) -> list[tuple[str, list[sa.Column[object]], Sequence[str], list[str]]]:
    """(table, columns, primary key, index names) of each table rebuilt; ``seq`` is ``consent_events.seq``'s type."""
    return [
        ("subjects", [sa.Column("id", sa.String(64)), sa.Column("created_at", _TZ, nullable=False)], ["id"], []),
        (
            "fields",
            [
                sa.Column("subject", sa.String(64)),
                sa.Column("bucket", sa.String(64)),
                sa.Column("item", sa.String(64)),
                sa.Column("kind", sa.SmallInteger, nullable=False),
                sa.Column("value", sa.LargeBinary, nullable=False),
            ],
            ["subject", "bucket", "item"],
            [],
        ),
        (
            "blind_index",
            [
                sa.Column("subject", sa.String(64)),
                sa.Column("bucket", sa.String(64)),
                sa.Column("item", sa.String(64)),
                sa.Column("digest", sa.LargeBinary, nullable=False),
            ],
            ["subject", "bucket", "item"],
            ["item", "digest"],
        ),
        (
            "consent_subjects",
            [
                sa.Column("id", sa.String(64)),
                sa.Column("subject_type", sa.String(64), nullable=False),
                sa.Column("channel", sa.String(64), nullable=False),
                sa.Column("status", sa.String(16), nullable=False),
                sa.Column("child", sa.Boolean, nullable=False),
                sa.Column("created_at", _TZ, nullable=False),
                sa.Column("updated_at", _TZ, nullable=False),
            ],
            ["id"],
            ["status", "updated_at"],
        ),
        (
            "consent_events",
            [
                sa.Column("seq", seq, autoincrement=False),
                sa.Column("subject", sa.String(64), nullable=False),
                sa.Column("body", sa.LargeBinary, nullable=False),
                sa.Column("prev_hash", sa.LargeBinary, nullable=False),
                sa.Column("hash", sa.LargeBinary, nullable=False),
            ],
            ["seq"],
            ["subject", "seq"],
        ),
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(sa.Integer(), with_rowid=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(sa.BigInteger(), with_rowid=True)


def _rebuild(seq: sa.types.TypeEngine[int], *, with_rowid: bool) -> None:
    for name, columns, key, index in _tables(seq):
        copy = f"{name}_0008"
        # consent_events keeps its rowid either way (its key is the rowid, or was a BIGINT beside it).
        options = {} if name == "consent_events" else {"sqlite_with_rowid": with_rowid}
        op.create_table(copy, *columns, sa.PrimaryKeyConstraint(*key, name=f"pk_{name}"), **options)
        names = ", ".join(c.name for c in columns)
        op.execute(f"INSERT INTO {copy} ({names}) SELECT {names} FROM {name} ORDER BY {', '.join(key)}")
        index_name = f"ix_{name}_{'_'.join(index)}"
        if index:
            op.drop_index(index_name, name)
        op.drop_table(name)
        op.rename_table(copy, name)
        if index:
            op.create_index(index_name, name, index)

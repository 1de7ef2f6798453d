"""The vault's tables (SQLAlchemy Core). Rows are not domain objects: :mod:`.store` maps them to the vault's port.

Shapes are chosen for the hot paths (performance.md): a subject's fields are one primary-key range
(subject, bucket, item), so a read is one query and a shred is one range delete; the blind index has one secondary
index (item, digest) for look-ups. Migrations in ``migrations/versions`` must create exactly these tables.

The wrapped data keys live in a key database of their own, ``KEYS_SCHEMA`` (docs/security.md): on SQLite a second
file attached to every connection (``jikimi.db`` -> ``jikimi.keys.db``), so a copy or backup of the data file holds
no key and a shred makes the copy's ciphertext unreadable too (R-SEC-27); on PostgreSQL the table stays in the
database's own schema (the engine maps ``KEYS_SCHEMA`` to it), where dumps can leave it out.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
)

__all__ = ["KEYS_SCHEMA", "blind_index", "data_keys", "fields", "meta", "metadata", "subjects"]

KEYS_SCHEMA = "jikimi_keys"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

subjects = Table(
    "subjects",
    metadata,
    Column("id", String(64), primary_key=True),  # an internal pseudonymous id, never personal data
    Column("created_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,  # one B-tree (migration 0008)
)

# No foreign key to subjects: the two live in different files on SQLite, and a key deletion (the shred) then touches
# the key table alone.
data_keys = Table(
    "data_keys",
    metadata,
    Column("subject", String(64), primary_key=True),
    Column("bucket", String(64), primary_key=True),  # "live" or a retention rule key
    Column("key_version", Integer, nullable=False),
    Column("kek_id", String(64), nullable=False),
    Column("wrapped", LargeBinary, nullable=False),  # the DEK, AES-GCM under the KEK
    Column("created_at", DateTime(timezone=True), nullable=False),
    # With a rowid, not WITHOUT ROWID: that would shred faster (one B-tree), but its interior pages keep copies of
    # deleted rows as dividers, wrapped key included, where secure_delete cannot reach them (measured).
    schema=KEYS_SCHEMA,
)

# No foreign key to data_keys: shredding deletes the key first and the ciphertext afterwards (performance.md §5).
fields = Table(
    "fields",
    metadata,
    Column("subject", String(64), primary_key=True),
    Column("bucket", String(64), primary_key=True),
    Column("item", String(64), primary_key=True),
    Column("kind", SmallInteger, nullable=False),
    Column("value", LargeBinary, nullable=False),
    # The expiry month of the bucket's key, 0 under the KEK (migration 0010, :mod:`.partitions`): on PostgreSQL the
    # partition the row is in, so that a month of destroyed buckets is dropped, not deleted row by row.
    Column("part", Integer, primary_key=True, server_default="0"),
    # One B-tree, not a rowid table and a key index (migration 0008). Its interior pages may keep copies of deleted
    # rows as dividers: ciphertext whose key is shredded.
    sqlite_with_rowid=False,
    postgresql_partition_by="LIST (part)",
)

blind_index = Table(
    "blind_index",
    metadata,
    Column("subject", String(64), primary_key=True),
    Column("bucket", String(64), primary_key=True),
    Column("item", String(64), primary_key=True),
    Column("digest", LargeBinary, nullable=False),
    Index(None, "item", "digest"),
    sqlite_with_rowid=False,  # one B-tree and the digest index (migration 0008)
)

meta = Table(
    "jikimi_meta",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", LargeBinary, nullable=False),
    # One B-tree, not a rowid table and a key index (migration 0008). Its interior pages may keep copies of deleted
    # rows as dividers: ciphertext whose key is shredded.
    sqlite_with_rowid=False,
)

"""The access domain's tables, on the vault's ``metadata`` (migrations ``v0004_access`` and ``v0006_restrictions``
create exactly these).

``access_records`` is append-only on its sequence, with an index on time only: times arrive in order, so the
index grows at its end, while an index on subjects would cost appends about 3x (performance.md, point 3). On SQLite
its ``seq`` is ``INTEGER PRIMARY KEY``, the table's own rowid: the table is then stored in chain order (verification
reads it front to back, with no separate key index to keep on each append), and the time index, whose entries end
in the rowid, yields the review's ``ORDER BY at, seq`` without a sort.
``access_rights_log`` keeps every grant, change and revocation of an operator's rights (R-SEC-4: 3 years).
``access_restrictions`` holds each suspension of a purpose (처리정지, R-DSR-6) and each item held back pending a
correction (R-DSR-5), with who placed and released it and when; the gate reads the unreleased ones of a batch's
subjects through the index on ``subject``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, Integer, LargeBinary, String, Table

from jikimi.adapters.storage.tables import metadata

__all__ = ["access_operators", "access_records", "access_restrictions", "access_rights_log"]

access_operators = Table(
    "access_operators",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("role", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

access_rights_log = Table(
    "access_rights_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("operator", String(64), nullable=False),
    Column("change", String(16), nullable=False),
    Column("role_before", String(64)),
    Column("role_after", String(64)),
    Column("actor", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

access_records = Table(
    "access_records",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("operator", String(64), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("body", LargeBinary, nullable=False),  # canonical JSON: what the hash covers
    Column("prev_hash", LargeBinary, nullable=False),
    Column("hash", LargeBinary, nullable=False),
    Index(None, "at"),
)

access_restrictions = Table(
    "access_restrictions",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("subject", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # suspension | correction
    Column("target", String(64), nullable=False),  # the suspended purpose, or the held item
    Column("reason", String(500), nullable=True),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("placed_by", String(64), nullable=False),
    Column("released_at", DateTime(timezone=True), nullable=True),
    Column("released_by", String(64), nullable=True),
    Index(None, "subject"),
)

"""The consent domain's tables (SQLAlchemy Core), on the vault's ``metadata`` so one migration history covers both.

``consent_subjects`` holds where each subject stands (no personal data: type, channel, status, child flag).
``consent_events`` is the append-only ledger: ``seq`` is the primary key, so two writers racing for the same place
in the chain cannot both commit (the chain never forks). ``body`` holds the exact canonical bytes the hash covers
(jikimi.consent.ledger); ``subject`` is a copy for look-ups, checked against the body by verification.
Migration ``v0002_consent`` must create exactly these tables; ``v0005_consent_proof`` adds the ``(status,
updated_at)`` index through which the sweep finds ended subjects whose proof of consent is due (not by a scan).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, Integer, LargeBinary, String, Table

from jikimi.adapters.storage.tables import metadata

__all__ = ["consent_events", "consent_subjects"]

consent_subjects = Table(
    "consent_subjects",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("subject_type", String(64), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("child", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(None, "status", "updated_at"),
    sqlite_with_rowid=False,  # one B-tree on SQLite (migration 0008)
)

consent_events = Table(
    "consent_events",
    metadata,
    # On SQLite INTEGER PRIMARY KEY, the rowid itself: no separate key index (migration 0008).
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("subject", String(64), nullable=False),
    Column("body", LargeBinary, nullable=False),  # canonical JSON, UTF-8: what the hash covers
    Column("prev_hash", LargeBinary, nullable=False),
    Column("hash", LargeBinary, nullable=False),
    Index(None, "subject", "seq"),
)

"""The retention domain's tables (SQLAlchemy Core), on the vault's ``metadata``. Migration ``v0003_retention``
must create exactly these tables.

``retention_buckets`` lists each vault bucket kept under a rule (one row per subject x bucket) with its expiry; the
sweep finds due buckets through the ``(state, expires_at)`` index, never by a scan, and the same index finds
buckets shredded but not yet purged (``state`` 1) when a killed sweep resumes; an operational record's buckets
carry its id, kind and date (its items are in the vault). ``legal_holds`` holds the holds, ``destruction_log`` what
was destroyed (no subject ids, no values), and ``sweep_runs`` each sweep's committed progress.

``expiry_keys`` lists the expiry keys (migration ``v0009_expiry_keys``): one key per day of expiry wraps the data
keys of every bucket due that day (``retention_buckets.expiry_key``), so the sweep shreds a whole day of buckets by
deleting one key (docs/retention.md, "Expiry keys"). The key itself is in the key database, a data key of the
reserved subject ``~expiry``; this table holds its day and whether it was shredded, in the data file, where the
destruction log is.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, Index, Integer, SmallInteger, String, Table

from jikimi.adapters.storage.tables import metadata

__all__ = [
    "KEPT",
    "PURGED",
    "SHREDDED",
    "destruction_log",
    "expiry_keys",
    "expiry_months",
    "legal_holds",
    "retention_buckets",
    "sweep_runs",
]

KEPT, SHREDDED = 0, 1
PURGED = 2  # an expiry key's state once no bucket under it is left: the purge no longer looks under it

retention_buckets = Table(
    "retention_buckets",
    metadata,
    Column("subject", String(64), primary_key=True),
    Column("bucket", String(64), primary_key=True),  # the rule key, or "<rule>/<record id>"
    Column("rule", String(64), nullable=False),
    Column("record", String(32), nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),  # NULL: unknown yet, or permanent
    Column("use", String(64), nullable=True),
    Column("separate_storage", Boolean, nullable=False),
    Column("policy_version", String(64), nullable=False),
    Column("items", Integer, nullable=False),  # fields stored: the destruction log's count, known without a scan
    Column("state", SmallInteger, nullable=False),  # KEPT, or SHREDDED (key gone, rows still to delete)
    # The expiry key its data key is wrapped under; NULL: under the KEK (no expiry yet, held, or made past its day).
    Column("expiry_key", String(64), nullable=True),
    # An operational record's kind and date, on each of its buckets (``record`` is its id): a record is known while
    # one of its buckets is, and goes with the last (migration 0010 folded ``retention_records`` in here).
    Column("kind", String(64), nullable=True),
    Column("occurred_at", DateTime(timezone=True), nullable=True),
    # The expiry month of ``expiry_key``, 0 under the KEK (migration 0010): on PostgreSQL the partition the row is in,
    # beside its ciphertext rows in the same month's partition of ``fields`` (:mod:`.partitions`).
    Column("part", Integer, primary_key=True, server_default="0"),
    Index(None, "state", "expires_at"),
    # With rule and items on PostgreSQL: a day's count by rule (the destruction log) reads the index alone.
    Index(None, "expiry_key", "state", "expires_at", postgresql_include=["rule", "items"]),
    postgresql_partition_by="LIST (part)",
)

# One row per expiry month that ever had an expiry key (migration 0010): OPEN, CLOSED (no key of its days kept; no
# new one may be made) or DROPPED (its partitions are gone), :mod:`.partitions`.
expiry_months = Table(
    "expiry_months",
    metadata,
    Column("month", Integer, primary_key=True, autoincrement=False),  # YYYYMM
    Column("state", SmallInteger, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
)

expiry_keys = Table(
    "expiry_keys",
    metadata,
    Column("name", String(64), primary_key=True),  # the key's bucket in the key database: "<day>/<random>"
    Column("day", Date, nullable=False),  # UTC: every bucket under the key expires within this day
    Column("state", SmallInteger, nullable=False),  # KEPT, SHREDDED (logged; rows may remain), PURGED (none left)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("shredded_at", DateTime(timezone=True), nullable=True),
    Index(None, "state", "day"),
)

legal_holds = Table(
    "legal_holds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", String(64), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("placed_by", String(64), nullable=False),
    Column("released_at", DateTime(timezone=True), nullable=True),
    Column("released_by", String(64), nullable=True),
    Index(None, "subject"),
)

destruction_log = Table(
    "destruction_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run", Integer, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("kind", String(200), nullable=False),
    Column("subjects", Integer, nullable=False),
    Column("items", Integer, nullable=False),
    Column("method", String(200), nullable=False),
    Column("policy_version", String(64), nullable=False),
    Index(None, "at"),
)

sweep_runs = Table(
    "sweep_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("now", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("batches", Integer, nullable=False),
    Column("buckets", Integer, nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)

"""The access record (접속기록, R-SEC-21..24): append-only, hash-chained, and free of personal data.

Each record names the operator account, time, source address, subject (pseudonymous id), items (by name), purpose,
task, outcome and the refusing rule. Its ``hash`` is ``SHA-256(prev_hash || body)`` where ``body`` is compact JSON
with sorted keys; the first record's ``prev_hash`` is 32 zero bytes. :func:`verify` walks records in ``seq`` order
and reports the first missing, reordered or altered one (R-SEC-24). A read of many subjects writes one record per
subject, so a subject's access history is complete on its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from jikimi.access.model import AccessRequest, Decision, Outcome
from jikimi.policy.model import ItemCategory, Policy
from jikimi.policy.statutes import statute

__all__ = [
    "GENESIS",
    "AccessRecord",
    "Break",
    "body_of",
    "chain_records",
    "retention_period",
    "verify",
    "verify_rows",
]

GENESIS = bytes(32)
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """One stored record: its place in the chain, its hashed body and the hashes."""

    seq: int
    at: datetime
    operator: str
    subject: str
    body: bytes
    prev_hash: bytes
    hash: bytes

    @property
    def fields(self) -> dict[str, object]:
        parsed: dict[str, object] = json.loads(self.body)
        return parsed


@dataclass(frozen=True, slots=True)
class Break:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"record {self.seq}: {self.reason}"


def body_of(seq: int, request: AccessRequest, subject: str, decision: Decision) -> bytes:
    """The canonical body of the record of ``request`` for one subject."""
    return _encode(
        {
            "at": request.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "download": request.download,
            "items": list(request.items),
            "operator": request.operator,
            "outcome": Outcome.ALLOWED.value if decision.allowed else Outcome.REFUSED.value,
            "purpose": request.purpose,
            "reason": request.reason,
            "rule": decision.rule,
            "seq": seq,
            "source": request.source,
            "subject": subject,
            "subjects_in_request": len(request.subjects),
            "task": request.task,
        }
    ).encode()


def chain_records(
    requests: Iterable[tuple[AccessRequest, Decision]], head: tuple[int, bytes] | None
) -> list[AccessRecord]:
    """Records for ``requests`` (one per subject), numbered and hashed after ``head`` (last ``(seq, hash)``)."""
    seq, prev = head if head is not None else (0, GENESIS)
    out = []
    sha256 = hashlib.sha256
    for request, decision in requests:
        for subject in request.subjects:
            seq += 1
            body = body_of(seq, request, subject, decision)
            digest = sha256(prev + body).digest()
            out.append(AccessRecord(seq, request.at, request.operator, subject, body, prev, digest))
            prev = digest
    return out


def verify(records: Iterable[AccessRecord]) -> tuple[int, Break | None]:
    """Walk ``records`` in ``seq`` order: ``(count checked, first break or None)``."""
    return verify_rows((r.seq, r.body, r.prev_hash, r.hash) for r in records)


def verify_rows(
    rows: Iterable[tuple[int, bytes, bytes, bytes]], checkpoint: tuple[int, bytes] | None = None
) -> tuple[int, Break | None]:
    """:func:`verify` over stored ``(seq, body, prev_hash, hash)`` rows, without building records (the fast path).

    ``checkpoint`` is the ``(seq, hash)`` of the last record destroyed at the end of its retention: the chain then
    starts after it, and a missing record past it is still found.
    """
    start, prev = checkpoint if checkpoint is not None else (0, GENESIS)
    expected, count = start + 1, 0
    sha256 = hashlib.sha256
    for seq, body, prev_hash, digest in rows:
        count += 1
        if seq != expected:
            return count, Break(seq, f"expected record {expected}: records are missing")
        if prev_hash != prev:
            return count, Break(seq, "does not link to the record before it")
        if sha256(prev + body).digest() != digest:
            return count, Break(seq, "its content does not match its hash (altered)")
        if b'"seq":%d,' % seq not in body:
            return count, Break(seq, "its stored number differs from its hashed content")
        prev, expected = digest, expected + 1
    return count, None


_LARGE_CATEGORIES = frozenset({ItemCategory.UNIQUE_IDENTIFIER, ItemCategory.SENSITIVE, ItemCategory.BIOMETRIC})


def retention_period(policy: Policy) -> str:
    """How long access records are kept (R-SEC-22): 1 year; 2 years for 50,000+ subjects, unique identifiers or
    sensitive data (안전성 확보조치 기준 제8조제1항)."""
    threshold = statute("pipa.access_log_large_threshold").value or 50_000
    large = (policy.service.expected_subjects or 0) >= threshold or any(
        item.category in _LARGE_CATEGORIES for item in policy.items.values()
    )
    period = statute("pipa.access_log_large" if large else "pipa.access_log").period
    return period or ("2y" if large else "1y")

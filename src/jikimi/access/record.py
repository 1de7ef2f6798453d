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
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from jikimi.access.model import AccessRequest, Decision, Outcome
from jikimi.policy.model import ItemCategory, Policy
from jikimi.policy.statutes import statute

__all__ = [
    "GENESIS",
    "AccessRecord",
    "Break",
    "body_dict",
    "body_of",
    "chain_records",
    "retention_period",
    "verify",
    "verify_pages",
    "verify_rows",
]

GENESIS = bytes(32)
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
_SEQ = b'"seq":%d,'  # how a record's number appears in its body: the check that the stored number is the hashed one
_sha256 = hashlib.sha256
_digest = operator.methodcaller("digest")
_add = operator.add
_rfind = bytes.rfind  # found anywhere, as ``in``; from the end, where the number is nearer (and faster than ``in``)


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
    return _body(seq, request, subject, decision)


def body_dict(seq: int, request: AccessRequest, subject: str, decision: Decision) -> bytes:
    """The canonical body through the JSON encoder: the reference :func:`body_of` must equal byte for byte."""
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


# The canonical form written out (as the consent ledger does): the same bytes as ``_encode`` of the dict of fields
# (sorted keys, compact, UTF-8), built by formatting instead of walking a dict. The parts shared by every subject of
# a request are encoded once; tests/access/test_record.py checks the result equals :func:`body_dict`.
_string = json.encoder.encode_basestring  # what JSONEncoder(ensure_ascii=False) uses for every str


def _parts(request: AccessRequest, decision: Decision) -> tuple[str, str, str]:
    """The text of a body after its time up to ``seq``, between ``seq`` and ``subject``, and after ``subject``."""
    s = _string
    reason, rule = request.reason, decision.rule
    # Concatenation, not %-formatting, once user text is in: a "%" in a reason must stay a plain character.
    before = "".join(
        (
            'Z","download":',
            "true" if request.download else "false",
            ',"items":[',
            ",".join(map(s, request.items)),
            '],"operator":',
            s(request.operator),
            ',"outcome":"',
            "allowed" if decision.allowed else "refused",
            '","purpose":',
            s(request.purpose),
            ',"reason":',
            "null" if reason is None else s(reason),
            ',"rule":',
            "null" if rule is None else s(rule),
            ',"seq":',
        )
    )
    middle = ',"source":' + s(request.source) + ',"subject":'
    after = ',"subjects_in_request":' + str(len(request.subjects)) + ',"task":' + s(request.task) + "}"
    return before, middle, after


def _time(at: datetime) -> str:
    # isoformat is C and several times faster than strftime; the same text ("%Y-%m-%dT%H:%M:%S.%f").
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def _body(seq: int, request: AccessRequest, subject: str, decision: Decision) -> bytes:
    before, middle, after = _parts(request, decision)
    return ('{"at":"' + _time(request.at) + before + str(seq) + middle + _string(subject) + after).encode()


def chain_records(
    requests: Iterable[tuple[AccessRequest, Decision]], head: tuple[int, bytes] | None
) -> list[AccessRecord]:
    """Records for ``requests`` (one per subject), numbered and hashed after ``head`` (last ``(seq, hash)``)."""
    seq, prev = head if head is not None else (0, GENESIS)
    out = []
    sha256, string, record, time_text = hashlib.sha256, _string, AccessRecord, _time
    # Requests of a batch mostly differ only in time and subjects: their other parts are encoded once per batch.
    parts: dict[tuple[object, ...], tuple[str, str, str]] = {}
    for request, decision in requests:
        r = request
        key = (r.operator, r.items, r.purpose, r.task, r.source, r.reason, r.download, len(r.subjects), decision)
        found = parts.get(key)
        if found is None:
            found = parts[key] = _parts(request, decision)
        before, middle, after = found
        at, operator = r.at, r.operator
        start = '{"at":"' + time_text(at) + before
        for subject in r.subjects:
            seq += 1
            body = (start + str(seq) + middle + string(subject) + after).encode()
            digest = sha256(prev + body).digest()
            out.append(record(seq, at, operator, subject, body, prev, digest))
            prev = digest
    return out


def verify(records: Iterable[AccessRecord]) -> tuple[int, Break | None]:
    """Walk ``records`` in ``seq`` order: ``(count checked, first break or None)``; in memory, each record's
    ``prev_hash`` is also checked against the hash of the record before it."""
    expected, count, prev = 1, 0, GENESIS
    sha256 = hashlib.sha256
    for r in records:
        count += 1
        if r.seq != expected:
            return count, Break(r.seq, f"expected record {expected}: records are missing")
        if r.prev_hash != prev:
            return count, Break(r.seq, "does not link to the record before it")
        if sha256(prev + r.body).digest() != r.hash:
            return count, Break(r.seq, "its content does not match its hash (altered)")
        if _SEQ % r.seq not in r.body:
            return count, Break(r.seq, "its stored number differs from its hashed content")
        prev, expected = r.hash, expected + 1
    return count, None


def verify_rows(
    rows: Iterable[tuple[int, bytes, bytes]], checkpoint: tuple[int, bytes] | None = None
) -> tuple[int, Break | None]:
    """:func:`verify_pages` over stored ``(seq, body, hash)`` rows one at a time."""
    return _verify_each(rows, *(checkpoint if checkpoint is not None else (0, GENESIS)))


def verify_pages(
    pages: Iterable[Sequence[tuple[int, bytes, bytes]]], checkpoint: tuple[int, bytes] | None = None
) -> tuple[int, Break | None]:
    """:func:`verify` over stored ``(seq, body, hash)`` rows, a page at a time, without building records (the
    path of ``jikimi audit verify``).

    Each hash is recomputed from the previous record's stored hash, so an edited body or hash, a missing record and
    a reordering each break the chain; the stored ``prev_hash`` (a copy of that previous hash) is not read, which
    saves a tenth of the time. ``checkpoint`` is the ``(seq, hash)`` of the last record destroyed at the end of its
    retention: the chain then starts after it, and a missing record past it is still found.

    A page is checked whole, by C-level ``map`` over its columns instead of a Python loop per record: its numbers
    against the expected run, every hash against its recomputation, every body against its number. Only a page that
    fails is walked again record by record (:func:`verify_rows`' loop) to name the first break, so the checks and
    what they find are those of the loop.
    """
    seq, prev = checkpoint if checkpoint is not None else (0, GENESIS)
    count = 0
    for page in pages:
        n = len(page)
        if not n:
            continue
        seqs, bodies, hashes = zip(*page, strict=True)
        if (
            seqs != tuple(range(seq + 1, seq + 1 + n))
            or tuple(map(_digest, map(_sha256, map(_add, (prev, *hashes[:-1]), bodies)))) != hashes
            or min(map(_rfind, bodies, map(_SEQ.__mod__, seqs))) < 0
        ):
            checked, broken = _verify_each(page, seq, prev)
            if broken is not None:
                return count + checked, broken
        count += n
        seq, prev = seq + n, hashes[-1]
    return count, None


def _verify_each(rows: Iterable[tuple[int, bytes, bytes]], start: int, prev: bytes) -> tuple[int, Break | None]:
    expected, count = start + 1, 0
    sha256 = hashlib.sha256
    for seq, body, digest in rows:
        count += 1
        if seq != expected:
            return count, Break(seq, f"expected record {expected}: records are missing")
        if sha256(prev + body).digest() != digest:
            return count, Break(seq, "its content does not match its hash (altered)")
        if _SEQ % seq not in body:
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

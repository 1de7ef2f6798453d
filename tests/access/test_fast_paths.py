"""The fast paths of ``audit verify`` and ``audit review`` find and report exactly what the plain loops do:
:func:`verify_pages` (a page checked at once) against :func:`verify` record by record, for every kind of tampering
and wherever it falls in a page; :func:`review_rows` (grouped by shape, cached per hour) against the findings of a
simulated month, whatever the page size and however many shapes the month has (R-SEC-23, R-SEC-24)."""

from __future__ import annotations

import hashlib
import importlib
import json
import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from statistics import median

import pytest

from jikimi.access import (
    AccessRecord,
    AccessRequest,
    Decision,
    Finding,
    Review,
    chain_records,
    review,
    review_rows,
    verify,
)
from jikimi.access.record import verify_pages, verify_rows
from jikimi.policy import load_policy
from jikimi.policy.model import ItemCategory

# The module, not the function ``jikimi.access.review`` that the package exports under the same name.
review_module = importlib.import_module("jikimi.access.review")
POLICY = load_policy(Path(__file__).resolve().parents[2] / "examples" / "policies" / "123solution.yaml")
OK, NO = Decision(True), Decision(False, "R-SEC-2", "role may not serve purpose")
AT = datetime(2026, 10, 1, 1, tzinfo=UTC)


def chain(n: int) -> list[AccessRecord]:
    request = AccessRequest("op-a", tuple(f"s{i}" for i in range(n)), ("mobile_phone",), "inquiries", "문의", "::1", AT)
    return chain_records([(request, OK)], None)


def rows(records: list[AccessRecord]) -> list[tuple[int, bytes, bytes]]:
    return [(r.seq, r.body, r.hash) for r in records]


def pages(items: list[tuple[int, bytes, bytes]], size: int) -> list[list[tuple[int, bytes, bytes]]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def tampered(records: list[AccessRecord], how: str, at: int) -> list[tuple[int, bytes, bytes]]:
    """The stored rows after one kind of tampering at index ``at``."""
    out = rows(records)
    seq, body, digest = out[at]
    if how == "body":
        out[at] = (seq, body.replace(b"op-a", b"op-x"), digest)
    elif how == "hash":
        out[at] = (seq, body, bytes(32))
    elif how == "missing":
        del out[at]
    elif how == "swapped":
        out[at], out[at + 1] = out[at + 1], out[at]
    elif how == "renumbered":  # stored numbers shifted from here on, the hashed bodies kept: a gap
        out[at:] = [(s + 1, b, h) for s, b, h in out[at:]]
    elif how == "seq_in_body":  # re-hashed from here on, so the chain holds: the body's number is what differs
        prev = out[at - 1][2] if at else bytes(32)
        for i in range(at, len(out)):
            s, b, _ = out[i]
            if i == at:
                b = b.replace(b'"seq":%d,' % s, b'"seq":%d,' % (s + 100))
            h = hashlib.sha256(prev + b).digest()
            out[i] = (s, b, h)
            prev = h
    return out


@pytest.mark.parametrize("how", ["body", "hash", "missing", "swapped", "renumbered", "seq_in_body"])
@pytest.mark.parametrize("at", [0, 6, 7, 8, 20])
@pytest.mark.parametrize("size", [1, 7, 8, 1000])
def test_verify_pages_finds_the_first_break_as_the_loop_does(how: str, at: int, size: int) -> None:
    records = chain(24)
    stored = tampered(records, how, at)
    expected = verify_rows(stored)
    assert expected[1] is not None  # every kind of tampering is found
    assert verify_pages(pages(stored, size)) == expected
    if how in ("body", "missing", "swapped"):  # the in-memory walk over records agrees on where
        assert expected[1].seq == stored[at][0]


def test_verify_pages_from_a_checkpoint_and_on_an_intact_chain() -> None:
    records = chain(30)
    stored = rows(records)
    assert verify_pages(pages(stored, 8)) == (30, None) == verify(records)
    checkpoint = (records[9].seq, records[9].hash)  # the first ten reached the end of their retention
    assert verify_pages(pages(stored[10:], 8), checkpoint) == (20, None)
    _, gap = verify_pages(pages(stored[11:], 8), checkpoint)
    assert gap is not None
    assert "missing" in gap.reason
    assert verify_pages([[], *pages(stored, 5), []]) == (30, None)


def req(operator: str, at: datetime, subjects: tuple[str, ...] = ("s1",), **kw: object) -> AccessRequest:
    base = AccessRequest(operator, subjects, ("mobile_phone",), "inquiries", "문의 응대", "10.0.0.1", at)
    return replace(base, **kw)  # type: ignore[arg-type]


def month(free_text_tasks: bool = False) -> list[AccessRecord]:
    rng = random.Random(11)
    start = datetime(2026, 9, 30, 15, tzinfo=UTC)  # 2026-10-01 00:00 KST
    pairs: list[tuple[AccessRequest, Decision]] = []
    for i in range(3_000):
        at = start + timedelta(minutes=15 * i)  # day and night, weekdays and weekends, into November
        task = f"문의 #{i}" if free_text_tasks else rng.choice(["문의 응대", "주문 확인"])
        kw: dict[str, object] = {"task": task}
        roll = rng.random()
        if roll < 0.01:
            kw["download"], kw["reason"] = True, rng.choice(["민원 회신", None])
        if roll > 0.99:
            kw["items"], kw["purpose"] = ("rrn",), "law_enforcement"
        subjects = tuple(f"s{rng.randrange(40)}" for _ in range(150 if roll < 0.003 else 1))
        request = req(rng.choice(["op-a", "op-b", "op-c", "op-d"]), at, subjects, **kw)
        pairs.append((request, NO if 0.9 < roll < 0.95 else OK))
    many = tuple(f"t{i}" for i in range(300))  # one operator reads far more subjects than the others
    pairs.insert(500, (req("op-e", start + timedelta(days=5, hours=2), many, reason="이관 점검"), OK))
    return chain_records(pairs, None)


def as_pages(records: list[AccessRecord], size: int) -> list[list[tuple[datetime, str, str, bytes]]]:
    flat = [(r.at, r.operator, r.subject, r.body) for r in records]
    return [flat[i : i + size] for i in range(0, len(flat), size)]


def plain(records: list[AccessRecord], month_: str, bulk_threshold: int = 100) -> Review:
    """The review as the plain loop of jikimi before the fast path made it (one decoded body per record): the
    reference the fast path must equal, findings included."""
    r_ = review_module
    out = Review(month_, per_day=dict.fromkeys(r_._month_days(month_), 0))
    unique_ids = {k for k, item in POLICY.items.items() if item.category is ItemCategory.UNIQUE_IDENTIFIER}
    subjects: dict[str, set[str]] = {}
    refusals: Counter[str] = Counter()
    off_hours: Counter[str] = Counter()
    uid_reads: Counter[str] = Counter()
    bulk: Counter[tuple[str, str, str]] = Counter()
    downloads: Counter[tuple[str, str, str]] = Counter()
    for record in records:
        local = record.at.astimezone(r_.KST)
        if local.date() not in out.per_day:
            continue
        f = json.loads(record.body)
        op = record.operator
        out.total += 1
        out.per_day[local.date()] += 1
        out.by_operator[op] += 1
        out.by_purpose[f["purpose"]] += 1
        if f["outcome"] != "allowed":
            out.refused += 1
            refusals[op] += 1
            continue
        subjects.setdefault(op, set()).add(record.subject)
        if local.weekday() >= 5 or not r_.WORK_START <= local.hour < r_.WORK_END:
            off_hours[op] += 1
        if not unique_ids.isdisjoint(f["items"]):
            uid_reads[op] += 1
        key = (op, local.strftime("%Y-%m-%d %H:%M"), f["reason"] or "(사유 없음)")
        if f["subjects_in_request"] > bulk_threshold:
            bulk[key] += 1
        if f["download"]:
            downloads[key] += 1
    out.findings += [Finding("bulk", op, n, f"{at} 사유: {why}") for (op, at, why), n in sorted(bulk.items())]
    out.findings += [Finding("download", op, n, f"{at} 사유: {why}") for (op, at, why), n in sorted(downloads.items())]
    out.findings += [
        Finding("off_hours", op, n, "평일 08시~20시 밖 또는 주말의 열람") for op, n in sorted(off_hours.items())
    ]
    typical = median(len(s) for s in subjects.values())
    out.findings += [
        Finding("unusual_volume", op, len(seen), f"취급자 중앙값 {typical:g}명의 {r_.UNUSUAL_FACTOR}배 초과")
        for op, seen in sorted(subjects.items())
        if len(seen) >= r_.MIN_UNUSUAL and len(seen) > r_.UNUSUAL_FACTOR * typical
    ]
    out.findings += [
        Finding("repeated_refusals", op, n, f"거부 {n}건")
        for op, n in sorted(refusals.items())
        if n >= r_.REPEATED_REFUSALS
    ]
    out.findings += [Finding("unique_identifier", op, n, "고유식별정보 열람") for op, n in sorted(uid_reads.items())]
    return out


@pytest.mark.parametrize("free_text_tasks", [False, True])
def test_review_rows_counts_a_month_as_a_plain_loop_does(
    free_text_tasks: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = month(free_text_tasks)
    if free_text_tasks:
        monkeypatch.setattr(review_module, "_MAX_SHAPES", 50)  # the shape cache starts again many times
    expected = plain(records, "2026-10")
    assert 0 < expected.total < len(records)  # some records fall in November
    for size in (1, 97, 10_000):
        got = review_rows(as_pages(records, size), POLICY, "2026-10")
        assert got == expected
        assert list(got.by_operator) == list(expected.by_operator)  # first-seen order: how most_common breaks ties
        assert list(got.by_purpose) == list(expected.by_purpose)
    assert review(records, POLICY, "2026-10") == expected
    kinds = {f.kind for f in expected.findings}
    assert {"download", "off_hours", "unique_identifier", "bulk", "repeated_refusals", "unusual_volume"} <= kinds
    assert any(f.kind == "download" and "사유 없음" in f.detail for f in expected.findings)


def test_review_rows_keeps_bulk_and_download_minutes_and_reasons() -> None:
    at = datetime(2026, 10, 5, 1, 2, tzinfo=UTC)  # 10:02 KST
    bulk = req("op-c", at, tuple(f"s{i}" for i in range(101)), reason="회원 일괄 점검", download=True)
    records = chain_records([(bulk, OK), (req("op-c", at + timedelta(minutes=1), download=True), OK)], None)
    result = review_rows(as_pages(records, 50), POLICY, "2026-10")
    found = [(f.kind, f.count, f.detail) for f in result.findings if f.kind in ("bulk", "download")]
    assert found == [
        ("bulk", 101, "2026-10-05 10:02 사유: 회원 일괄 점검"),
        ("download", 101, "2026-10-05 10:02 사유: 회원 일괄 점검"),
        ("download", 1, "2026-10-05 10:03 사유: (사유 없음)"),
    ]


def test_review_rows_in_any_order_zone_or_stored_operator() -> None:
    records = month()
    # A stored operator column edited on some records (the body still names the real one): counted under the
    # column, as the plain loop does; verification is what finds the edit.
    records[40] = replace(records[40], operator="op-z")
    records[41] = replace(records[41], operator="op-z")
    expected = plain(records, "2026-10")
    assert expected.by_operator["op-z"] == 2
    odd_zone = timezone(timedelta(hours=5, minutes=30))  # hours that straddle KST hours
    rows = [(r.at.astimezone(odd_zone), r.operator, r.subject, r.body) for r in records]
    random.Random(3).shuffle(rows)
    got = review_rows([rows[i : i + 64] for i in range(0, len(rows), 64)], POLICY, "2026-10")
    assert (got.total, got.refused, got.per_day, got.findings) == (
        expected.total,
        expected.refused,
        expected.per_day,
        expected.findings,
    )
    assert got.by_operator == expected.by_operator
    assert got.by_purpose == expected.by_purpose

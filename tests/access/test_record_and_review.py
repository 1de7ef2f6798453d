"""The access record chain (R-SEC-21, R-SEC-24) and the monthly review (R-SEC-23) over a simulated month."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jikimi.access import AccessRecord, AccessRequest, Decision, chain_records, review, to_html, to_markdown, verify
from jikimi.policy import load_policy

POLICY = load_policy(Path(__file__).resolve().parents[2] / "examples" / "policies" / "123solution.yaml")
OK, NO = Decision(True), Decision(False, "R-SEC-2", "role may not serve purpose")


def req(operator: str, at: datetime, subjects: tuple[str, ...] = ("s1",), **kw: object) -> AccessRequest:
    base = AccessRequest(operator, subjects, ("mobile_phone",), "inquiries", "문의 응대", "10.0.0.1", at)
    return replace(base, **kw)  # type: ignore[arg-type]


def test_one_record_per_subject_chained_and_verified() -> None:
    at = datetime(2026, 10, 1, 1, tzinfo=UTC)
    records = chain_records([(req("op-a", at, ("s1", "s2")), OK), (req("op-b", at), NO)], None)
    assert [r.seq for r in records] == [1, 2, 3]
    assert [r.subject for r in records] == ["s1", "s2", "s1"]
    assert records[2].fields["outcome"] == "refused"
    assert records[2].fields["rule"] == "R-SEC-2"
    assert verify(records) == (3, None)
    more = chain_records([(req("op-a", at), OK)], (records[-1].seq, records[-1].hash))
    assert verify([*records, *more]) == (4, None)


def test_verify_finds_the_first_altered_or_missing_record() -> None:
    at = datetime(2026, 10, 1, 1, tzinfo=UTC)
    records = chain_records([(req("op-a", at, tuple(f"s{i}" for i in range(5))), OK)], None)
    edited = replace(records[2], body=records[2].body.replace(b"op-a", b"op-x"))
    _, broken = verify([records[0], records[1], edited, *records[3:]])
    assert broken is not None
    assert broken.seq == 3
    assert "altered" in broken.reason
    _, gap = verify([records[0], records[2], *records[3:]])
    assert gap is not None
    assert "missing" in gap.reason


def test_records_hold_no_personal_values() -> None:
    at = datetime(2026, 10, 1, 1, tzinfo=UTC)
    (record,) = chain_records([(req("op-a", at), OK)], None)
    assert set(record.fields) == {
        "at",
        "download",
        "items",
        "operator",
        "outcome",
        "purpose",
        "reason",
        "rule",
        "seq",
        "source",
        "subject",
        "subjects_in_request",
        "task",
    }
    assert record.fields["items"] == ["mobile_phone"]  # names, not values


def simulated_month() -> list[AccessRecord]:
    rng = random.Random(7)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    pairs: list[tuple[AccessRequest, Decision]] = []
    for day in range(31):
        for _ in range(20):  # ordinary work, 10:00-17:00 KST on the day
            at = start + timedelta(days=day, hours=1 + rng.randrange(7))
            pairs.append((req(rng.choice(["op-a", "op-b", "op-c"]), at, (f"s{rng.randrange(30)}",)), OK))
    night = start + timedelta(days=3, hours=14)  # 23:00 KST
    pairs.append((req("op-b", night), OK))
    bulk = tuple(f"s{i}" for i in range(300))
    pairs.append((req("op-c", start + timedelta(days=10, hours=2), bulk, reason="회원 일괄 점검"), OK))
    pairs.append((req("op-a", start + timedelta(days=12, hours=2), download=True, reason="민원 회신"), OK))
    for i in range(6):
        pairs.append((req("op-d", start + timedelta(days=20, hours=2, minutes=i)), NO))
    uid = replace(req("op-a", start + timedelta(days=5, hours=2)), items=("rrn",), purpose="law_enforcement")
    pairs.append((uid, OK))
    pairs.append((req("op-a", datetime(2026, 11, 2, 2, tzinfo=UTC)), OK))  # next month: not reviewed
    return chain_records(pairs, None)


def test_monthly_review_findings() -> None:
    result = review(simulated_month(), POLICY, "2026-10")
    assert result.total == 31 * 20 + 1 + 300 + 1 + 6 + 1
    assert result.refused == 6
    kinds = {(f.kind, f.operator) for f in result.findings}
    assert ("off_hours", "op-b") in kinds
    assert ("bulk", "op-c") in kinds
    assert ("download", "op-a") in kinds
    assert ("repeated_refusals", "op-d") in kinds
    assert ("unique_identifier", "op-a") in kinds
    assert ("unusual_volume", "op-c") in kinds  # 300+ subjects against a median of about 30
    assert ("unusual_volume", "op-a") not in kinds
    assert sum(result.per_day.values()) == result.total
    assert len(result.per_day) == 31


def test_review_reports_in_korean_with_an_svg_chart() -> None:
    result = review(simulated_month(), POLICY, "2026-10")
    md = to_markdown(result)
    assert md.startswith("# 개인정보처리시스템 접속기록 점검 결과 (2026-10)")
    assert "| 반복된 접근 거부 | op-d | 6 | 거부 6건 |" in md
    page = to_html(result)
    assert '<html lang="ko">' in page
    assert page.count("<rect ") == 31
    assert '<th scope="col">취급자 계정</th>' in page

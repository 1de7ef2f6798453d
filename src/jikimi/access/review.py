"""The monthly review of the access record (접속기록 점검, R-SEC-23) for the privacy officer.

:func:`review` reads one month of records (no personal data in them) and returns a :class:`Review`: volume per
operator and purpose, accesses per day, and findings — bulk reads and downloads with their reasons, off-hours access,
an operator reading unusually many subjects, repeated refusals, reads of unique identifiers. :func:`to_markdown`
and :func:`to_html` write the report in Korean; the HTML carries a per-day chart as inline SVG (no browser needed).
"""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone
from statistics import median

from jikimi.access.record import AccessRecord
from jikimi.policy.model import ItemCategory, Policy

__all__ = ["Finding", "Review", "review", "to_html", "to_markdown"]

KST = timezone(timedelta(hours=9))
WORK_START, WORK_END = 8, 20  # off-hours: before 08:00 or from 20:00 KST, and weekends
REPEATED_REFUSALS = 5
UNUSUAL_FACTOR = 3  # an operator reading more than 3x the median operator's subjects (and at least MIN_UNUSUAL)
MIN_UNUSUAL = 50


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # bulk, download, off_hours, unusual_volume, repeated_refusals, unique_identifier
    operator: str
    count: int
    detail: str


@dataclass
class Review:
    month: str
    total: int = 0
    refused: int = 0
    by_operator: Counter[str] = field(default_factory=Counter)
    by_purpose: Counter[str] = field(default_factory=Counter)
    per_day: dict[date, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


# The C scanner directly: ``json.loads`` adds two whitespace regex matches per call, a fifth of a record's cost.
_scan: Callable[[str, int], tuple[object, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _decode(text: str) -> dict[str, object]:
    try:
        parsed, end = _scan(text, 0)
    except StopIteration:
        parsed, end = None, -1
    if end != len(text) or not isinstance(parsed, dict):
        parsed = json.loads(text)  # raises as json.loads always did on a body that is not one compact object
    return parsed


def _month_days(month: str) -> list[date]:
    first = date.fromisoformat(month + "-01")
    days = []
    d = first
    while d.month == first.month:
        days.append(d)
        d += timedelta(days=1)
    return days


def review(records: Iterable[AccessRecord], policy: Policy, month: str, *, bulk_threshold: int = 100) -> Review:
    """Review the records of ``month`` (``YYYY-MM``, days in KST); records of other months are ignored."""
    days = _month_days(month)
    out = Review(month, per_day=dict.fromkeys(days, 0))
    unique_ids = {k for k, item in policy.items.items() if item.category is ItemCategory.UNIQUE_IDENTIFIER}
    subjects: dict[str, set[str]] = defaultdict(set)
    refusals: Counter[str] = Counter()
    off_hours: Counter[str] = Counter()
    uid_reads: Counter[str] = Counter()
    bulk: dict[tuple[str, str, str], int] = {}
    downloads: dict[tuple[str, str, str], int] = {}
    # The loop runs once per record (10M a month at most): plain dicts in locals, counted into ``out`` at the end in
    # the same first-seen order (so ``most_common`` breaks ties as before).
    per_day = out.per_day
    by_operator: dict[str, int] = {}
    by_purpose: dict[str, int] = {}
    total = refused = 0
    for record in records:
        local = record.at.astimezone(KST)
        day = local.date()
        if day not in per_day:
            continue
        f = _decode(record.body.decode())
        op, purpose = record.operator, str(f["purpose"])
        total += 1
        per_day[day] += 1
        by_operator[op] = by_operator.get(op, 0) + 1
        by_purpose[purpose] = by_purpose.get(purpose, 0) + 1
        if f["outcome"] != "allowed":
            refused += 1
            refusals[op] += 1
            continue
        subjects[op].add(record.subject)
        if local.weekday() >= 5 or not WORK_START <= local.hour < WORK_END:
            off_hours[op] += 1
        items = f["items"]
        if unique_ids and isinstance(items, list) and not unique_ids.isdisjoint(map(str, items)):
            uid_reads[op] += 1
        count, download = f["subjects_in_request"], f["download"] is True
        is_bulk = (count if isinstance(count, int) else 1) > bulk_threshold
        if is_bulk or download:
            reason = f["reason"]
            key = (op, local.strftime("%Y-%m-%d %H:%M"), (reason if isinstance(reason, str) else None) or "(사유 없음)")
            if is_bulk:
                bulk[key] = bulk.get(key, 0) + 1
            if download:
                downloads[key] = downloads.get(key, 0) + 1
    out.total, out.refused = total, refused
    out.by_operator.update(by_operator)
    out.by_purpose.update(by_purpose)
    for (op, at, reason), n in sorted(bulk.items()):
        out.findings.append(Finding("bulk", op, n, f"{at} 사유: {reason}"))
    for (op, at, reason), n in sorted(downloads.items()):
        out.findings.append(Finding("download", op, n, f"{at} 사유: {reason}"))
    for op, n in sorted(off_hours.items()):
        out.findings.append(Finding("off_hours", op, n, "평일 08시~20시 밖 또는 주말의 열람"))
    typical = median(len(s) for s in subjects.values()) if subjects else 0
    for op, seen in sorted(subjects.items()):
        if len(seen) >= MIN_UNUSUAL and len(seen) > UNUSUAL_FACTOR * typical:
            out.findings.append(
                Finding("unusual_volume", op, len(seen), f"취급자 중앙값 {typical:g}명의 {UNUSUAL_FACTOR}배 초과")
            )
    for op, n in sorted(refusals.items()):
        if n >= REPEATED_REFUSALS:
            out.findings.append(Finding("repeated_refusals", op, n, f"거부 {n}건"))
    for op, n in sorted(uid_reads.items()):
        out.findings.append(Finding("unique_identifier", op, n, "고유식별정보 열람"))
    return out


_KIND_KO = {
    "bulk": "대량 열람",
    "download": "다운로드",
    "off_hours": "업무시간 외 열람",
    "unusual_volume": "비정상적으로 많은 정보주체 열람",
    "repeated_refusals": "반복된 접근 거부",
    "unique_identifier": "고유식별정보 열람",
}


def to_markdown(r: Review) -> str:
    """The report in Markdown (Korean)."""
    lines = [
        f"# 개인정보처리시스템 접속기록 점검 결과 ({r.month})",
        "",
        f"- 점검 대상 접속기록: {r.total:,}건 (접근 거부 {r.refused:,}건)",
        "- 근거: 「개인정보의 안전성 확보조치 기준」 제8조제2항 (월 1회 이상 점검)",
        "",
        "## 취급자별 접속 건수",
        "",
        "| 취급자 계정 | 건수 |",
        "|---|---:|",
        *(f"| {op} | {n:,} |" for op, n in r.by_operator.most_common()),
        "",
        "## 처리 목적별 접속 건수",
        "",
        "| 처리 목적 | 건수 |",
        "|---|---:|",
        *(f"| {p} | {n:,} |" for p, n in r.by_purpose.most_common()),
        "",
        "## 점검 결과 확인이 필요한 사항",
        "",
    ]
    if r.findings:
        lines += ["| 구분 | 취급자 계정 | 건수 | 내용 |", "|---|---|---:|---|"]
        lines += [f"| {_KIND_KO[f.kind]} | {f.operator} | {f.count:,} | {f.detail} |" for f in r.findings]
    else:
        lines.append("확인이 필요한 사항이 없습니다.")
    return "\n".join(lines) + "\n"


def _svg(per_day: dict[date, int]) -> str:
    width, height, bar = 620, 160, 18
    top = max(per_day.values(), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 20}" role="img" '
        'aria-label="일별 접속 건수">'
    ]
    for i, (day, n) in enumerate(sorted(per_day.items())):
        h = round(n / top * height)
        x = 4 + i * (bar + 2)
        parts.append(
            f'<rect x="{x}" y="{height - h}" width="{bar}" height="{h}" fill="#2b6cb0"><title>{day}: {n}</title></rect>'
        )
        parts.append(f'<text x="{x + bar / 2}" y="{height + 14}" font-size="9" text-anchor="middle">{day.day}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(head: tuple[str, ...], rows: Iterable[tuple[object, ...]]) -> str:
    th = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in head)
    trs = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def to_html(r: Review) -> str:
    """The report as a self-contained HTML page (Korean), with the per-day chart as inline SVG."""
    month = html.escape(r.month)
    findings = (
        _table(
            ("구분", "취급자 계정", "건수", "내용"),
            ((_KIND_KO[f.kind], f.operator, f"{f.count:,}", f.detail) for f in r.findings),
        )
        if r.findings
        else "<p>확인이 필요한 사항이 없습니다.</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="ko"><head><meta charset="utf-8">'
        f"<title>접속기록 점검 결과 {month}</title>"
        "<style>body{font-family:sans-serif;max-width:52rem;margin:2rem auto}"
        "table{border-collapse:collapse}th,td{border:1px solid #999;padding:.2rem .5rem}</style></head><body>"
        f"<h1>개인정보처리시스템 접속기록 점검 결과 ({month})</h1>"
        f"<p>점검 대상 접속기록 {r.total:,}건 (접근 거부 {r.refused:,}건). "
        "근거: 「개인정보의 안전성 확보조치 기준」 제8조제2항 (월 1회 이상 점검).</p>"
        f"<h2>일별 접속 건수</h2>{_svg(r.per_day)}"
        "<h2>취급자별 접속 건수</h2>"
        + _table(("취급자 계정", "건수"), ((op, f"{n:,}") for op, n in r.by_operator.most_common()))
        + "<h2>처리 목적별 접속 건수</h2>"
        + _table(("처리 목적", "건수"), ((p, f"{n:,}") for p, n in r.by_purpose.most_common()))
        + f"<h2>점검 결과 확인이 필요한 사항</h2>{findings}</body></html>\n"
    )

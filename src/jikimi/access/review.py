"""The monthly review of the access record (접속기록 점검, R-SEC-23) for the privacy officer.

:func:`review` (or :func:`review_rows`, from stored rows) reads one month of records (no personal data in them) and
returns a :class:`Review`: volume per operator and purpose, accesses per day, and findings — bulk reads and
downloads with their reasons, off-hours access, an operator reading unusually many subjects, repeated refusals,
reads of unique identifiers. :func:`to_markdown` and :func:`to_html` write the report in Korean; the HTML carries a
per-day chart as inline SVG (no browser needed).
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import islice
from statistics import median

from jikimi.access.record import AccessRecord
from jikimi.policy.model import ItemCategory, Policy

__all__ = ["Finding", "Review", "ReviewRow", "month_bounds", "review", "review_rows", "to_html", "to_markdown"]

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


# One stored record as the review reads it: time (aware), operator account, subject (pseudonymous id), body.
ReviewRow = tuple[datetime, str, str, bytes]

_PAGE = 10_000
_MAX_SHAPES = 100_000  # distinct record shapes cached before the cache starts again (it only saves parsing)
# Where a canonical body's time ends ('{"at":"' + 27 characters + '"'), and the keys around the per-record parts.
_AT_END = 35
_SEQ_KEY, _COUNT_KEY = b',"seq":', b',"subjects_in_request":'
_HOUR = timedelta(hours=1)


class _Shape:
    """What the review reads from a record's body, shared by every record of that shape (all of the body but its
    time, number, source and subject), and the counts of those records: the loop only adds to them.

    ``operator`` is the stored operator column of the shape's records (the body names the same account; a record
    whose column says otherwise gets a shape of its own). ``subjects`` is that operator's set of subjects, for an
    allowed shape only (refusals read no one)."""

    __slots__ = (
        "allowed",
        "bulk",
        "download",
        "marked",
        "off_hours",
        "on_hours",
        "operator",
        "purpose",
        "reason",
        "subjects",
        "unique_identifier",
    )

    def __init__(self, f: dict[str, object], operator: str, unique_ids: frozenset[str], bulk_threshold: int) -> None:
        items, count, reason = f["items"], f["subjects_in_request"], f["reason"]
        self.operator = operator
        self.purpose = str(f["purpose"])
        self.allowed = f["outcome"] == "allowed"
        self.unique_identifier = (
            bool(unique_ids) and isinstance(items, list) and not unique_ids.isdisjoint(map(str, items))
        )
        self.bulk = (count if isinstance(count, int) else 1) > bulk_threshold
        self.download = f["download"] is True
        self.reason = (reason if isinstance(reason, str) else None) or "(사유 없음)"
        self.marked = self.allowed and (self.bulk or self.download)  # looked at one by one
        self.subjects: set[str] | None = None
        self.on_hours = self.off_hours = 0


# The C scanner directly: ``json.loads`` adds two whitespace regex matches per call.
_scan: Callable[[str, int], tuple[object, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _decode(text: str) -> dict[str, object]:
    try:
        parsed, end = _scan(text, 0)
    except StopIteration:
        parsed, end = None, -1
    if end != len(text) or not isinstance(parsed, dict):
        parsed = json.loads(text)  # raises as json.loads always did on a body that is not one compact object
    return parsed


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The UTC times that bound ``month`` (``YYYY-MM``) in KST: ``start <= at < end`` (ValueError if malformed)."""
    first = date.fromisoformat(month + "-01")
    following = (first + timedelta(days=32)).replace(day=1)
    start = datetime.combine(first, datetime.min.time(), KST).astimezone(UTC)
    return start, datetime.combine(following, datetime.min.time(), KST).astimezone(UTC)


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
    rows = ((r.at, r.operator, r.subject, r.body) for r in records)
    return review_rows(iter(lambda: list(islice(rows, _PAGE)), []), policy, month, bulk_threshold=bulk_threshold)


def review_rows(
    pages: Iterable[Sequence[ReviewRow]], policy: Policy, month: str, *, bulk_threshold: int = 100
) -> Review:
    """:func:`review` over stored rows, a page at a time (``AccessStore.review_rows``): the path of
    ``jikimi audit review``, up to 10M records a month.

    Per record the loop does little. Rows come in time order, so the hour they fall in (its KST day, whether it is
    off-hours, whether it is in the month) is worked out when the hour changes, not per record (rows out of order
    are still counted right, only slower). A record's body is parsed once per *shape*, the body's text outside its
    time, number, source and subject (where records of one kind of work differ; the review reads nothing else), and
    the record only adds to its shape's counts and its operator's set of subjects. The shapes are tallied in
    first-seen order at the end (``most_common`` breaks ties by first appearance). Only bulk reads and downloads,
    which are rare, are looked at one by one (for their minute).
    """
    days = _month_days(month)
    tally = _Tally(
        Review(month, per_day=dict.fromkeys(days, 0)),
        frozenset(days),
        frozenset(k for k, item in policy.items.items() if item.category is ItemCategory.UNIQUE_IDENTIFIER),
        bulk_threshold,
    )
    shapes = tally.shapes
    start = end = _NEVER
    day: date | None = None
    off, in_hour = False, 0
    for page in pages:
        for at, op, subject, body in page:
            if not start <= at < end:
                tally.count_day(day, in_hour)
                start, end, day, off = tally.hour(at)
                in_hour = 0
            if day is None:
                continue  # another month
            in_hour += 1
            # The keys are found from the end: inside a JSON string every '"' is escaped, so neither can occur in
            # the task, subject or source text they are searched across. A body not in canonical form is its own key.
            cut = body.rfind(_COUNT_KEY)
            key = body[_AT_END : body.rfind(_SEQ_KEY, _AT_END, cut)] + body[cut:] if cut > _AT_END else body
            shape = shapes.get(key)
            if shape is None or shape.operator != op:
                shape = tally.shape(key, body, op)
            if off:
                shape.off_hours += 1
            else:
                shape.on_hours += 1
            if shape.subjects is not None:
                shape.subjects.add(subject)
                if shape.marked:
                    tally.mark(shape, at)
    tally.count_day(day, in_hour)
    return tally.report()


_NEVER = datetime.min.replace(tzinfo=UTC)  # bounds of no hour: the first row starts the first real one


class _Tally:
    """The review being built: the current hour, the shapes with their counts, and what is tallied from them."""

    def __init__(self, out: Review, in_month: frozenset[date], unique_ids: frozenset[str], bulk_threshold: int) -> None:
        self.out = out
        self._in_month = in_month
        self._unique_ids = unique_ids
        self._bulk_threshold = bulk_threshold
        self.shapes: dict[bytes, _Shape] = {}
        self.subjects: dict[str, set[str]] = {}  # operator -> the subjects of its allowed reads
        self._marked_at, self._minute = _NEVER, ""
        self.bulk: dict[tuple[str, str, str], int] = {}  # (operator, minute, reason) -> records
        self.downloads: dict[tuple[str, str, str], int] = {}
        self.refusals: Counter[str] = Counter()
        self.off_hours: Counter[str] = Counter()
        self.uid_reads: Counter[str] = Counter()

    def hour(self, at: datetime) -> tuple[datetime, datetime, date | None, bool]:
        """The KST hour ``at`` falls in: its bounds (in ``at``'s own zone, so the loop compares times cheaply), its
        day (None outside the month), and whether it is off-hours."""
        local = at.astimezone(KST)
        start = local.replace(minute=0, second=0, microsecond=0).astimezone(at.tzinfo)
        day = local.date()
        off = local.weekday() >= 5 or not WORK_START <= local.hour < WORK_END
        return start, start + _HOUR, day if day in self._in_month else None, off

    def count_day(self, day: date | None, records: int) -> None:
        if day is not None:
            self.out.per_day[day] += records

    def shape(self, key: bytes, body: bytes, operator: str) -> _Shape:
        """The shape of ``body`` for records stored under ``operator``: parsed and cached on first sight."""
        if key in self.shapes:
            # The stored operator differs from the one the body names (an edited column): a shape of its own, under
            # a key no body can hold (JSON escapes a NUL), in the same first-seen order.
            key += b"\0" + operator.encode()
            found = self.shapes.get(key)
            if found is not None:
                return found
        if len(self.shapes) >= _MAX_SHAPES:
            # Many shapes (free-text tasks or reasons): memory stays bounded. The shapes so far are tallied and the
            # cache starts again (a shape met again is parsed again, and its counts start from zero).
            self._add_shapes()
        found = self.shapes[key] = self._new(body, operator)
        return found

    def _new(self, body: bytes, operator: str) -> _Shape:
        shape = _Shape(_decode(body.decode()), operator, self._unique_ids, self._bulk_threshold)
        if shape.allowed:
            shape.subjects = self.subjects.setdefault(operator, set())
        return shape

    def mark(self, shape: _Shape, at: datetime) -> None:
        if at != self._marked_at:  # a bulk read's records share their time: its minute is written once
            self._marked_at, self._minute = at, at.astimezone(KST).strftime("%Y-%m-%d %H:%M")
        mark = (shape.operator, self._minute, shape.reason)
        if shape.bulk:
            self.bulk[mark] = self.bulk.get(mark, 0) + 1
        if shape.download:
            self.downloads[mark] = self.downloads.get(mark, 0) + 1

    def _add_shapes(self) -> None:
        """The counts of the cached shapes, in the order they were first seen, added to the review; cache emptied."""
        out = self.out
        for shape in self.shapes.values():
            n, op = shape.on_hours + shape.off_hours, shape.operator
            if not n:
                continue
            out.total += n
            out.by_operator[op] += n
            out.by_purpose[shape.purpose] += n
            if not shape.allowed:
                out.refused += n
                self.refusals[op] += n
                continue
            if shape.off_hours:
                self.off_hours[op] += shape.off_hours
            if shape.unique_identifier:
                self.uid_reads[op] += n
        self.shapes.clear()

    def report(self) -> Review:
        """The review: volumes, then the findings in the report's order."""
        self._add_shapes()
        out, subjects = self.out, self.subjects
        for (op, at, reason), n in sorted(self.bulk.items()):
            out.findings.append(Finding("bulk", op, n, f"{at} 사유: {reason}"))
        for (op, at, reason), n in sorted(self.downloads.items()):
            out.findings.append(Finding("download", op, n, f"{at} 사유: {reason}"))
        for op, n in sorted(self.off_hours.items()):
            out.findings.append(Finding("off_hours", op, n, "평일 08시~20시 밖 또는 주말의 열람"))
        typical = median(len(s) for s in subjects.values()) if subjects else 0
        for op, seen in sorted(subjects.items()):
            if len(seen) >= MIN_UNUSUAL and len(seen) > UNUSUAL_FACTOR * typical:
                out.findings.append(
                    Finding("unusual_volume", op, len(seen), f"취급자 중앙값 {typical:g}명의 {UNUSUAL_FACTOR}배 초과")
                )
        for op, n in sorted(self.refusals.items()):
            if n >= REPEATED_REFUSALS:
                out.findings.append(Finding("repeated_refusals", op, n, f"거부 {n}건"))
        for op, n in sorted(self.uid_reads.items()):
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

"""Read the facts out of a published policy text: rules over the structure :mod:`.structure` finds.

Contract: :func:`extract_facts` never raises; a text with nothing recognisable gives empty :class:`Facts`.
Effective date: the latest date on a line that says 시행, 적용, 개정 or 변경 (not 공고, not 시행령). Officer: in the
officer's section, the name given by a ``성명 :`` / ``...책임자 :`` label or under a ``책임자`` table column, then the
first phone and e-mail after it that are not a customer centre's, a fax or another staff member's. Retention: tables
with a period column, ``record : period`` lines, labelled blocks (``보존항목`` / ``보존근거`` / ``보존기간``), a law
named on its own line as the basis of the lines under it, and enumerations such as ``기록(6개월), 기록(5년)``.
Trustees and recipients: :mod:`.extract_parties`; items: :mod:`.extract_items`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import TypeVar

from jikimi.documents.extract_items import items
from jikimi.documents.extract_parties import recipients, trustees
from jikimi.documents.facts import Facts, Officer, RetentionRow
from jikimi.documents.structure import Section, Table, fill_merged, find_dates, iso_period, parse_text, strip_marker

__all__ = ["extract_facts"]

_T = TypeVar("_T")

_PHONE = re.compile(r"(?<![\d.-])(\(0\d{1,2}\)\s?\d{3,4}-\d{4}|0\d{1,2}[-.\s]\d{3,4}[-.]\d{4}|1\d{3}-\d{4})(?![\d-])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LABEL_WORDS = frozenset(
    ["성명", "이름", "전화", "전화번호", "전자우편", "이메일", "연락처", "소속", "직위", "직책", "부서", "담당부서"]
)


def extract_facts(text: str) -> Facts:
    """Every fact the rules find in ``text``."""
    sections = parse_text(text)
    return Facts(
        effective_date=_effective_date(text),
        officer=_officer(sections),
        retention=tuple(_dedupe(_retention(sections), lambda r: (_norm(r.record), r.period, r.basis))),
        trustees=tuple(_dedupe(trustees(sections), lambda t: _norm_name(t.name))),
        recipients=tuple(recipients(sections)),
        items=items(sections),
    )


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z가-힣]", "", text.lower())


def _norm_name(name: str) -> str:
    return _norm(re.sub(r"㈜|\(주\)|주식회사", "", name))


def _dedupe(rows: Iterable[_T], key: Callable[[_T], Hashable]) -> Iterator[_T]:
    seen: set[Hashable] = set()
    for row in rows:
        k = key(row)
        if k not in seen:
            seen.add(k)
            yield row


# --- effective date -----------------------------------------------------------------------------------------

_DATE_LABEL = re.compile(r"시행(?!령|규칙)|적용|개정|변경되었")


def _effective_date(text: str) -> str | None:
    found = [
        d for line in text.splitlines() if _DATE_LABEL.search(line) and "공고" not in line for d in find_dates(line)
    ]
    return max(found) if found else None


# --- officer ------------------------------------------------------------------------------------------------


def _units(sections: Iterable[Section]) -> list[tuple[str, ...]]:
    """Lines and table rows in order; a line is a one-cell unit."""
    out: list[tuple[str, ...]] = []
    for sec in sections:
        for b in sec.blocks:
            if isinstance(b, Table):
                out.append(b.header)
                out.extend(b.rows)
            else:
                out.append((b,))
    return out


def _person(value: str) -> str | None:
    value = value.split("(")[0].strip()
    if not value:
        return None
    first = value.split()[0]
    if re.fullmatch(r"[가-힣]{2,4}", first) and first not in _LABEL_WORDS:
        return first
    return value if len(value) <= 30 and not _PHONE.search(value) and "@" not in value else None


_NAME_LABEL = re.compile(r"^(?:성\s*명|이\s*름|[^:：\t]*책임자[^:：\t]*?)\s*[:：\t]\s*(\S.*)$")


def _officer(sections: list[Section]) -> Officer:
    # No section about the officer: look for a "...책임자 : name" line anywhere.
    anywhere = not any(s.topic == "officer" for s in sections)
    units = _units(s for s in sections if s.topic == "officer" or anywhere)
    name, at = None, -1
    for i, u in enumerate(units):  # a table column headed 책임자 (ktmns)
        cols = [k for k, c in enumerate(u) if "책임자" in c]
        if len(u) > 1 and cols:
            for j in range(i + 1, min(i + 6, len(units))):
                cell = units[j][cols[0]] if cols[0] < len(units[j]) else ""
                cell = cell.strip()
                if re.fullmatch(r"[가-힣]{2,4}", cell) and cell not in _LABEL_WORDS:
                    name, at = cell, j
                    break
            break
    if name is None:
        for i, u in enumerate(units):
            m = _NAME_LABEL.match(strip_marker("\t".join(u)))
            if m and len(u) > 1 and re.search(r"책임자|관리자|담당", m.group(1)):
                continue  # a table header naming roles, not people (partnercenter)
            if m and anywhere and "책임자" not in "\t".join(u).split(m.group(1))[0]:
                continue
            if m and (found := _person(m.group(1).replace("\t", " ").strip())):
                name, at = found, i
                break
    if name is None:
        return Officer()
    phone = email = None
    for k, u in enumerate(units[at:]):
        line = "\t".join(u)
        if k and re.search(r"침해|신고센터|분쟁\s*조정|검찰|경찰|구제", line):
            break  # the remedies agencies follow the officer in many texts
        if k and re.search(r"담당자\s*[:：]|^[^:：]*고객[^:：]*(?:[:：]|$)|팩\s*스|fax", line, re.IGNORECASE):
            continue
        if phone is None and (m := _PHONE.search(line)):
            phone = m.group(1)
        if email is None and (e := _EMAIL.search(line)):
            email = e.group(0)
    return Officer(name, phone, email)


# --- retention ----------------------------------------------------------------------------------------------

_RET_TOPICS = {"retention", "destruction", "items"}
_PERIOD_COL = re.compile(r"(?:보존|보유|보관|이용)\s*(?:및\s*이용\s*)?기간")
_RECORD_COL = (re.compile(r"보존\s*정보|보존\s*항목|보관하는|파일명"), re.compile(r"항목"), re.compile(r"목적|구분"))
_BASIS_COL = re.compile(r"근거|이유|사유|법령")
_NOT_RETENTION = re.compile(r"제공\s*받는|수탁|위탁")
_LAW_LINE = re.compile(r"^[^:：()]{2,50}?(?:법률|법)(?:\s*시행령)?(?=$|에\s*따른|에\s*의한)")
_PERIOD_LABEL = re.compile(r"^(?:\((?:보존|보유|보관)\s*기간\)|(?:보존|보유|보관)\s*기간\s*[:：])\s*(\S.*)$")
_RECORD_LABEL = re.compile(
    r"^(?:\((?:보존|보유|수집)\s*항목\)|(?:(?:보존|보유)\s*항목|[^:：]*파일명)\s*[:：])\s*(\S.*)$"
)
_BASIS_LABEL = re.compile(
    r"^(?:\((?:보존|보유)\s*(?:근거|이유)\)|(?:보존|보유)\s*(?:근거|이유)(?:\s*법령)?\s*[:：])\s*(\S.*)$"
)
_LAW_PREFIX = re.compile(
    r"^(.*?(?:법|법률)[^,]*?(?:\s*제\s*\d+\s*조[^,]*?)?)\s*(?:의\s*)?(?:규정에\s*)?(?:의하여|따라)\s+"
)
_END_EVENT = re.compile(r"까지|기간$|^영구$|영구\s*(?:보관|보존)")


def _table_rows(table: Table, law: str | None) -> Iterator[RetentionRow]:
    h = table.header
    period_col = next((k for k, c in enumerate(h) if _PERIOD_COL.search(c)), None)
    if period_col is None or any(_NOT_RETENTION.search(c) for c in h):
        return
    record_col, strict = None, True
    for rank, pattern in enumerate(_RECORD_COL):
        record_col = next((k for k, c in enumerate(h) if k != period_col and pattern.search(c)), None)
        if record_col is not None:
            strict = rank > 0
            break
    if record_col is None:
        return
    basis_col = next((k for k, c in enumerate(h) if k not in (period_col, record_col) and _BASIS_COL.search(c)), None)
    for row in fill_merged(table):
        when = row[period_col]
        period = iso_period(when)
        if strict and period is None and not _END_EVENT.search(when):
            continue
        record = re.sub(r"\s*\(분리 보관\)$", "", row[record_col]).strip(" ,")
        basis = row[basis_col] if basis_col is not None else law
        if record:
            yield RetentionRow(record, period, basis or None)


def _split_law(record: str) -> tuple[str, str | None]:
    m = _LAW_PREFIX.match(record)
    if m:
        return record[m.end() :].strip(), m.group(1).strip()
    return record, None


def _retention(sections: list[Section]) -> Iterator[RetentionRow]:
    for sec in sections:
        if sec.topic not in _RET_TOPICS:
            continue
        law: str | None = None
        record: str | None = None  # the record a labelled block names
        basis: str | None = None
        plain: str | None = None  # the last line that was not consumed
        marked = False  # ... and whether it carried a list marker
        heading: str | None = None  # a bracketed subject such as "[비회원]"
        last: list[RetentionRow] = []
        since = 99
        for block in sec.blocks:
            if isinstance(block, Table):
                yield from _table_rows(block, law)
                continue
            since += 1
            s = strip_marker(block)
            has_marker = s != block.strip()
            if m := _BASIS_LABEL.match(s):
                if last and since <= 2:
                    last[-1] = RetentionRow(last[-1].record, last[-1].period, m.group(1))
                else:
                    basis = m.group(1)
                continue
            if m := _PERIOD_LABEL.match(s):
                rec = record or plain
                if rec:
                    last.append(RetentionRow(rec, iso_period(m.group(1)), basis or law))
                    since = 0
                record = basis = None
                continue
            if m := _RECORD_LABEL.match(s):
                record = m.group(1)
                continue
            if (law_match := _LAW_LINE.match(s)) and len(s) <= 60:
                law = law_match.group(0).strip()
                plain = None
                continue
            # A list item broken over two lines (123solution's "다. ... 정보통신" / "기기의 위치자료: 12개월").
            broken = plain if marked and not has_marker and plain and not plain.endswith(".") else None
            rows = list(_line_rows(s, broken, law))
            if rows:
                last.extend(rows)
                since = 0
                plain = None
                continue
            if m := _PROSE_KEPT.search(
                s
            ):  # "서비스 부정이용기록은 ... 최대 1년간 보관" / "[비회원]" "수집 후 1년간 보관"
                rec = _subject(s[: m.start()]) or heading
                if rec:
                    rec = re.sub(r"[<>]", "", rec)
                    last.append(RetentionRow(rec, iso_period(m.group(1) or m.group(2)), law))
                    since = 0
                    plain = None
                    continue
            if re.fullmatch(r"\[([^\]]{1,20})\]", s):
                heading = f"{s[1:-1]} 개인정보"
                continue
            if re.fullmatch(r".{0,20}(?:시까지|기간까지)", s) and plain:  # 1mm: "가. 경우" / ". 분쟁 해결 시까지"
                last.append(RetentionRow(plain, None, law))
                since = 0
                plain = None
                continue
            plain, marked = s, has_marker
        yield from last


def _subject(text: str) -> str | None:
    """The topic of a clause: ``... 위하여 키 고유 정보(이름, ID)는 ...`` -> ``키 고유 정보(이름, ID)``."""
    depth, end = 0, None
    for k, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and ch in "은는" and text[k + 1 : k + 2] == " ":
            end = k
    if end is None:
        return None
    head = text[:end]
    cut = max(
        head.rfind(x) + len(x) if head.rfind(x) >= 0 else 0 for x in (". ", "위하여 ", "위해 ", "에 의해 ", "단, ")
    )
    subject = head[cut:].strip()
    return subject if subject and not subject.endswith("회사") else None


_PROSE_KEPT = re.compile(
    r"(\d+\s*(?:년|개월|일))간?\s*(?:동안\s*)?보관(?:됩니다|합니다|하며|하고)"
    r"|(\d+\s*(?:년|개월|일))>?\s*까지[^.]{0,30}?보유"  # PIPC template: "동의일로부터<3년>까지 ... 보유.이용됩니다"
)
_PAREN_BASIS = re.compile(r"^(.+?)\s*\(([^():：]+?)\s*[:：]\s*([^()]+)\)$")
_ENUM = re.compile(r"^(.*?)\((\d+\s*(?:년|개월|일)(?:\s*또는\s*\d+\s*(?:년|개월|일))?)\)")


def _line_rows(s: str, before: str | None, law: str | None) -> Iterator[RetentionRow]:
    if (m := _PAREN_BASIS.match(s)) and (period := iso_period(m.group(3))):  # "기록 (전자상거래법 : 5년)"
        yield RetentionRow(m.group(1).strip(), period, m.group(2).strip())
        return
    if len(re.findall(r"\(\d+\s*(?:년|개월|일)", s)) >= 2:  # "기록(6개월), 기록, 기록(5년) 등이 해당됩니다"
        pending: list[str] = []
        basis = law
        for seg in re.split(r",\s*", s):
            if m := _ENUM.match(seg):
                source = re.match(r"^'([^']+)'에\s*(?:따른|다른)\s*", m.group(1))
                rec = m.group(1)[source.end() :] if source else m.group(1)
                basis = source.group(1) if source else basis
                for rec_text in [*pending, rec]:
                    for n in re.findall(r"\d+\s*(?:년|개월|일)", m.group(2)):
                        yield RetentionRow(rec_text.strip(), iso_period(n), basis)
                pending = []
            else:
                source = re.match(r"^'([^']+)'에\s*(?:따른|다른)\s*", seg)
                basis = source.group(1) if source else basis
                pending.append(seg[source.end() :] if source else seg)
        return
    parts = re.split(r"\s*[:：]\s*", s)
    if len(parts) < 2:
        return
    # "관련법령 : 1)신용정보의 ... 기록 : 3년": the record is the part before the last colon.
    left, value = strip_marker(parts[-2]), parts[-1].strip()
    if not left:
        return
    period = iso_period(value)
    if period is None and not _END_EVENT.search(value):
        return
    if any(re.match(r"「|내부 방침|정보주체 동의|목적$", part) for part in parts[1:]):
        return  # a basis listed under the record (the rendered destruction section), not a retention row
    if before:
        left = f"{before} {left}"
    record, cited = _split_law(left)
    paren = re.search(r"\(([^()]*(?:법|법률)[^()]*)\)\s*$", value)
    kept = re.match(r"^(.+?)(?:을|를)\s+.*\d", value)
    if kept and period:
        record = kept.group(1).strip()
    yield RetentionRow(record, period, cited or (paren.group(1).strip() if paren else law))

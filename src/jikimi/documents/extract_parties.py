"""Trustees (수탁자) and recipients (제3자) in a published policy text: part of :mod:`.extract`.

Contract: never raises. Trustees come from tables headed 수탁자/수탁업체/수탁사 (merged task cells filled from the
row above, several names in one cell split), key-value tables (``수탁업체 | 네이버클라우드㈜``), key-value blocks
per trustee (a row longer than the header starts one), ``위탁받는 자 :`` / ``위탁하는 업무의 내용 :`` label pairs
(재위탁 included), and ``X에게 ...를 위하여 ... 위탁`` sentences in the trustee section. Recipients come from
tables headed ``제공받는 자`` (a table of what the service *receives*, ``제공하는 업체명``, is not one) and from
sentences in the recipients section that share data with a named party (``...를 X에게 공유하여``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from jikimi.documents.facts import RecipientRow, TrusteeRow
from jikimi.documents.structure import Section, Table, fill_merged, strip_marker

__all__ = ["recipients", "trustees"]


_TRUSTEE_COL = re.compile(r"수탁|위탁\s*받는|위탁업체|업체명")
_TASK_COL = re.compile(r"업무|목적|내용|사항")
_NAME_PREFIX = re.compile(r"^(?:\[[^\]]*\]\s*참조\s*-\s*|[*□]\s*)")


def _names(cell: str) -> list[str]:
    cell = _NAME_PREFIX.sub("", cell).strip()
    parts = [p.strip() for p in re.split(r",\s*", cell)]
    if len(parts) > 1 and all(0 < len(p) <= 20 for p in parts) and "(" not in cell:
        return parts
    return [cell] if cell else []


def _task(cell: str | None) -> str | None:
    if cell is None:
        return None
    cell = re.sub(r"^□\s*", "", cell).strip()
    return None if cell in ("", "-") else cell


def _trustee_table(table: Table) -> Iterator[TrusteeRow]:
    h = table.header
    if not h or not _TRUSTEE_COL.search(h[0]) or any(re.search(r"제공\s*받는|제공하는", c) for c in h):
        return
    if len(h) == 2 and not _TASK_COL.search(h[1]) and not re.search(r"기간", h[1]):  # key-value (Naver)
        task = next((r[1] for r in table.rows if len(r) > 1 and re.search(r"위탁\s*업무", r[0])), None)
        for name in _names(h[1]):
            yield TrusteeRow(name, _task(task))
        return
    task_col = next((k for k, c in enumerate(h) if k and _TASK_COL.search(c)), None)
    if any(len(r) > len(h) for r in table.rows):  # one key-value block per trustee (McDonald's overseas)
        rows = list(table.rows)
        for i, r in enumerate(rows):
            if len(r) > len(h):
                task = next((x[1] for x in rows[i + 1 :] if len(x) > 1 and re.search(r"위탁\s*업무", x[0])), None)
                yield TrusteeRow(r[0], _task(task))
        return
    for row in fill_merged(table, single_is_first=True):
        for name in _names(row[0]):
            yield TrusteeRow(name, _task(row[task_col] if task_col is not None else None))


_TRUSTEE_LABEL = re.compile(
    r"^(?:재\s*)?(?:위탁\s*받는\s*자(?:\s*\((?:수탁업체|수탁자)\))?|수탁(?:자|업체|사))\s*[:：]\s*(\S.*)$"
)
_TASK_LABEL = re.compile(r"^(?:재\s*)?(?:위탁\s*하?는?\s*업무의?\s*내용|위탁\s*업무(?:의\s*내용)?)\s*[:：]\s*(\S.*)$")
_TRUSTEE_PROSE = re.compile(r"^(\S+?)에게\s+(.+?)(?:를|을)\s*위하여.*위탁")


def trustees(sections: list[Section]) -> Iterator[TrusteeRow]:
    """Every trustee row, in document order (duplicates kept)."""
    for sec in sections:
        pending: str | None = None
        for block in sec.blocks:
            if isinstance(block, Table):
                yield from _trustee_table(block)
                continue
            s = strip_marker(block)
            if m := _TRUSTEE_LABEL.match(s):
                if pending:
                    yield TrusteeRow(pending)
                pending = m.group(1).strip()
            elif (m := _TASK_LABEL.match(s)) and pending:
                yield TrusteeRow(pending, _task(m.group(1)))
                pending = None
            elif sec.topic == "trustees" and (m := _TRUSTEE_PROSE.match(s)):
                yield TrusteeRow(m.group(1), m.group(2).strip())
        if pending:
            yield TrusteeRow(pending)


_RECIPIENT_COL = re.compile(r"제공\s*받는\s*(?:자|기관|업체|곳)|제공처|제공\s*대상")


_SHARED = re.compile(r"([^.]*?)(?:를|을)\s+([^,.]{2,40}?)에게\s*(?:공유|제공)(?:하여|하며|합니다|할 수|하고)")
_NOT_A_RECIPIENT = re.compile(r"제\s*3\s*자|외부|타인|수사|기관|법정대리인|이용자|고객")


def recipients(sections: list[Section]) -> Iterator[RecipientRow]:
    """One row per table row of every recipients table, and one per sentence that shares data with a named
    party (``... 필수 정보를 관련 상품의 제공자에게 공유하여``) in the recipients section."""
    for sec in sections:
        for line in sec.lines() if sec.topic == "recipients" else ():
            for m in _SHARED.finditer(line):
                name = m.group(2).strip()
                if not _NOT_A_RECIPIENT.search(name) and "않" not in line[m.end() : m.end() + 20]:
                    items = m.group(1).rsplit(" 중 ", 1)[-1].strip()
                    yield RecipientRow(name, items or None, None)
        for table in sec.tables():
            h = table.header
            name_col = next(
                (k for k, c in enumerate(h) if _RECIPIENT_COL.search(c) and not re.search(r"목적|항목|기간", c)),
                None,
            )
            if name_col is None:
                continue
            items_col = next((k for k, c in enumerate(h) if "항목" in c), None)
            purpose_col = next((k for k, c in enumerate(h) if "목적" in c), None)
            for row in fill_merged(table):
                name = _NAME_PREFIX.sub("", row[name_col]).strip()
                if name:
                    yield RecipientRow(
                        name,
                        row[items_col] or None if items_col is not None else None,
                        row[purpose_col] or None if purpose_col is not None else None,
                    )

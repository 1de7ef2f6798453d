"""The structure of a published policy text: sections by heading, tables, dates and periods.

Contract: :func:`parse_text` splits a plain text (as in ``examples/sources``: tables as tab-separated rows, or a
Markdown rendering with ``|`` tables) into :class:`Section` objects, each with its heading, its topic and its
:class:`Block` s (lines and tables). Six heading styles are recognised (``제N장``/``제N조``, ``N.``/``01.``,
``■``, ``[...]``/``<...>``, Markdown ``#``, and a bare short line that names a topic); a table of contents that
looks like a table or a list is not taken for headings. Merged table cells are filled from the row above
(:func:`fill_merged`). :func:`find_dates` reads the eight date formats; :func:`iso_period` turns ``5년``,
``3개월``, ``12개월``, ``30일`` into ``P5Y``, ``P3M``, ``P12M``, ``P30D``. Nothing here raises on odd input.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = [
    "Block",
    "Section",
    "Table",
    "fill_merged",
    "find_dates",
    "iso_period",
    "parse_text",
    "strip_marker",
]

# Topic -> heading keywords; the first topic whose pattern matches a heading wins.
_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("officer", re.compile(r"책임자|담당자|담당\s*부서|민원\s*서비스|개인정보\s*보호\s*책임")),
    ("remedies", re.compile(r"권익\s*침해|구제\s*방법")),
    ("trustees", re.compile(r"위탁")),
    ("recipients", re.compile(r"제\s*3\s*자|제공\s*및\s*공유|공유\s*및\s*제공|개인정보의?\s*제공|대외\s*제공")),
    ("retention", re.compile(r"보유|보존|보관|이용\s*기간")),
    ("destruction", re.compile(r"파기")),
    ("items", re.compile(r"항목|수집하는|회원\s*가입을\s*위한")),
    ("cookies", re.compile(r"쿠키|자동\s*수집")),
    ("rights", re.compile(r"권리|의무")),
    ("changes", re.compile(r"변경|개정|고지|부칙|시행")),
)

_STYLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("markdown", re.compile(r"^#{1,3}\s+\S")),
    ("chapter", re.compile(r"^(?:제\s*\d+\s*장|\d{1,2}\s*장\s*[(（])")),  # 제1장 총칙 / 제 01 장 (총칙) / 05장 (파기)
    ("article", re.compile(r"^제\s*\d+\s*조\s*[(（]")),  # 제1조(목적)
    ("square", re.compile(r"^■\s*\S")),  # ■ 제목
    ("number", re.compile(r"^\d{1,2}\s*\.\s*\S")),  # 1. 제목 / 01. 제목 / 1.제목
)
"""Heading styles, highest level first; a bare short line naming a topic is the sixth (``123solution``)."""

_SENTENCE_END = re.compile(r"(?:니다|합니다|습니다|시오|세요|됩니다)[.。]?\s*$")
_MARKER = re.compile(
    r"^(?:[-•·*▶□※]\s*|o\s+)*(?:\(?\d{1,2}[.)]\s*|[가-하][.)]\s*|[①-⑳]\s*|\(\d{1,2}\)\s*|\.\s+)*"
    r"(?:[-•·*▶□]\s*)*"
)


@dataclass(frozen=True, slots=True)
class Table:
    """A run of tab- or pipe-separated rows; ``header`` is the first row."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = str | Table


@dataclass(slots=True)
class Section:
    heading: str
    topic: str | None
    blocks: list[Block] = field(default_factory=list)

    def lines(self) -> Iterator[str]:
        """Every line of prose in the section, tables left out."""
        for b in self.blocks:
            if isinstance(b, str):
                yield b

    def tables(self) -> Iterator[Table]:
        for b in self.blocks:
            if isinstance(b, Table):
                yield b


def strip_marker(line: str) -> str:
    """``- 가. 제목`` -> ``제목``: list and numbering markers off the front."""
    return _MARKER.sub("", line.strip(), count=1).strip()


def topic_of(text: str) -> str | None:
    for name, pattern in _TOPICS:
        if pattern.search(text):
            return name
    return None


def _style(line: str) -> str | None:
    for name, pattern in _STYLES:
        if pattern.match(line):
            return name
    return None


def _is_heading(line: str, primary: str) -> bool:
    s = line.strip()
    if not s or len(s) > 60 or "\t" in s or _SENTENCE_END.search(s) or s.endswith((":", ",", "다.")):
        return False
    if primary == "bare":
        if s.startswith(("-", "•", "*", "※", "o ", "(", "[", "<", "▶")) or re.match(r"[①-⑳]", s) or len(s) > 40:
            return False
        return topic_of(s) is not None and bool(re.search(r"[가-힣]", s)) and not re.search(r"[:：]|\d{4}", s)
    return _style(s) == primary and not (primary == "number" and re.search(r"[:：]", s))


def _primary_style(lines: list[str]) -> str:
    counts: dict[str, int] = {}
    numbers: list[int] = []
    for i, x in enumerate(lines):
        st = _style(x.strip())
        if st and len(x.strip()) <= 60 and not _is_toc_entry(lines, i):
            counts[st] = counts.get(st, 0) + 1
            if st == "number":
                numbers.append(int(re.sub(r"\D.*", "", x.strip(), flags=re.DOTALL)))
    restarts = sum(1 for a, b in itertools.pairwise(numbers) if b <= a)
    for name, _ in _STYLES:
        # Numbered lines that restart at 1 again and again are items inside bare-headed sections (partnercenter).
        if counts.get(name, 0) >= 2 and not (name == "number" and restarts > len(numbers) // 5):
            return name
    return "bare"


def _split_row(line: str) -> tuple[str, ...] | None:
    s = line.rstrip("\n")
    if s.lstrip().startswith("|") and s.rstrip().endswith("|"):
        cells = [c.strip() for c in s.strip()[1:-1].split("|")]
        if all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
            return ()
        return tuple(cells)
    if "\t" in s:
        return tuple(c.strip() for c in s.split("\t"))
    return None


def _is_toc(rows: list[tuple[str, ...]]) -> bool:
    cells = [c for r in rows for c in r if c]
    numbered = [c for c in cells if re.match(r"^(?:제\s*\d+\s*조|\d{1,2}\s*\.)", c)]
    return bool(cells) and len(numbered) >= 0.8 * len(cells)


def _continues_table(lines: list[str], i: int) -> bool:
    """A short line without tabs inside a table: a row whose other cells are merged from above."""
    j = i
    while j < len(lines):
        s = lines[j].strip()
        if not s:
            j += 1
            continue
        if _split_row(lines[j]) is not None:
            return True
        if len(s) > 40 or _SENTENCE_END.search(s) or s.startswith(("-", "*", "※", "Q)", "•", "#")) or ":" in s:
            return False
        j += 1
    return False


def parse_text(text: str) -> list[Section]:
    """Sections in document order; the text before the first heading is a section with the heading ``""``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("**", "")  # Markdown emphasis
    lines = [html.unescape(x) for x in text.split("\n")]
    sections = [Section("", None)]
    primary = _primary_style(lines)
    i = 0
    while i < len(lines):
        if _split_row(lines[i]) is not None:
            i = _read_table(lines, i, sections[-1])
            continue
        s = lines[i].strip()
        if s and _is_heading(s, primary) and not _is_toc_entry(lines, i):
            title = re.sub(r"^#+\s*", "", s)
            sections.append(Section(title, topic_of(title)))
        elif s:
            sections[-1].blocks.append(s)
        i += 1
    return sections


def _is_toc_entry(lines: list[str], i: int) -> bool:
    # A table of contents: the heading's next non-empty line is another numbered heading of the same shape.
    s = lines[i].strip()
    if not re.match(r"^(?:-\s*)?\d{1,2}\s*\.|^제\s*\d+\s*조", s):
        return False
    for nxt in lines[i + 1 : i + 4]:
        t = nxt.strip()
        if t:
            same = re.match(r"^(?:-\s*)?\d{1,2}\s*\.|^제\s*\d+\s*조", t)
            return bool(same) and len(t) <= 60 and not _SENTENCE_END.search(t)
    return False


def _read_table(lines: list[str], i: int, section: Section) -> int:
    rows: list[tuple[str, ...]] = []
    carry = ""  # a first cell broken over lines (1mm's retention table)
    join_next = False  # the last cell of the previous row goes on in the next row's first cell
    while i < len(lines):
        raw = lines[i].rstrip("\n")
        row = _split_row(raw)
        if row is None:
            s = raw.strip()
            if not s:
                i += 1
                continue
            if raw.endswith((" ", ",")) or carry:
                carry = f"{carry} {s}".strip()
                i += 1
                continue
            if not _continues_table(lines, i):
                break
            rows.append((s,))
            i += 1
            continue
        if row == ():
            i += 1
            continue
        if carry:
            row = (f"{carry} {row[0]}".strip(), *row[1:])
            carry = ""
        if join_next and rows:
            last = rows.pop()
            row = (*last[:-1], f"{last[-1]} {row[0]}".strip(), *row[1:])
        rows.append(row)
        join_next = raw.endswith((" ", ",")) and not raw.lstrip().startswith("|")
        i += 1
    if rows and not _is_toc(rows):
        section.blocks.append(Table(rows[0], tuple(rows[1:])))
    elif rows:
        section.blocks.extend(c for r in rows for c in r if c)
    return i


def fill_merged(table: Table, single_is_first: bool = False) -> list[tuple[str, ...]]:
    """Rows padded to the header's width: a short row takes its missing left cells from the row above
    (a vertically merged first column); with ``single_is_first`` a one-cell row keeps its cell first and takes the
    rest from above (a merged task column under several trustees)."""
    width = len(table.header)
    out: list[tuple[str, ...]] = []
    prev: tuple[str, ...] = ("",) * width
    for row in table.rows:
        cells = tuple(row)
        if len(cells) < width:
            if single_is_first and len(cells) == 1:
                cells = (cells[0], *prev[1:])
            else:
                cells = (*prev[: width - len(cells)], *cells)
        cells = tuple(c if c else (prev[k] if k < len(prev) else "") for k, c in enumerate(cells))
        out.append(cells)
        prev = cells
    return out


# --- dates and periods --------------------------------------------------------------------------------------

_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:년\s*|[.\-/]\s*)(?P<m>\d{1,2})\s*(?:월|[.\-/])?"
    r"(?:\s*(?P<d>\d{1,2})\s*(?:일|\.(?!\d))?)?(?!\d)"
)


def find_dates(line: str) -> list[str]:
    """ISO dates in a line: ``2019년 2월 21일``, ``2018년 07월 31일``, ``2016.08.05.``, ``2024.04.12.``,
    ``2024-10-07``, ``2022/04/29``, ``2022. 4. 29.`` give ``YYYY-MM-DD``; a month alone (``2022. 09.``,
    ``2022년 9월``) gives ``YYYY-MM``."""
    found = []
    for m in _DATE.finditer(line):
        y, mo = int(m.group("y")), int(m.group("m"))
        if not 1 <= mo <= 12:
            continue
        d = m.group("d")
        if d is not None and 1 <= int(d) <= 31:
            found.append(f"{y:04d}-{mo:02d}-{int(d):02d}")
        else:
            found.append(f"{y:04d}-{mo:02d}")
    return found


_PERIOD = re.compile(r"(?P<n>\d+)\s*(?P<u>년|개월|달|일|주)(?!\s*(?:이상|미만|이하))")
_UNIT = {"년": "Y", "개월": "M", "달": "M", "일": "D", "주": "W"}


def iso_period(text: str) -> str | None:
    """The first length of time in ``text`` as an ISO-8601 duration, or ``None`` (영구, '탈퇴 시까지', ...)."""
    if re.search(r"영구", text):
        return None
    for m in _PERIOD.finditer(text):
        if m.group("u") == "일" and re.search(rf"{m.group('n')}\s*일\s*(?:이내|전)", text):
            continue
        return f"P{int(m.group('n'))}{_UNIT[m.group('u')]}"
    return None

"""Items a published policy text marks required (필수) or optional (선택): part of :mod:`.extract`.

Contract: never raises. Read from ``(필수) a, b (선택) c`` runs (several per line, ``[카카오]`` groups allowed),
``필수항목으로 a, b를`` sentences, ``필수입력사항 : ...`` labels, tables with 필수 항목/선택 항목 columns, a 구분
column of 필수/선택 rows, and rows labelled 필수/선택. Lists are split on commas outside parentheses; ``등`` and
what follows it are dropped.
"""

from __future__ import annotations

import re

from jikimi.documents.facts import ItemLists
from jikimi.documents.structure import Section, Table, fill_merged, strip_marker

__all__ = ["items"]


def _split_items(text: str) -> list[str]:
    text = re.sub(r"\d+\.\s*[^,]*?에 대한 정보\s*", ",", text)  # "1. 회사에 대한 정보 아이디, ..." (partnercenter)
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += (ch in "([") - (ch in ")]")
        if ch == "," and depth <= 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    items = (re.sub(r"\s+등(?:\s.*)?$", "", x.strip(" .")) for x in out)
    return [x for x in items if x and x not in ("없음", "-")]


_MARKED = re.compile(r"\((필수|선택)\)|\[[^\]]+\]")
_REQUIRED = (
    re.compile(r"필수\s*항목으로\s*(.+?)(?:를|을)[,\s]"),
    re.compile(r"필수\s*(?:입력\s*)?(?:사항|정보|항목)\s*[:：]\s*(.+)$"),
    re.compile(r"필수\s*수집\s*정보\s*[:：]\s*(.+)$"),
)
_OPTIONAL = (
    re.compile(r"선택\s*항목으로\s*(.+?)(?:를|을)[,\s]"),
    re.compile(r"선택\s*(?:입력\s*)?(?:사항|정보|항목)\s*[:：]\s*(.+)$"),
)


def _marked(text: str) -> tuple[list[str], list[str]]:
    """``(필수) a, b (선택) c [네이버] (필수) d`` -> ``([a, b, d], [c])``."""
    req: list[str] = []
    opt: list[str] = []
    marks = list(_MARKED.finditer(text))
    if not marks:
        return req, opt
    for m, nxt in zip(marks, [*marks[1:], None], strict=True):
        if m.group(1):
            chunk = text[m.end() : nxt.start() if nxt else len(text)]
            (req if m.group(1) == "필수" else opt).extend(_split_items(chunk))
    return req, opt


def items(sections: list[Section]) -> ItemLists:
    """The required and optional items, each once, in document order."""
    required: list[str] = []
    optional: list[str] = []
    for sec in sections:
        if sec.topic not in ("items", "retention", None):
            continue
        for block in sec.blocks:
            if isinstance(block, Table):
                h = block.header
                req = [k for k, c in enumerate(h) if re.search(r"필수\s*항목", c)]
                opt = [k for k, c in enumerate(h) if re.search(r"선택\s*항목", c)]
                kind = next((k for k, c in enumerate(h) if c == "구분"), None)
                what = next((k for k, c in enumerate(h) if re.search(r"수집\s*항목", c)), None)
                for row in fill_merged(block) if req or opt or kind is not None else block.rows:
                    required += [x for k in req if k < len(row) for x in _split_items(row[k])]
                    optional += [x for k in opt if k < len(row) for x in _split_items(row[k])]
                    if kind is not None and what is not None and row[kind] in ("필수", "선택"):  # ktmns
                        (required if row[kind] == "필수" else optional).extend(_split_items(row[what]))
                    elif row and re.match(r"필수|선택", row[0]) and len(row) > 1:  # partnercenter
                        for cell in row[1:]:
                            (required if row[0].startswith("필수") else optional).extend(_split_items(cell))
                    for cell in row:
                        r, o = _marked(cell)
                        required += r
                        optional += o
                continue
            s = strip_marker(block)
            r, o = _marked(s)
            required += r
            optional += o
            if not (r or o):
                required += next((_split_items(m.group(1)) for p in _REQUIRED if (m := p.search(s))), [])
                optional += next((_split_items(m.group(1)) for p in _OPTIONAL if (m := p.search(s))), [])
    return ItemLists(tuple(dict.fromkeys(required)), tuple(dict.fromkeys(optional)))

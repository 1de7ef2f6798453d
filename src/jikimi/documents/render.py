"""Write the published 개인정보 처리방침 as HTML or Markdown.

Contract: :func:`render_policy` returns one complete document. HTML is ``lang="ko"``, has one ``h1``, an ``h2`` per
section with a stable anchor, a summary block (R-POL-7) and a table of contents linking to every section, tables
with ``<caption>`` and ``<th scope>``, and print CSS; every policy string is escaped. Markdown carries the same
content. The wording comes from :mod:`jikimi.documents.content`; nothing here decides what the document says.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Literal

from jikimi.documents.content import VersionEntry, build_document
from jikimi.documents.document import Block, BulletList, Document, Paragraph, Table
from jikimi.policy.model import Policy

__all__ = ["Format", "render_document", "render_policy"]

Format = Literal["html", "md"]

_CSS = """
body { font-family: "Noto Sans KR", "Apple SD Gothic Neo", "Malgun Gothic", sans-serif; line-height: 1.7;
       color: #1a1a1a; max-width: 56rem; margin: 0 auto; padding: 1.5rem; word-break: keep-all; }
h1 { font-size: 1.8rem; } h2 { font-size: 1.3rem; margin-top: 2.5rem; border-bottom: 2px solid #333; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: 0.95rem; }
caption { text-align: left; font-weight: bold; padding: 0.3rem 0; }
th, td { border: 1px solid #666; padding: 0.4rem 0.6rem; vertical-align: top; text-align: left;
         min-width: 5em; overflow-wrap: anywhere; }
thead th { background: #eee; }
tbody th { font-weight: 600; background: #fafafa; }
.summary { border: 2px solid #333; padding: 0.25rem 1rem 0.5rem; margin: 1.5rem 0; }
.summary h2 { margin-top: 0.5rem; }
.summary ul { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; list-style: none; padding: 0; }
nav.toc ol { list-style: none; padding-left: 0; }
a { color: #0b4ea2; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav.toc { break-after: page; }
  h2 { break-after: avoid; }
  tr, .summary { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def render_policy(policy: Policy, fmt: Format = "html", history: Sequence[VersionEntry] = ()) -> str:
    """The policy's published document in ``fmt``; ``history`` lists earlier versions, oldest first."""
    return render_document(build_document(policy, history), fmt)


def render_document(doc: Document, fmt: Format) -> str:
    """Write an already built document."""
    if fmt == "html":
        return _html(doc)
    if fmt == "md":
        return _markdown(doc)
    raise ValueError(f"unknown format: {fmt!r}")


def _numbered(doc: Document) -> list[tuple[str, str]]:
    return [(s.id, f"{n}. {s.title}") for n, s in enumerate(doc.sections, start=1)]


# --- HTML ---------------------------------------------------------------------------------------------------


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _html_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{_e(block.text)}</p>"
    if isinstance(block, BulletList):
        return "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in block.items) + "</ul>"
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in block.headers)
    body = "".join(
        "<tr>" + f'<th scope="row">{_e(row[0])}</th>' + "".join(f"<td>{_e(c)}</td>" for c in row[1:]) + "</tr>"
        for row in block.rows
    )
    return f"<table><caption>{_e(block.caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html(doc: Document) -> str:
    titles = dict(_numbered(doc))
    labels = "".join(
        f'<li><a href="#{_e(lb.anchor)}"><strong>{_e(lb.name)}</strong></a> {_e(lb.fact)}</li>' for lb in doc.labels
    )
    toc = "".join(f'<li><a href="#{_e(i)}">{_e(t)}</a></li>' for i, t in titles.items())
    sections = "\n".join(
        f'<section id="{_e(s.id)}" aria-labelledby="{_e(s.id)}-h">'
        f'<h2 id="{_e(s.id)}-h">{_e(titles[s.id])}</h2>' + "\n".join(_html_block(b) for b in s.blocks) + "</section>"
        for s in doc.sections
    )
    return (
        '<!DOCTYPE html>\n<html lang="ko">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(doc.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{_e(doc.title)}</h1>\n<p>{_e(doc.intro)}</p>\n"
        f'<section class="summary" aria-labelledby="summary-h"><h2 id="summary-h">주요 처리 내용 한눈에 보기</h2>'
        f"<ul>{labels}</ul></section>\n"
        f'<nav class="toc" aria-labelledby="toc-h"><h2 id="toc-h">목차</h2><ol>{toc}</ol></nav>\n'
        f"{sections}\n</main>\n</body>\n</html>\n"
    )


# --- Markdown -----------------------------------------------------------------------------------------------


def _t(text: str) -> str:
    """Markdown text: raw HTML in policy strings must not become markup (``<`` ``>`` ``&`` as entities)."""
    return html.escape(text, quote=False)


def _cell(text: str) -> str:
    return _t(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return _t(block.text)
    if isinstance(block, BulletList):
        return "\n".join(f"- {_t(i)}" for i in block.items)
    assert isinstance(block, Table)
    lines = [
        f"**{_t(block.caption)}**",
        "",
        "| " + " | ".join(_cell(h) for h in block.headers) + " |",
        "|" + "---|" * len(block.headers),
    ]
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows)
    return "\n".join(lines)


def _markdown(doc: Document) -> str:
    titles = dict(_numbered(doc))
    out = [f"# {_t(doc.title)}", "", _t(doc.intro), "", "## 주요 처리 내용 한눈에 보기", ""]
    out.extend(f"- [**{_t(lb.name)}**](#{lb.anchor}) {_t(lb.fact)}" for lb in doc.labels)
    out += ["", "## 목차", ""]
    out.extend(f"{n}. [{t.split('. ', 1)[1]}](#{i})" for n, (i, t) in enumerate(titles.items(), start=1))
    for s in doc.sections:
        out += ["", f'<a id="{s.id}"></a>', "", f"## {titles[s.id]}"]
        for b in s.blocks:
            out += ["", _md_block(b)]
    return "\n".join(out) + "\n"

"""The published policy as a format-neutral document: sections of paragraphs, lists and tables.

:mod:`jikimi.documents.content` builds a :class:`Document` from a policy; :mod:`jikimi.documents.render` writes it as
HTML or Markdown. Keeping the wording in one place means both formats say exactly the same thing, and escaping
happens once, in the writer. Every string here is plain text (never markup).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Block", "BulletList", "Document", "Label", "Paragraph", "Section", "Table", "josa"]


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class BulletList:
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A table whose first column names the row (rendered as a row header)."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Paragraph | BulletList | Table


@dataclass(frozen=True, slots=True)
class Section:
    """One numbered section; ``id`` is its stable anchor (``purposes``, ``retention`` ...)."""

    id: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Label:
    """One entry of the summary block (R-POL-7): a key practice at a glance, linked to its section."""

    name: str
    fact: str
    anchor: str


@dataclass(frozen=True, slots=True)
class Document:
    title: str
    intro: str
    labels: tuple[Label, ...]
    sections: tuple[Section, ...]

    def section(self, section_id: str) -> Section | None:
        """The section with anchor ``section_id``, or ``None`` when the document has none."""
        return next((s for s in self.sections if s.id == section_id), None)


def josa(word: str, with_final: str, without_final: str) -> str:
    """``word`` with the particle that fits its last syllable: ``josa("회사", "은", "는") == "회사는"``."""
    last = word.rstrip(")」』\"' ")[-1:] or " "
    code = ord(last) - 0xAC00
    has_final = 0 <= code < 11172 and code % 28 != 0
    return word + (with_final if has_final else without_final)

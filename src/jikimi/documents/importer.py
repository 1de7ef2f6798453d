"""Import a published policy text: its facts (:func:`extract_facts`) and a draft policy YAML (:func:`import_policy`).

Flow: bytes -> :func:`read_policy_text` (UTF-8 or CP949, binary refused, via the linter's decoder) ->
:func:`text_problem` (empty, not Korean) -> :func:`extract_facts` (:mod:`.extract` over :mod:`.structure`) ->
:func:`import_policy`: a draft in the jikimi format plus a report of what could not be placed. Outcomes: a draft that
``jikimi policy validate`` accepts, with placeholders (``미기재``) and a header that lists what a person must
complete; or, for a text with no facts, a report that says so. Nothing here raises on the content of a text; only
an unreadable file raises :class:`~jikimi.errors.LintError`. No network, no model: rules over the text's structure.
"""

from __future__ import annotations

import re
from datetime import date
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import yaml

from jikimi.documents.extract import extract_facts
from jikimi.documents.facts import Facts, RetentionRow
from jikimi.documents.structure import parse_text
from jikimi.errors import LintError
from jikimi.policy.lint import decode_text
from jikimi.policy.statutes import statutes

__all__ = ["NO_FACTS", "extract_facts", "import_policy", "read_policy_text", "text_problem"]

NO_FACTS = (
    "no facts found: no effective date, privacy officer, retention row, trustee, recipient or item was recognised"
)
_UNKNOWN = "미기재"
_READ_TOPICS = {"officer", "retention", "trustees", "recipients", "items", "destruction"}


def read_policy_text(path: str | Path) -> str:
    """The text of a policy file, decoded as UTF-8 or CP949/EUC-KR; :class:`LintError` if it cannot be read."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise LintError(f"{p}: cannot read the file: {exc.strerror}") from None
    return decode_text(raw, str(p))


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be a Korean policy (empty, no Korean at all), or ``None``."""
    if not text.strip():
        return "the file is empty"
    if not re.search(r"[가-힣]", text):
        return "not a Korean text: no Hangul found; jikimi imports Korean privacy policies (개인정보 처리방침)"
    return None


def import_policy(text: str, source: str = "<text>") -> tuple[str, list[str]]:
    """A draft policy YAML for ``text`` and the report: one line per thing that could not be placed."""
    problem = text_problem(text)
    if problem:
        return "", [problem]
    facts = extract_facts(text)
    if facts.is_empty():
        return "", [NO_FACTS]
    report = _report(text, facts)
    draft = _draft(text, facts)
    header = [
        f"# Draft imported from {source} by `jikimi policy import`; not yet a policy anyone promised.",
        "# Complete before use (search for 미기재 and check every value):",
        "#   controller and service; purposes with their legal bases (one 'imported' purpose holds every item);",
        "#   items: categories and formats; channels: where items come in (one 'signup' channel holds them all);",
        "#   retention: what each row keeps and when its clock starts; rows the statutory catalogue states cite it",
        "#   (basis.statute; the source's own wording is in the note), others name a law or an internal reason;",
        "#   recipients: their items and retention (the source's wording is in their notes);",
        "#   children, destruction, rights, cookies and safety measures (not imported).",
        *(f"# Not placed: {line}" for line in report),
    ]
    body = yaml.safe_dump(draft, allow_unicode=True, sort_keys=False, width=110)
    return "\n".join(header) + "\n" + body, report


def _report(text: str, facts: Facts) -> list[str]:
    out = []
    if facts.effective_date is None:
        out.append(f"effective date: not found; set to 1900-01-01 ({_UNKNOWN})")
    elif len(facts.effective_date) == 7:
        out.append(f"effective date: the text gives a month only ({facts.effective_date}); the 1st is used")
    o = facts.officer
    if o.name is None:
        out.append("privacy officer: no name found")
    if o.phone is None and o.email is None:
        out.append("privacy officer: no phone or e-mail found")
    if not facts.retention:
        out.append("retention: no retention row found")
    for r in facts.retention:
        if r.period is None:
            out.append(f"retention '{r.record}': no length of time in the text")
    for sec in parse_text(text):
        lines = sum(1 for _ in sec.blocks)
        if sec.heading and sec.topic not in _READ_TOPICS and lines:
            out.append(f"section '{sec.heading}' ({lines} lines): not imported")
    return out


def _iso_to_period(period: str | None) -> str | None:
    m = re.fullmatch(r"P(\d+)([YMWD])", period or "")
    if not m:
        return None
    n, unit = int(m.group(1)), m.group(2)
    return f"{n * 7}d" if unit == "W" else f"{n}{unit.lower()}"


def _rule(i: int, row: RetentionRow) -> dict[str, Any]:
    rule: dict[str, Any] = {"key": f"retention_{i:02d}", "label": row.record, "record_kinds": [f"record_{i:02d}"]}
    period = _iso_to_period(row.period)
    if period:
        rule["period"] = period
        rule["starts"] = "transaction" if "기록" in row.record else "withdrawal"
    elif "분쟁" in row.record:
        rule["starts"] = "dispute_resolution"
    elif "동의" in row.record:
        rule["starts"] = "consent_period_end"
    else:
        rule["period"] = "0d"  # "처리 시까지": kept until the purpose is met
        rule["starts"] = "purpose_completion"
    basis = row.basis or ""
    key = _statute_key(row)
    if key:
        rule["basis"] = {"statute": key}
        if basis:
            rule["note"] = f"원문 근거: {basis}"
    elif re.search(r"법", basis):
        rule["basis"] = {"law": basis}
    else:
        rule["basis"] = {"internal": basis or f"{_UNKNOWN}: 원문에 보존 근거가 없음"}
    return rule


def _statute_key(row: RetentionRow) -> str | None:
    """The catalogue entry that states this row: a retention entry with the same period and a label alike."""
    words = re.sub(r"[^가-힣0-9]", "", row.record)
    for entry in statutes().values():
        if entry.kind != "retention" or entry.period is None or _iso_to_period(row.period) != entry.period:
            continue
        label = re.sub(r"[^가-힣0-9]", "", entry.label)
        if len(words) >= 6 and (words in label or SequenceMatcher(None, words, label).ratio() >= 0.8):
            return entry.key
    return None


def _controller(text: str) -> str:
    m = re.search(r"(?:주식회사|㈜|\(주\))\s*[\w가-힣]+|[\w가-힣]+\s*(?:주식회사|유한회사)", text)
    return m.group(0).strip() if m else _UNKNOWN


def _draft(text: str, facts: Facts) -> dict[str, Any]:
    title = next((line.strip() for line in text.splitlines() if line.strip()), _UNKNOWN)[:80]
    when = facts.effective_date or "1900-01-01"
    effective = date.fromisoformat(when if len(when) == 10 else f"{when}-01")
    items: dict[str, Any] = {}
    keys: dict[str, str] = {}
    for label in (*facts.items.required, *facts.items.optional):
        if label not in keys:
            keys[label] = f"item_{len(keys) + 1:02d}"
            items[keys[label]] = {"label": label}
    officer = {
        k: v
        for k, v in {
            "name": facts.officer.name or _UNKNOWN,
            "phone": facts.officer.phone,
            "email": facts.officer.email,
        }.items()
        if v
    }
    destruction = [b for s in parse_text(text) if s.topic == "destruction" for b in s.lines()]
    return {
        "format": 1,
        "controller": {"name": _controller(text)},
        "service": {"key": "imported", "name": title},
        "version": when,
        "effective_date": effective,
        "title": title,
        "officers": {"privacy_officer": officer},
        "items": items,
        "channels": {
            "signup": {
                "label": f"수집 경로 {_UNKNOWN}",
                "kind": "signup",
                "required": [keys[x] for x in dict.fromkeys(facts.items.required)],
                "optional": [keys[x] for x in dict.fromkeys(facts.items.optional) if x not in facts.items.required],
                "purposes": ["imported"],
            }
        },
        "purposes": {
            "imported": {"label": f"처리 목적 {_UNKNOWN}", "basis": {"kind": "consent"}, "items": list(items)}
        },
        "record_kinds": {f"record_{i:02d}": {"label": r.record} for i, r in enumerate(facts.retention, 1)},
        "retention": [_rule(i, r) for i, r in enumerate(facts.retention, 1)],
        "trustees": [{"name": t.name, "tasks": [t.task] if t.task else []} for t in facts.trustees],
        "recipients": [
            {
                "name": r.name,
                "purposes": [r.purpose or _UNKNOWN],
                "items": [],
                "retention": _UNKNOWN,
                "basis": {"kind": "consent"},
                **({"note": f"제공 항목: {r.items}"} if r.items else {}),
            }
            for r in facts.recipients
        ],
        "children": {"admitted": False},
        "destruction": {
            "procedure": destruction[0] if destruction else _UNKNOWN,
            "electronic": next((x for x in destruction if "전자" in x), _UNKNOWN),
        },
        "rights": {"channels": [_UNKNOWN]},
    }

"""Lint a policy YAML or a published policy text against law.md: findings with a rule id, severity, place and fix.

Contract: :func:`lint_file` never raises on a readable file; a YAML file that does not load gives ``LOAD`` findings.
A text (``.txt``/``.md``, UTF-8 or CP949) is checked line by line: missing mandatory sections by heading keywords
(R-POL-1), obsolete terms and agencies (R-POL-9, R-HIST-5, R-POL-10), repealed articles (R-POL-9, R-HIST-3),
retention "영구" (R-RET-1), 주민등록번호 without a statute (R-CON-6), a children age other than 14 (R-CHILD-1),
Internet Explorer cookie instructions (R-POL-1 item 7), the abolished dormancy rule (R-HIST-1), placeholders,
automated decisions without their section (R-POL-2) and trustees without tasks (R-XFER-5). A YAML policy gets the
same term checks on every string, plus checks on its facts. ``today`` is passed in: 방송통신위원회 is obsolete
only from 2025-10-01. Messages quote the rule and the term found, never personal data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from jikimi.errors import LintError, PolicyError
from jikimi.policy.lint_rules import Finding, Severity, lint_text, term_findings
from jikimi.policy.loader import Located, load_policy_text, locate_yaml
from jikimi.policy.model import ChannelKind, ClockStart, ItemCategory, ItemFormat, Policy

__all__ = ["Finding", "Severity", "decode_text", "findings_markdown", "lint_file", "lint_text", "lint_yaml"]


def lint_file(path: str | Path, today: date) -> list[Finding]:
    """Lint ``path``: ``.yaml``/``.yml`` as a policy file, anything else as a policy text."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise LintError(f"{p}: cannot read the file: {exc.strerror}") from None
    text = decode_text(raw, str(p))
    if p.suffix.lower() in {".yaml", ".yml"}:
        return lint_yaml(text, str(p), today)
    return lint_text(text, str(p), today)


def decode_text(raw: bytes, file: str) -> str:
    """A policy text's bytes as text: UTF-8 (with or without BOM) or CP949/EUC-KR; binary is refused."""
    if b"\x00" in raw[:4096]:
        raise LintError(f"{file}: not a text file")
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LintError(f"{file}: neither UTF-8 nor CP949 text")


# --- YAML ---------------------------------------------------------------------------------------------------


def lint_yaml(text: str, file: str = "<policy>", today: date | None = None) -> list[Finding]:
    """Findings for a policy YAML file; a file that does not load gives its load problems as ``LOAD`` errors."""
    today = today or date.max
    try:
        located = locate_yaml(text, file)
        policy = load_policy_text(text, file)
    except PolicyError as exc:
        return [
            Finding("LOAD", Severity.ERROR, p.file, p.line, p.column, p.message, "jikimi policy validate")
            for p in exc.problems
        ]
    found = list(_yaml_strings(located, located.data, (), today))
    found.extend(_facts(policy, located))
    return sorted(found, key=lambda f: (f.line, f.column, f.rule))


def _yaml_strings(located: Located, data: Any, path: tuple[str | int, ...], today: date) -> Iterator[Finding]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _yaml_strings(located, v, (*path, str(k)), today)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _yaml_strings(located, v, (*path, i), today)
    elif isinstance(data, str):
        line, col = located.marks.get(path, (1, 1))
        yield from term_findings(data, located.file, line, col, today)


def _facts(policy: Policy, located: Located) -> Iterator[Finding]:
    def at(path: tuple[str | int, ...], rule: str, sev: Severity, message: str, fix: str) -> Finding:
        p = located.problem(path, message)
        return Finding(rule, sev, p.file, p.line, p.column, message, fix)

    for i, rule in enumerate(policy.retention):
        if rule.period == "permanent":
            yield at(
                ("retention", i, "period"),
                "R-RET-1",
                Severity.ERROR,
                f"보유 기간 '영구' ({rule.key})",
                "목적 달성 시 파기하거나 법령이 정한 기간을 적으세요 (제21조).",
            )
        open_ended = rule.starts in {ClockStart.DISPUTE_RESOLUTION, ClockStart.CONSENT_PERIOD_END}
        if rule.period is None and not rule.basis.statute and not open_ended:
            yield at(
                ("retention", i),
                "R-POL-1",
                Severity.ERROR,
                f"보유 기간이 없는 보존 규칙 ({rule.key})",
                "period를 적거나 기간을 정한 법령(statute)을 근거로 드세요.",
            )
    statute_items = {k for p in policy.purposes.values() if p.basis.statute or p.basis.law for k in p.items}
    statute_items |= {k for r in policy.retention if r.basis.statute or r.basis.law for k in r.items}
    for key, item in policy.items.items():
        if (item.format is ItemFormat.RRN or "주민등록번호" in item.label) and key not in statute_items:
            yield at(
                ("items", key),
                "R-CON-6",
                Severity.ERROR,
                f"법령 근거 없이 수집하는 주민등록번호 ({key})",
                "주민등록번호를 쓰는 목적에 법령 근거(basis.statute 또는 law)를 적거나 항목을 지우세요.",
            )
    if policy.children.age_threshold != 14:
        yield at(
            ("children", "age_threshold"),
            "R-CHILD-1",
            Severity.ERROR,
            f"아동 기준 나이가 {policy.children.age_threshold}세임 (법은 만 14세 미만)",
            "age_threshold: 14",
        )
    for i, t in enumerate(policy.trustees):
        if not t.tasks:
            yield at(
                ("trustees", i, "tasks"),
                "R-XFER-5",
                Severity.ERROR,
                "위탁 업무가 없는 수탁자",
                "tasks에 위탁하는 업무를 적으세요 (제26조②).",
            )
    for i, d in enumerate(policy.automated_decisions):
        if not d.items:
            yield at(
                ("automated_decisions", i),
                "R-DSR-9",
                Severity.WARNING,
                "자동화된 결정에 쓰는 주요 개인정보가 없음",
                "items에 결정에 쓰는 항목을 적으세요 (시행령 제44조의4).",
            )
    officer = policy.officers.privacy_officer
    if not (officer.phone or officer.email or policy.officers.department):
        yield at(
            ("officers", "privacy_officer"),
            "R-POL-1",
            Severity.ERROR,
            "보호책임자의 연락처가 없음",
            "전화번호나 전자우편, 또는 담당부서를 적으세요 (제30조①6).",
        )
    s = policy.safety_measures
    if not (s.technical or s.administrative or s.physical):
        yield at(
            ("safety_measures",),
            "R-POL-1",
            Severity.ERROR,
            "안전성 확보 조치가 없음",
            "safety_measures에 관리적·기술적·물리적 조치를 적으세요 (시행령 제31조①3).",
        )
    automatic = any(c.kind is ChannelKind.AUTOMATIC for c in policy.channels.values()) or any(
        i.category is ItemCategory.AUTO_GENERATED for i in policy.items.values()
    )
    if automatic and policy.cookies is None:
        yield at(
            ("channels",),
            "R-POL-1",
            Severity.WARNING,
            "자동 수집 항목이 있으나 cookies 항목이 없음",
            "cookies에 쿠키 사용 여부와 거부 방법을 적으세요 (제30조①7).",
        )


def findings_markdown(results: Sequence[tuple[str, Sequence[Finding]]]) -> str:
    """A Markdown report: one section per file, one table row per finding."""
    out = [
        "# Lint findings",
        "",
        "Generated; do not edit. Regenerate from the repository root with:",
        "",
        "```sh",
        "jikimi policy lint --format md --today 2026-11-25 examples/sources/seeds/*.txt examples/policies/*.yaml \\",
        "    examples/sources/policies/*.txt > docs/lint-findings.md",
        "```",
        "",
    ]
    for file, findings in results:
        rules = ", ".join(sorted({f.rule for f in findings})) or "없음"
        out += [f"## {file}", "", f"Rules: {rules}", ""]
        if findings:
            out += ["| 위치 | 규칙 | 심각도 | 내용 | 고치는 방법 |", "|---|---|---|---|---|"]
            out.extend(
                f"| {f.line}:{f.column} | {f.rule} | {f.severity.value} | {f.message} | {f.fix} |".replace("\n", " ")
                for f in findings
            )
            out.append("")
    return "\n".join(out)

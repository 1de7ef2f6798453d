"""A readable plain-text summary of a policy (``jikimi policy show``): what a reviewer checks first."""

from __future__ import annotations

from jikimi.policy.model import LegalBasis, Policy, RetentionRule, parse_period
from jikimi.policy.statutes import statutes

__all__ = ["describe_period", "describe_retention", "summarize"]

_UNITS = {"d": "일", "m": "개월", "y": "년"}
_STARTS = {
    "collection": "수집일부터",
    "withdrawal": "회원 탈퇴(해지) 후",
    "consent_withdrawal": "동의 철회 후",
    "contract_end": "계약 종료 후",
    "purpose_completion": "목적 달성(처리 완료) 후",
    "transaction": "해당 기록 발생일부터",
    "dispute_resolution": "분쟁 해결 시까지",
    "consent_period_end": "동의받은 기간까지",
}


def describe_period(period: str) -> str:
    """``"3m"`` -> ``"3개월"``; ``"permanent"`` -> ``"영구"``."""
    parsed = parse_period(period)
    if parsed is None:
        return "영구"
    n, unit = parsed
    if n == 0:
        return "지체 없이 파기"
    return f"{n}{_UNITS[unit]}"


def describe_retention(rule: RetentionRule) -> str:
    """One line: period, clock start and basis, in Korean."""
    entry = statutes().get(rule.basis.statute or "")
    period = rule.period or (entry.period if entry else None)
    when = _STARTS[rule.starts.value]
    length = when if period is None else f"{when} {describe_period(period)}"
    return f"{length} — {_basis_text(rule)}"


def _basis_text(rule: RetentionRule) -> str:
    b = rule.basis
    if b.statute:
        entry = statutes()[b.statute]
        return f"근거: {entry.citation}"
    if b.law:
        return f"근거: 「{b.law}」 {b.article or ''}".rstrip()
    if b.internal:
        return f"내부 방침: {b.internal}"
    if b.consent:
        return f"정보주체 동의: {b.consent}"
    return f"목적: {b.purpose}"


def _legal_basis(basis: LegalBasis) -> str:
    if basis.statute:
        return f"{basis.kind.value} ({statutes()[basis.statute].citation})"
    if basis.law:
        return f"{basis.kind.value} (「{basis.law}」 {basis.article or ''})".replace(" )", ")")
    return basis.kind.value


def summarize(policy: Policy) -> str:
    """The summary as lines of text."""
    out: list[str] = []
    add = out.append
    add(f"{policy.service.name} — {policy.controller.name}")
    add(f"  version {policy.version}, effective {policy.effective_date.isoformat()}")
    officer = policy.officers.privacy_officer
    contact = ", ".join(x for x in (officer.phone, officer.email) if x)
    add(f"  privacy officer: {officer.name}" + (f" ({contact})" if contact else ""))
    if policy.subject_types:
        kinds = ", ".join(f"{k} ({v.label})" for k, v in policy.subject_types.items())
        add(f"  subject types: {kinds}")
    by_category: dict[str, int] = {}
    for item in policy.items.values():
        by_category[item.category.value] = by_category.get(item.category.value, 0) + 1
    cats = ", ".join(f"{n} {c}" for c, n in sorted(by_category.items()))
    add(f"  items: {len(policy.items)} ({cats})")
    add("  channels:")
    for key, ch in policy.channels.items():
        add(f"    {key} [{ch.kind.value}] {ch.label}")
        if ch.required:
            add(f"      required: {', '.join(policy.items[i].label for i in ch.required)}")
        if ch.optional:
            add(f"      optional: {', '.join(policy.items[i].label for i in ch.optional)}")
        for st, per in ch.by_subject_type.items():
            req = ", ".join(policy.items[i].label for i in per.required) or "-"
            opt = ", ".join(policy.items[i].label for i in per.optional) or "-"
            add(f"      {st}: required {req}; optional {opt}")
    add("  purposes:")
    for key, purpose in policy.purposes.items():
        add(f"    {key}: {purpose.label} [{_legal_basis(purpose.basis)}], {len(purpose.items)} items")
    add("  retention:")
    for rule in policy.retention:
        add(f"    {rule.label}: {describe_retention(rule)}")
    if policy.trustees:
        add(f"  trustees ({len(policy.trustees)}):")
        for t in policy.trustees:
            add(f"    {t.name}: {'; '.join(t.tasks)}")
    if policy.recipients:
        add(f"  recipients ({len(policy.recipients)}):")
        for r in policy.recipients:
            add(f"    {r.name}: {', '.join(policy.items[i].label for i in r.items)}")
    else:
        add("  recipients: none")
    kids = policy.children
    if kids.admitted:
        methods = ", ".join(m.value for m in kids.verification_methods)
        add(f"  children under {kids.age_threshold}: with a legal representative ({methods})")
    else:
        add(f"  children under {kids.age_threshold}: not admitted")
    if policy.advertising:
        channels = ", ".join(c.value for c in policy.advertising.channels) or "channels not stated"
        add(f"  advertising: {channels}, with consent")
    return "\n".join(out)

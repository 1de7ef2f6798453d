"""Policy -> :class:`~jikimi.documents.document.Document`: the wording of the published 개인정보 처리방침.

Contract: every section that PIPA 제30조① and 시행령 제31조① require is always present (R-POL-1); the conditional
ones (제3자 제공, 처리위탁, 국외 이전, 아동, 자동수집장치, 자동화된 결정) are present exactly when the policy has the
matching facts (R-POL-1, R-POL-2). Order follows R-POL-8. Items are always listed by name, never hidden behind "등".
The wording of the conditional and fixed sections lives in :mod:`jikimi.documents.wording`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from jikimi.documents import wording
from jikimi.documents.document import (
    BulletList,
    Document,
    Label,
    Paragraph,
    Section,
    Table,
    josa,
)
from jikimi.policy.model import BasisKind, ItemCategory, Policy
from jikimi.policy.summary import describe_retention

__all__ = ["VersionEntry", "build_document", "item_counts", "item_labels"]


@dataclass(frozen=True, slots=True)
class VersionEntry:
    """One row of the version history: a published version and what changed in it."""

    version: str
    effective_date: date
    summary: str


def build_document(policy: Policy, history: Sequence[VersionEntry] = ()) -> Document:
    """The whole document; ``history`` lists earlier versions (oldest first) for the version history."""
    sections = [
        _purposes(policy),
        _items(policy),
        _retention(policy),
        _destruction(policy),
        wording.third_parties(policy),
        wording.trustees(policy),
        wording.overseas(policy),
        wording.cookies(policy),
        wording.automated_decisions(policy),
        wording.children(policy),
        wording.rights(policy),
        wording.safety(policy),
        wording.officer(policy),
        wording.remedies(policy),
        wording.changes(policy, history),
    ]
    present = tuple(s for s in sections if s is not None)
    controller = policy.controller.name
    intro = (
        f"{josa(controller, '은', '는')} {policy.service.name} 이용자의 개인정보를 「개인정보 보호법」에 따라 "
        "처리하며, 이용자가 자신의 개인정보가 어떻게 처리되는지 알 수 있도록 이 개인정보 처리방침을 "
        "공개합니다."
    )
    return Document(
        title="개인정보 처리방침",
        intro=intro,
        labels=_labels(policy, {s.id for s in present}),
        sections=present,
    )


def item_labels(policy: Policy, keys: Sequence[str]) -> str:
    """Item names joined with commas; ``"없음"`` when there are none."""
    return ", ".join(policy.items[k].label for k in keys) or "없음"


def _purposes(policy: Policy) -> Section:
    consented = [(k, p) for k, p in policy.purposes.items() if p.basis.kind is BasisKind.CONSENT]
    others = [(k, p) for k, p in policy.purposes.items() if p.basis.kind is not BasisKind.CONSENT]
    blocks: list[Paragraph | BulletList | Table] = [
        Paragraph(
            "개인정보를 다음 목적으로만 처리합니다. 목적이 바뀌면 미리 알리고, 「개인정보 보호법」 "
            "제18조에 따라 별도의 동의를 받습니다."
        )
    ]
    if consented:
        rows = tuple(
            (
                p.label + (f" ({p.description})" if p.description else ""),
                item_labels(policy, p.items),
                "선택 동의" if p.consent == "optional" else "필수 동의",
            )
            for _, p in consented
        )
        blocks.append(Table("동의를 받아 처리하는 개인정보", ("처리 목적", "처리 항목", "동의 구분"), rows))
    if others:
        rows = tuple(
            (
                p.label + (f" ({p.description})" if p.description else ""),
                item_labels(policy, p.items),
                wording.legal_basis(p.basis),
            )
            for _, p in others
        )
        # R-POL-2(b): data processed without consent is listed separately, with its legal basis.
        blocks.append(
            Table("동의 없이 처리하는 개인정보와 그 법적 근거", ("처리 목적", "처리 항목", "법적 근거"), rows)
        )
    return Section("purposes", "개인정보의 처리 목적", tuple(blocks))


def _items(policy: Policy) -> Section:
    rows: list[tuple[str, ...]] = []
    for ch in policy.channels.values():
        whom = ", ".join(policy.subject_types[t].label for t in ch.subject_types) or "모든 이용자"
        if ch.required or ch.optional or not ch.by_subject_type:
            rows.append((ch.label, whom, item_labels(policy, ch.required), item_labels(policy, ch.optional)))
        for st, per in ch.by_subject_type.items():
            rows.append(
                (
                    ch.label,
                    policy.subject_types[st].label,
                    item_labels(policy, per.required),
                    item_labels(policy, per.optional),
                )
            )
    blocks: list[Paragraph | BulletList | Table] = [
        Paragraph(
            "수집 경로별로 처리하는 개인정보 항목은 다음과 같습니다. 선택 항목은 입력하지 않아도 서비스를 "
            "이용할 수 있습니다."
        ),
        Table("수집 경로별 개인정보 항목", ("수집 경로", "대상", "필수 항목", "선택 항목"), tuple(rows)),
    ]
    special = [
        i.label
        for i in policy.items.values()
        if i.category in {ItemCategory.UNIQUE_IDENTIFIER, ItemCategory.SENSITIVE, ItemCategory.BIOMETRIC}
    ]
    if special:
        blocks.append(
            Paragraph(
                f"이 중 고유식별정보·민감정보에 해당하는 항목은 {', '.join(special)}이며, "
                "법령에 근거가 있거나 별도의 동의를 받은 경우에만 처리합니다."
            )
        )
    if not policy.children.admitted:
        blocks.append(Paragraph(f"{wording.minors(policy.children.age_threshold)}의 개인정보는 수집하지 않습니다."))
    return Section("items", "처리하는 개인정보 항목", tuple(blocks))


def _retention(policy: Policy) -> Section:
    rows = []
    for rule in policy.retention:
        period, _, basis = describe_retention(rule).partition(" — ")
        things = item_labels(policy, rule.items) if rule.items else ""
        kinds = ", ".join(policy.record_kinds[k].label for k in rule.record_kinds)
        what = ", ".join(x for x in (things, kinds) if x) or "-"
        note = " (분리 보관)" if rule.separate_storage else ""
        if rule.basis.purpose:
            basis = f"{policy.purposes[rule.basis.purpose].label} 목적 달성 시까지 필요"
        rows.append((rule.label + note, what, period, basis.removeprefix("근거: ")))
    if not rows:
        # Never a header-only table: say plainly that nothing is kept beyond the purpose.
        only = Paragraph(
            "개인정보는 처리 목적을 달성하면 지체 없이 파기하며, 그 뒤에 따로 보관하는 개인정보는 없습니다."
        )
        return Section("retention", "개인정보의 처리 및 보유 기간", (only,))
    return Section(
        "retention",
        "개인정보의 처리 및 보유 기간",
        (
            Paragraph(
                "개인정보는 처리 목적을 달성하면 지체 없이 파기합니다. 다만 다음 개인정보는 표에 적은 "
                "기간 동안 보관합니다."
            ),
            Table("보유 기간과 근거", ("보관하는 개인정보", "항목", "보유 기간", "근거"), tuple(rows)),
        ),
    )


def _destruction(policy: Policy) -> Section:
    d = policy.destruction
    methods = [d.electronic if "전자" in d.electronic else f"전자적 파일: {d.electronic}"]
    if d.paper:
        methods.append(d.paper if "종이" in d.paper else f"종이 문서: {d.paper}")
    blocks: list[Paragraph | BulletList | Table] = [
        Paragraph(f"파기 절차: {d.procedure}"),
        Paragraph("파기 방법은 다음과 같습니다."),
        BulletList(tuple(methods)),
    ]
    kept = [r for r in policy.retention if r.separate_storage or r.basis.statute or r.basis.law]
    if kept:
        # R-RET-2 (제21조③, 제30조①3의2): data kept under another law is stored apart; say which and why.
        lines = tuple(f"{r.label}: {describe_retention(r).partition(' — ')[2].removeprefix('근거: ')}" for r in kept)
        blocks.append(
            Paragraph(
                "다른 법령에 따라 보관해야 하는 개인정보는 다른 개인정보와 분리하여 저장·관리하며, "
                "그 법령이 정한 목적으로만 이용합니다."
            )
        )
        blocks.append(BulletList(lines))
    return Section("destruction", "개인정보의 파기 절차 및 방법", tuple(blocks))


def item_counts(policy: Policy) -> tuple[int, int]:
    """Distinct required and optional items over every channel and subject type (``by_subject_type`` included).

    An item counts once: as required when any channel or subject type requires it, otherwise as optional.
    """
    required: set[str] = set()
    collected: set[str] = set()
    for key, ch in policy.channels.items():
        collected |= policy.channel_items(key)
        required.update(ch.required)
        for per in ch.by_subject_type.values():
            required.update(per.required)
    return len(required), len(collected - required)


def _labels(policy: Policy, present: set[str]) -> tuple[Label, ...]:
    n_required, n_optional = item_counts(policy)
    items = f"필수 {n_required}개" + (f", 선택 {n_optional}개" if n_optional else "") + " 항목"
    if any(ch.by_subject_type for ch in policy.channels.values()):
        items += " (이용자 유형에 따라 다름)"
    kept = f"{len(policy.retention)}개 기준" if policy.retention else "목적 달성 시 파기"
    out = [
        Label("처리 목적", f"{len(policy.purposes)}개 목적", "purposes"),
        Label("처리 항목", items, "items"),
    ]
    if any(i.category is ItemCategory.UNIQUE_IDENTIFIER for i in policy.items.values()):
        out.append(Label("고유식별정보", "처리함", "items"))
    if any(i.category in {ItemCategory.SENSITIVE, ItemCategory.BIOMETRIC} for i in policy.items.values()):
        out.append(Label("민감정보", "처리함", "items"))
    out.append(Label("보유 기간", kept, "retention"))
    optional = {
        "third_parties": ("제3자 제공", f"{len(policy.recipients)}곳"),
        "trustees": ("처리 위탁", f"{len(policy.trustees)}곳"),
        "overseas": ("국외 이전", f"{len(policy.overseas_transfers)}건"),
        "cookies": ("자동 수집 장치", "쿠키 사용"),
        "automated_decisions": ("자동화된 결정", f"{len(policy.automated_decisions)}건"),
        "children": (
            "법정대리인",
            f"{josa(wording.minors(policy.children.age_threshold), '은', '는')} 법정대리인 동의",
        ),
    }
    out.extend(Label(name, fact, anchor) for anchor, (name, fact) in optional.items() if anchor in present)
    out.append(Label("권리 행사", "열람·정정·삭제·처리정지·동의 철회", "rights"))
    out.append(Label("보호책임자", policy.officers.privacy_officer.name, "officer"))
    out.append(Label("권익침해 구제", f"외부 기관 {len(wording.agencies(policy))}곳", "remedies"))
    return tuple(out)

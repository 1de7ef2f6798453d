"""Compare two versions of a policy: what changed, section by section, in Korean, and what notice it needs.

Contract (R-POL-4, 제30조②): a change that widens collection, use or provision — a new item or a channel collecting
more, a new purpose or a purpose using more items, a new recipient or overseas transfer or one receiving more items,
a longer retention, children newly admitted, a new automated decision — is *material*: it is announced
``notice.material_days`` (30) days before it takes effect; any other change is *minor* (``notice.minor_days``, 7).
Subjects must consent again when the widened processing rests on consent (제15조②, 제17조②, 제22조의2).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from jikimi.documents.content import VersionEntry
from jikimi.errors import VersionError
from jikimi.policy.model import BasisKind, Policy, RetentionRule, parse_period
from jikimi.policy.statutes import statutes
from jikimi.policy.summary import describe_retention

__all__ = ["Change", "PolicyDiff", "diff_policies", "same_service", "version_history"]


@dataclass(frozen=True, slots=True)
class Change:
    section: str
    text: str
    material: bool = False
    reconsent: bool = False


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    old_version: str
    new_version: str
    effective_date: date
    minor_days: int
    material_days: int
    changes: tuple[Change, ...]

    @property
    def material(self) -> bool:
        """True when collection, use or provision widens."""
        return any(c.material for c in self.changes)

    @property
    def reconsent(self) -> bool:
        """True when subjects must consent again before the widened processing applies to them."""
        return any(c.reconsent for c in self.changes)

    @property
    def notice_date(self) -> date:
        """The last day to start announcing the change: effective date minus 30 (material) or 7 days."""
        days = self.material_days if self.material else self.minor_days
        return self.effective_date - timedelta(days=days)

    def summary(self) -> str:
        """One line for the version history."""
        return "; ".join(f"{c.section}: {c.text}" for c in self.changes) or "문구 수정"

    def report(self) -> str:
        """The full report in Korean, one section per heading."""
        kind = "중요한 변경 (수집·이용·제공 범위 확대)" if self.material else "경미한 변경"
        days = self.material_days if self.material else self.minor_days
        out = [
            f"개인정보 처리방침 변경: {self.old_version} → {self.new_version} (시행 {self.effective_date.isoformat()})",
            f"변경 구분: {kind}",
            f"공지 시작일: {self.notice_date.isoformat()}까지 (시행 {days}일 전, R-POL-4)",
            f"다시 동의 받기: {'필요' if self.reconsent else '필요 없음'}",
        ]
        section = ""
        for c in self.changes:
            if c.section != section:
                section = c.section
                out.append(f"[{section}]")
            tags = [t for t, on in (("중요", c.material), ("재동의", c.reconsent)) if on]
            out.append(f"- {c.text}" + (f" ({', '.join(tags)})" if tags else ""))
        if not self.changes:
            out.append("처리 내용의 변경은 없습니다.")
        return "\n".join(out)


def diff_policies(old: Policy, new: Policy) -> PolicyDiff:
    """The changes from ``old`` to ``new``.

    :class:`VersionError` unless both are versions of the same service of the same controller (``service.key`` and
    ``controller.name``) and ``new`` takes effect later.
    """
    same_service(old, new)
    if new.effective_date <= old.effective_date:
        raise VersionError(f"the new version ({new.version}) must take effect after the old one ({old.version})")
    changes = (
        *_items(old, new),
        *_purposes(old, new),
        *_retention(old, new),
        *_keyed("제3자 제공", _recipients(old), _recipients(new)),
        *_keyed("처리 위탁", _trustees(old), _trustees(new)),
        *_keyed("국외 이전", _transfers(old), _transfers(new)),
        *_children(old, new),
        *_keyed("자동화된 결정", _decisions(old), _decisions(new)),
    )
    return PolicyDiff(
        old.version,
        new.version,
        new.effective_date,
        new.notice.minor_days,
        new.notice.material_days,
        changes,
    )


def same_service(old: Policy, new: Policy) -> None:
    """:class:`VersionError` when ``old`` belongs to another service or controller than ``new``."""
    if old.service.key != new.service.key:
        raise VersionError(
            f"not versions of the same service: {old.service.key!r} ({old.service.name}) and "
            f"{new.service.key!r} ({new.service.name}); compare versions of one service only"
        )
    if old.controller.name != new.controller.name:
        raise VersionError(
            f"not versions of the same controller: {old.controller.name!r} and {new.controller.name!r}; "
            "compare versions of one controller's policy only"
        )


def version_history(versions: Sequence[Policy]) -> list[VersionEntry]:
    """History rows for ``versions`` (oldest first, the current one last)."""
    ordered = sorted(versions, key=lambda p: p.effective_date)
    rows = [VersionEntry(ordered[0].version, ordered[0].effective_date, "제정")] if ordered else []
    for old, new in pairwise(ordered):
        rows.append(VersionEntry(new.version, new.effective_date, diff_policies(old, new).summary()))
    return rows


def _consented(policy: Policy, item: str) -> bool:
    return any(p.basis.kind is BasisKind.CONSENT and item in p.items for p in policy.purposes.values())


def _items(old: Policy, new: Policy) -> Iterator[Change]:
    def collected(p: Policy) -> set[str]:
        return {k for ch in p.channels for k in p.channel_items(ch)}

    before, after = collected(old), collected(new)
    for key in sorted(after - before):
        yield Change(
            "처리 항목",
            f"새로 수집: {new.items[key].label}",
            material=True,
            reconsent=_consented(new, key),
        )
    for key in sorted(before - after):
        yield Change("처리 항목", f"더 이상 수집하지 않음: {old.items[key].label}")
    for key in sorted(before & after):
        was = {ck for ck, ch in old.channels.items() if key in ch.required}
        now = {ck for ck, ch in new.channels.items() if key in ch.required}
        if now - was:
            yield Change(
                "처리 항목",
                f"필수 항목으로 바뀜: {new.items[key].label}",
                material=True,
                reconsent=_consented(new, key),
            )


def _purposes(old: Policy, new: Policy) -> Iterator[Change]:
    for key, p in new.purposes.items():
        consent = p.basis.kind is BasisKind.CONSENT
        before = old.purposes.get(key)
        if before is None:
            yield Change("처리 목적", f"새 목적: {p.label}", material=True, reconsent=consent)
            continue
        added = [new.items[i].label for i in p.items if i not in before.items]
        if added:
            yield Change(
                "처리 목적",
                f"{p.label}에 쓰는 항목 추가: {', '.join(added)}",
                material=True,
                reconsent=consent,
            )
        if p.basis.kind is not before.basis.kind:
            yield Change("처리 목적", f"{p.label}의 법적 근거 변경", material=True, reconsent=consent)
    for key, p in old.purposes.items():
        if key not in new.purposes:
            yield Change("처리 목적", f"목적 삭제: {p.label}")


def _days(rule: RetentionRule) -> float:
    period = rule.period or (statutes()[rule.basis.statute].period if rule.basis.statute else None)
    if period is None:
        return 0.0
    parsed = parse_period(period)
    if parsed is None:
        return float("inf")
    n, unit = parsed
    return float(n * {"d": 1, "m": 30, "y": 365}[unit])


def _describe(policy: Policy, rule: RetentionRule) -> str:
    text = describe_retention(rule)
    if rule.basis.purpose:
        label = policy.purposes[rule.basis.purpose].label
        text = text.replace(f"목적: {rule.basis.purpose}", f"{label} 목적 달성 시까지")
    return text


def _retention(old: Policy, new: Policy) -> Iterator[Change]:
    before = {r.key: r for r in old.retention}
    after = {r.key: r for r in new.retention}
    for key, rule in after.items():
        was = before.get(key)
        if was is None:
            yield Change(
                "보유 기간",
                f"새 보존 기준: {rule.label} ({_describe(new, rule)})",
                material=True,
                reconsent=rule.basis.consent is not None,
            )
        elif describe_retention(was) != describe_retention(rule):
            longer = _days(rule) > _days(was)
            yield Change(
                "보유 기간",
                f"{rule.label}: {_describe(old, was)} → {_describe(new, rule)}",
                material=longer,
                reconsent=longer and rule.basis.consent is not None,
            )
    for key, rule in before.items():
        if key not in after:
            yield Change("보유 기간", f"보존 기준 삭제: {rule.label}")


# Keyed sections: name -> (description, items, consent-based)
Facts = dict[str, tuple[str, frozenset[str], bool]]


def _recipients(p: Policy) -> Facts:
    return {
        r.name: (", ".join(r.purposes), frozenset(r.items), r.basis.kind is BasisKind.CONSENT) for r in p.recipients
    }


def _trustees(p: Policy) -> Facts:
    # Outsourcing is disclosed, not consented to (제26조): never material by itself.
    return {t.name: ("; ".join(t.tasks), frozenset(), False) for t in p.trustees}


def _transfers(p: Policy) -> Facts:
    return {
        f"{t.recipient} ({t.country})": (
            ", ".join(t.purposes),
            frozenset(t.items),
            t.basis.kind is BasisKind.CONSENT,
        )
        for t in p.overseas_transfers
    }


def _decisions(p: Policy) -> Facts:
    return {d.label: (d.description, frozenset(d.items), False) for d in p.automated_decisions}


def _keyed(section: str, before: Facts, after: Facts) -> Iterator[Change]:
    widening = section != "처리 위탁"
    for name, (what, items, consent) in after.items():
        if name not in before:
            yield Change(section, f"추가: {name} — {what}", material=widening, reconsent=consent)
            continue
        old_what, old_items, _ = before[name]
        if items - old_items:
            yield Change(
                section,
                f"{name}: 항목 {len(items - old_items)}개 추가",
                material=widening,
                reconsent=consent,
            )
        if what != old_what:
            yield Change(section, f"{name}: 내용 변경 ({old_what} → {what})")
    for name in before:
        if name not in after:
            yield Change(section, f"삭제: {name}")


def _children(old: Policy, new: Policy) -> Iterator[Change]:
    o, n = old.children, new.children
    if n.admitted and not o.admitted:
        age = n.age_threshold
        yield Change("아동", f"만 {age}세 미만 아동의 가입을 받음 (법정대리인 동의)", material=True, reconsent=True)
    elif o.admitted and not n.admitted:
        yield Change("아동", f"만 {o.age_threshold}세 미만 아동의 가입을 받지 않음")
    elif n.admitted and set(n.verification_methods) != set(o.verification_methods):
        yield Change("아동", "법정대리인 동의 확인 방법 변경")

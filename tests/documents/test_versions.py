"""Policy versions: what changed, minor vs material, the notice date and re-consent (R-POL-4)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jikimi.documents import diff_policies, render_policy, version_history
from jikimi.errors import VersionError
from jikimi.policy import Policy, load_policy, load_policy_text

V1_PATH = Path(__file__).parents[1] / "policy" / "data" / "minimal.yaml"
V2_PATH = Path(__file__).parent / "data" / "v2.yaml"


@pytest.fixture(scope="module")
def v1() -> Policy:
    return load_policy(V1_PATH)


@pytest.fixture(scope="module")
def v2() -> Policy:
    return load_policy(V2_PATH)


def variant(old: str, new: str, *, version: str = "1.0.1", effective: str = "2026-02-01") -> Policy:
    """minimal.yaml with one edit, taking effect on ``effective``."""
    text = V1_PATH.read_text("utf-8")
    assert old in text
    text = text.replace(old, new).replace('version: "1.0"', f'version: "{version}"')
    return load_policy_text(text.replace("effective_date: 2026-01-01", f"effective_date: {effective}"))


def test_widening_is_material_with_30_day_notice_and_reconsent(v1: Policy, v2: Policy) -> None:
    d = diff_policies(v1, v2)
    assert d.material
    assert d.notice_date == date(2026, 1, 30)  # 2026-03-01 minus 30 days
    assert d.reconsent
    by_section = {c.section for c in d.changes}
    assert {"처리 항목", "처리 목적", "보유 기간", "제3자 제공", "처리 위탁"} <= by_section
    texts = [c.text for c in d.changes]
    assert "새로 수집: 휴대전화번호" in texts
    assert "새 목적: 이벤트 안내" in texts
    assert any("30일" in t and t.startswith("회원 정보:") for t in texts)
    assert "추가: 예시제휴 주식회사 — 제휴 혜택 제공" in texts


def test_report_is_korean_section_by_section(v1: Policy, v2: Policy) -> None:
    report = diff_policies(v1, v2).report()
    assert "변경 구분: 중요한 변경" in report
    assert "공지 시작일: 2026-01-30까지 (시행 30일 전, R-POL-4)" in report
    assert "다시 동의 받기: 필요" in report
    assert "[제3자 제공]" in report
    assert "[처리 위탁]" in report
    assert "membership" not in report  # keys never leak into the Korean text


def test_wording_only_change_is_minor_with_7_day_notice(v1: Policy) -> None:
    new = variant("label: 회원 관리", "label: 회원 관리와 본인 확인")
    d = diff_policies(v1, new)
    assert not d.material
    assert not d.reconsent
    assert d.notice_date == date(2026, 1, 25)  # 2026-02-01 minus 7 days
    assert d.changes == ()
    assert "경미한 변경" in d.report()


def test_shorter_retention_is_minor_longer_is_material(v1: Policy) -> None:
    longer = diff_policies(v1, variant("period: 0d", "period: 1y"))
    assert longer.material
    assert not longer.reconsent
    shorter = diff_policies(
        variant("period: 0d", "period: 1y"), variant("period: 0d", "period: 3m", version="1.1", effective="2026-03-01")
    )
    assert not shorter.material


def test_new_trustee_alone_is_minor(v1: Policy) -> None:
    new = variant("children:", "trustees:\n  - name: 예시호스팅\n    tasks: [서버 운영]\nchildren:")
    d = diff_policies(v1, new)
    assert [c.text for c in d.changes] == ["추가: 예시호스팅 — 서버 운영"]
    assert not d.material


def test_admitting_children_is_material_and_needs_consent() -> None:
    full = (Path(__file__).parent / "data" / "full.yaml").read_text("utf-8")
    before = load_policy_text(full.replace("admitted: true", "admitted: false").replace("2026-03-01", "2026-01-01"))
    d = diff_policies(before, load_policy_text(full))
    assert d.material
    assert d.reconsent
    assert any(c.section == "아동" for c in d.changes)


def test_new_version_must_take_effect_later(v1: Policy, v2: Policy) -> None:
    with pytest.raises(VersionError):
        diff_policies(v2, v1)


def test_version_history_in_the_rendered_policy(v1: Policy, v2: Policy) -> None:
    history = version_history([v2, v1])
    assert [h.version for h in history] == ["1.0", "1.1"]
    assert history[0].summary == "제정"
    html = render_policy(v2, "html", history)
    assert '<th scope="row">1.0</th><td>2026-01-01</td><td>제정</td>' in html
    assert "새 목적: 이벤트 안내" in html
    assert html.count('<th scope="row">1.1</th>') == 1


def test_versions_of_another_service_or_controller_are_refused(v1: Policy) -> None:
    other_service = variant("  key: example\n", "  key: another\n")
    with pytest.raises(VersionError, match="not versions of the same service"):
        diff_policies(v1, other_service)
    with pytest.raises(VersionError, match="not versions of the same service"):
        version_history([v1, other_service])
    other_controller = variant("  name: 주식회사 예시\n", "  name: 주식회사 다른회사\n")
    with pytest.raises(VersionError, match="not versions of the same controller"):
        diff_policies(v1, other_controller)

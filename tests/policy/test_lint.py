"""``jikimi policy lint``: each rule on a small input, and the findings on the seeds, examples and real policies."""

from __future__ import annotations

import glob
from datetime import date
from pathlib import Path

import pytest

from jikimi.errors import LintError
from jikimi.policy.lint import Finding, Severity, findings_markdown, lint_file, lint_text, lint_yaml

ROOT = Path(__file__).parents[2]
TODAY = date(2026, 11, 25)
MINIMAL = (Path(__file__).parent / "data" / "minimal.yaml").read_text("utf-8")

# A text with every mandatory heading and nothing wrong: the base the unit tests add one fault to.
CLEAN = """개인정보 처리방침
1. 개인정보의 처리 목적
회원 관리를 위해 처리합니다.
2. 처리하는 개인정보 항목
이메일 주소를 처리합니다.
3. 개인정보의 처리 및 보유 기간
탈퇴 시 파기합니다.
4. 개인정보의 파기 절차 및 방법
복구할 수 없게 삭제합니다.
5. 정보주체의 권리와 행사 방법
열람을 요구할 수 있습니다.
6. 개인정보 보호책임자
홍길동, privacy@example.com
7. 안전성 확보 조치
암호화합니다.
8. 권익침해 구제 방법
개인정보침해 신고센터 118
9. 처리방침의 변경
2026년 1월 1일부터 적용합니다.
"""


def rules(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


def with_line(line: str) -> list[Finding]:
    return lint_text(CLEAN + line + "\n", "t.txt", TODAY)


def edit(old: str, new: str) -> str:
    assert old in MINIMAL
    return MINIMAL.replace(old, new)


# --- text rules ---------------------------------------------------------------------------------------------


def test_clean_text_has_no_findings() -> None:
    assert lint_text(CLEAN, "t.txt", TODAY) == []


def test_missing_mandatory_section_is_an_error() -> None:
    text = CLEAN.replace("4. 개인정보의 파기 절차 및 방법\n", "")
    (finding,) = lint_text(text, "t.txt", TODAY)
    assert (finding.rule, finding.severity) == ("R-POL-1", Severity.ERROR)
    assert "파기" in finding.message


def test_cookies_without_their_section() -> None:
    assert rules(with_line("쿠키를 사용합니다.")) == {"R-POL-1"}
    assert with_line("10. 쿠키의 설치·운영 및 거부\n쿠키를 사용합니다.") == []


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("이 개인정보취급방침은 ...", "R-POL-9"),
        ("한국정보보호진흥원 개인정보침해신고센터", "R-HIST-5"),
        ("경찰청 사이버테러대응센터 : 1566-0112", "R-HIST-5"),
        ("방송통신위원회에 신고할 수 있습니다.", "R-HIST-5"),
        ("개인정보침해신고센터 (국번없이 1336)", "R-POL-10"),
        ("정보통신망 이용촉진 및 정보보호 등에 관한 법률 제29조에 따라 파기합니다.", "R-POL-9"),
        ("「개인정보 보호법」 제39조의6에 따라", "R-POL-9"),
        ("개인정보 보호법 시행규칙 별지 제8호 서식", "R-HIST-7"),
        ("[도구] 메뉴에서 [인터넷 옵션]을 선택합니다.", "R-POL-1"),
        ("Internet Explorer의 경우", "R-POL-1"),
        ("개인정보 보호책임자: OO팀 홍길동", "R-POL-1"),
        ("개인정보 보호책임자: ○○○", "R-POL-1"),
        ("[회사명]은 개인정보를 처리합니다.", "R-POL-1"),
        ("계정키\t권리 침해 방지\t영구", "R-RET-1"),
        ("1년 이상 서비스를 이용하지 않은 회원의 정보는 정보통신망법에 따라 분리 보관합니다.", "R-HIST-1"),
        ("만 18세 미만 미성년자는 법정대리인의 동의가 필요합니다.", "R-CHILD-1"),
        ("필수 항목: 이름, 주민등록번호, 전화번호", "R-CON-6"),
        ("자동화된 결정으로 부정 이용을 차단합니다.", "R-POL-2"),
    ],
)
def test_each_text_rule_fires_on_its_fault(line: str, rule: str) -> None:
    assert rules(with_line(line)) == {rule}


@pytest.mark.parametrize(
    "line",
    [
        "전자적 파일은 복구할 수 없도록 영구 삭제합니다.",  # 영구 삭제 is destruction, not retention
        "정보통신망법 제23조의2에 따라 주민등록번호를 처리합니다.",  # still-valid article, with a basis
        "경찰청 사이버수사국 (182)",
        "방송미디어통신위원회",
        "만 14세 미만 아동은 법정대리인의 동의를 받습니다.",
        "주민등록번호는 수집하지 않습니다.",
        "1년 이상 이용하지 않으면 회사 방침에 따라 휴면 처리하며, 다른 법령에 특별한 규정이 있으면 따릅니다.",
        "8세 이하의 아동 등의 보호의무자",  # 위치정보법 제26조
        "ooccnnmm.com은 고객의 정보를 보호합니다.",  # lowercase letters are not the OO placeholder
        "문의: 1833-6972",
    ],
)
def test_correct_wording_is_not_flagged(line: str) -> None:
    assert with_line(line) == []


def test_broadcasting_commission_is_obsolete_only_after_the_renaming() -> None:
    text = CLEAN + "방송통신위원회\n"
    assert rules(lint_text(text, "t.txt", date(2025, 9, 30))) == set()
    assert rules(lint_text(text, "t.txt", date(2025, 10, 1))) == {"R-HIST-5"}


def test_trustee_row_without_a_task() -> None:
    table = "수탁자\t위탁 업무\n예시호스팅\t서버 운영\n예시콜센터\t\n"
    findings = with_line(table)
    assert rules(findings) == {"R-XFER-5"}
    assert [f.line for f in findings] == [CLEAN.count("\n") + 3]


def test_location_is_line_and_column() -> None:
    (finding,) = with_line("안내: 개인정보취급방침")
    assert (finding.file, finding.line, finding.column) == ("t.txt", CLEAN.count("\n") + 1, 9)
    assert str(finding).startswith(f"t.txt:{finding.line}:9: error [R-POL-9]")
    assert finding.fix


# --- YAML rules ---------------------------------------------------------------------------------------------


def yaml_rules(text: str) -> set[str]:
    return rules(lint_yaml(text, "p.yaml", TODAY))


BASE_YAML = MINIMAL.replace("rights:", "safety_measures:\n  technical: [암호화]\nrights:")


def test_minimal_yaml_only_lacks_safety_measures() -> None:
    findings = lint_yaml(MINIMAL, "p.yaml", TODAY)
    assert [(f.rule, f.message) for f in findings] == [("R-POL-1", "안전성 확보 조치가 없음")]
    assert lint_yaml(BASE_YAML, "p.yaml", TODAY) == []


def test_yaml_permanent_retention_points_at_the_period() -> None:
    text = BASE_YAML.replace("period: 0d", "period: permanent")
    (finding,) = lint_yaml(text, "p.yaml", TODAY)
    assert finding.rule == "R-RET-1"
    assert text.splitlines()[finding.line - 1].strip() == "period: permanent"


def test_yaml_rrn_without_a_statute() -> None:
    purpose = "basis: {kind: contract}\n    items: [email, password]"
    assert purpose in BASE_YAML
    text = BASE_YAML.replace(
        "  password:\n", "  rrn:\n    label: 주민등록번호\n    format: rrn\n  password:\n", 1
    ).replace(purpose, "basis: {kind: contract}\n    items: [email, password, rrn]")
    assert yaml_rules(text) == {"R-CON-6"}
    with_law = text.replace(
        "basis: {kind: contract}\n    items: [email, password, rrn]",
        "basis: {kind: statute, law: 전기통신사업법}\n    items: [email, password, rrn]",
    )
    assert yaml_rules(with_law) == set()


def test_yaml_children_age_other_than_14() -> None:
    assert yaml_rules(BASE_YAML.replace("children:\n", "children:\n  age_threshold: 18\n")) == {"R-CHILD-1"}


def test_yaml_trustee_without_tasks() -> None:
    text = BASE_YAML.replace("children:", "trustees:\n  - name: 예시호스팅\n    tasks: []\nchildren:")
    assert yaml_rules(text) == {"R-XFER-5"}


def test_yaml_obsolete_terms_in_any_string() -> None:
    text = BASE_YAML.replace("name: 주식회사 예시", "name: 주식회사 예시\n  website: 개인정보취급방침 OO")
    assert yaml_rules(text) == {"R-POL-9", "R-POL-1"}


def test_yaml_automated_decision_without_items() -> None:
    text = BASE_YAML + "automated_decisions:\n  - label: 자동 차단\n    description: 반복 실패 시 차단\n"
    assert yaml_rules(text) == {"R-DSR-9"}


def test_yaml_officer_without_contact() -> None:
    assert yaml_rules(BASE_YAML.replace("    email: privacy@example.com\n", "")) == {"R-POL-1"}


def test_yaml_that_does_not_load_gives_load_findings() -> None:
    findings = lint_yaml(BASE_YAML.replace("format: 1", "format: 2"), "p.yaml", TODAY)
    assert rules(findings) == {"LOAD"}
    assert findings[0].severity is Severity.ERROR


def test_binary_and_cp949_files(tmp_path: Path) -> None:
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(LintError, match="not a text file"):
        lint_file(binary, TODAY)
    legacy = tmp_path / "cp949.txt"
    legacy.write_bytes((CLEAN + "개인정보취급방침\n").encode("cp949"))
    assert rules(lint_file(legacy, TODAY)) == {"R-POL-9"}


# --- the real texts -----------------------------------------------------------------------------------------

EXPECTED = {
    "examples/sources/seeds/123solution.txt": {"R-POL-1", "R-POL-9"},
    "examples/sources/seeds/1mm.txt": {"R-POL-9"},
    "examples/sources/seeds/ktmns.txt": {"R-HIST-5", "R-HIST-7", "R-POL-1"},
    "examples/sources/seeds/ooccnnmm.txt": {"R-CHILD-1", "R-CON-6", "R-POL-1", "R-POL-10"},
    "examples/sources/seeds/partnercenter.txt": {"R-HIST-5", "R-POL-1", "R-POL-9", "R-RET-1"},
    "examples/policies/123solution.yaml": {"R-POL-1", "R-POL-9"},
    "examples/policies/1mm.yaml": {"R-POL-1", "R-POL-9"},
    "examples/policies/ktmns.yaml": {"R-HIST-5", "R-HIST-7", "R-POL-1"},
    "examples/policies/ooccnnmm.yaml": {"R-CHILD-1", "R-POL-1"},
    "examples/policies/partnercenter.yaml": {"R-HIST-5", "R-POL-1", "R-POL-9", "R-RET-1"},
    "examples/sources/policies/01_starbucks_korea_sck.txt": {"R-HIST-7", "R-POL-1"},
    "examples/sources/policies/03_mcdonalds_korea_mcdelivery.txt": set(),
    "examples/sources/policies/05_naver.txt": {"R-POL-1"},
    "examples/sources/policies/07_dangjin_city.txt": {"R-CON-6", "R-HIST-7", "R-POL-1"},
    "examples/sources/policies/09_gluga_ohora_shop.txt": {"R-POL-1"},
    "examples/sources/policies/11_pulmuone_greenjuice_eatsslim.txt": {"R-HIST-5", "R-POL-1"},
    "examples/sources/policies/14_kakaoix_kakaofriends_store_2018.txt": {"R-HIST-1", "R-POL-1"},
    "examples/sources/policies/16_pintogether_app.txt": {"R-POL-1"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_rule_ids_per_file(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert rules(lint_file(name, TODAY)) == EXPECTED[name]


def test_lint_findings_doc_is_up_to_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/lint-findings.md is generated; regenerate it with the command in its header."""
    monkeypatch.chdir(ROOT)
    files = [
        *sorted(glob.glob("examples/sources/seeds/*.txt")),
        *sorted(glob.glob("examples/policies/*.yaml")),
        *sorted(glob.glob("examples/sources/policies/*.txt")),
    ]
    assert set(files) == set(EXPECTED)
    expected = findings_markdown([(f, lint_file(f, TODAY)) for f in files])
    assert (ROOT / "docs" / "lint-findings.md").read_text("utf-8") == expected

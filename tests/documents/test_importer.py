"""``jikimi policy import | facts`` and the rules under them: bad input gives a clear message, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jikimi.adapters.cli import app
from jikimi.documents.facts import Officer, TrusteeRow
from jikimi.documents.importer import NO_FACTS, extract_facts, import_policy, read_policy_text, text_problem
from jikimi.documents.structure import Table, fill_merged, find_dates, iso_period, parse_text
from jikimi.errors import LintError
from jikimi.policy import load_policy

runner = CliRunner()
ROOT = Path(__file__).parents[2]
KTMNS = ROOT / "examples/sources/seeds/ktmns.txt"
SMALL = """개인정보 처리방침

1. 개인정보의 보유 및 이용기간
- 계약 또는 청약철회 등에 관한 기록 : 5년
- 웹사이트 방문기록 : 3개월 (통신비밀보호법)

2. 개인정보 처리의 위탁
수탁업체\t위탁업무 내용
주식회사 예시택배\t상품 배송

3. 개인정보 보호책임자
- 성명 : 홍길동
- 전화번호 : 02-1234-5678
- 이메일 : privacy@example.com

시행일자 : 2026년 1월 1일
"""


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["import", "facts"])
def test_empty_file_is_refused_with_a_message(tmp_path: Path, command: str) -> None:
    result = runner.invoke(app, ["policy", command, str(write(tmp_path, "empty.txt", b""))])
    assert result.exit_code == 1
    assert "the file is empty" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("command", ["import", "facts"])
def test_non_korean_text_is_refused(tmp_path: Path, command: str) -> None:
    path = write(tmp_path, "en.txt", b"Privacy Policy\n\nWe keep your e-mail address for 3 years.\n")
    result = runner.invoke(app, ["policy", command, str(path)])
    assert result.exit_code == 1
    assert "not a Korean text" in result.output


@pytest.mark.parametrize("command", ["import", "facts"])
def test_binary_file_is_refused(tmp_path: Path, command: str) -> None:
    path = write(tmp_path, "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    result = runner.invoke(app, ["policy", command, str(path)])
    assert result.exit_code == 2
    assert "not a text file" in result.output


def test_missing_file_is_a_message(tmp_path: Path) -> None:
    result = runner.invoke(app, ["policy", "facts", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    assert "cannot read the file" in result.output


def test_cp949_text_is_decoded(tmp_path: Path) -> None:
    path = write(tmp_path, "cp949.txt", SMALL.encode("cp949"))
    assert read_policy_text(path) == SMALL
    result = runner.invoke(app, ["policy", "facts", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["officer"] == {"name": "홍길동", "phone": "02-1234-5678", "email": "privacy@example.com"}
    assert data["effective_date"] == "2026-01-01"


def test_text_with_no_facts_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, "story.txt", "옛날 옛적에 호랑이가 살았습니다.\n호랑이는 떡을 좋아했습니다.\n".encode())
    result = runner.invoke(app, ["policy", "import", str(path), "-o", str(tmp_path / "draft.yaml")])
    assert result.exit_code == 1
    assert "no facts found" in result.output
    assert not (tmp_path / "draft.yaml").exists()
    facts = runner.invoke(app, ["policy", "facts", str(path), "--json"])
    assert facts.exit_code == 1
    assert "no facts found" in facts.output
    assert import_policy(path.read_text("utf-8")) == ("", [NO_FACTS])


def test_problems_are_named_without_raising() -> None:
    assert text_problem("") == "the file is empty"
    assert text_problem("   \n\t") == "the file is empty"
    assert text_problem("hello") is not None
    assert text_problem("개인정보") is None
    assert extract_facts("\x00\x01garbage").is_empty()


def test_unreadable_bytes_raise_lint_error(tmp_path: Path) -> None:
    with pytest.raises(LintError, match="not a text file"):
        read_policy_text(write(tmp_path, "x.bin", b"\x00" * 10))


# --- the commands -------------------------------------------------------------------------------------------


def test_facts_json_has_the_documented_keys() -> None:
    result = runner.invoke(app, ["policy", "facts", str(KTMNS), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"effective_date", "officer", "retention", "trustees", "recipients", "items"}
    assert set(data["officer"]) == {"name", "phone", "email"}
    assert {"record": "성명, 전화번호", "period": "P3M", "basis": None} in data["retention"]
    assert set(data["trustees"][0]) == {"name", "task"}
    assert set(data["items"]) == {"required", "optional"}


def test_facts_without_json_prints_lines() -> None:
    result = runner.invoke(app, ["policy", "facts", str(KTMNS)])
    assert result.exit_code == 0
    assert "officer: 조한상 (02-560-3146, privacy@ktmns.com)" in result.output


def test_import_writes_a_draft_that_validates_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "draft.yaml"
    result = runner.invoke(app, ["policy", "import", str(KTMNS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "not placed" in result.output
    assert "section '제 11 장(개인정보의 기술적, 관리적 보호)'" in result.output
    text = out.read_text("utf-8")
    assert text.startswith("# Draft imported from ktmns.txt")
    policy = load_policy(out)
    assert policy.officers.privacy_officer.name == "조한상"
    assert len(policy.trustees) == 9
    # Rows the statutory catalogue states cite it; the source's wording stays in the note.
    contract = next(r for r in policy.retention if r.label == "계약 또는 청약철회 등에 관한 기록")
    assert contract.basis.statute == "ecommerce.contract_records"
    assert runner.invoke(app, ["policy", "validate", str(out)]).exit_code == 0


@pytest.mark.parametrize("text", sorted((ROOT / "examples/sources").glob("*/*.txt")), ids=lambda p: p.stem)
def test_every_source_text_imports_to_a_valid_draft_or_says_nothing_was_found(text: Path, tmp_path: Path) -> None:
    out = tmp_path / "draft.yaml"
    result = runner.invoke(app, ["policy", "import", str(text), "-o", str(out)])
    if result.exit_code == 1:
        assert "no facts found" in result.output
    else:
        assert result.exit_code == 0, result.output
        load_policy(out)


# --- structure ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("개정일자 : 2019년 2월 21일", ["2019-02-21"]),
        ("시행일자 : 2018년 07월 31일", ["2018-07-31"]),
        ("개정시행일자 : 2016.08.05.", ["2016-08-05"]),
        ("본 방침은 2024.04.12.부터 시행됩니다.", ["2024-04-12"]),
        ("* 개정/시행일 : 2024-10-07", ["2024-10-07"]),
        ("시행 2022/04/29", ["2022-04-29"]),
        ("시행일 2022. 4. 29.", ["2022-04-29"]),
        ("이 개인정보 처리방침은 2022. 09.변경되었으며", ["2022-09"]),
        ("버전 6.0", []),
    ],
)
def test_the_date_formats(line: str, expected: list[str]) -> None:
    assert find_dates(line) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5년", "P5Y"),
        ("3개월", "P3M"),
        ("12개월", "P12M"),
        ("회원탈퇴 신청 후 5일", "P5D"),
        ("회원 탈퇴 후 1년간", "P1Y"),
        ("영구", None),
        ("분쟁해결시까지", None),
        ("1년 이상 이용하지 않는", None),
    ],
)
def test_periods_are_iso_durations(text: str, expected: str | None) -> None:
    assert iso_period(text) == expected


def test_merged_cells_are_filled_from_the_row_above() -> None:
    table = Table(("구분", "목적", "항목"), (("회원", "가입", "이름"), ("탈퇴", "아이디"), ("", "문의", "")))
    assert fill_merged(table) == [("회원", "가입", "이름"), ("회원", "탈퇴", "아이디"), ("회원", "문의", "아이디")]
    trustees = Table(("수탁자", "업무"), (("A택배", "배송"), ("B택배",)))
    assert fill_merged(trustees, single_is_first=True) == [("A택배", "배송"), ("B택배", "배송")]


def test_a_table_of_contents_is_not_a_table_nor_headings() -> None:
    text = (
        "방침\n\n1. 개인정보 수집 및 이용목적\t2. 개인정보의 보유 및 이용기간\n\n"
        "1. 개인정보 수집 및 이용목적\n내용\n\n2. 개인정보의 보유 및 이용기간\n- 로그 기록 : 3개월\n"
    )
    sections = parse_text(text)
    assert [s.heading for s in sections] == ["", "1. 개인정보 수집 및 이용목적", "2. 개인정보의 보유 및 이용기간"]
    assert not list(sections[0].tables())


@pytest.mark.parametrize(
    "heading",
    [
        "제5장 개인정보의 보유 및 이용기간",
        "제9조(개인정보의 보유 및 이용기간)",
        "■ 개인정보의 보유 및 이용기간",
        "3. 개인정보의 보유 및 이용기간",
        "## 3. 개인정보의 보유 및 이용기간",
    ],
)
def test_heading_styles(heading: str) -> None:
    other = heading.replace("보유 및 이용기간", "파기").replace("3.", "4.").replace("5장", "6장").replace("9조", "10조")
    text = f"머리말\n\n{heading}\n- 로그 기록 : 3개월\n\n{other}\n파기합니다.\n"
    assert [s.topic for s in parse_text(text)][1:] == ["retention", "destruction"]
    assert extract_facts(text).retention[0].period == "P3M"


def test_bare_headings() -> None:
    text = (
        "개인정보 보호정책\n\n개인정보의 보유 및 이용기간\n- 가. 로그 기록 : 3개월\n\n"
        "개인정보의 보호책임자\n- 성명 : 홍길동\n"
    )
    facts = extract_facts(text)
    assert facts.retention[0].record == "로그 기록"
    assert facts.officer.name == "홍길동"


def test_line_endings_do_not_change_the_facts() -> None:
    text = KTMNS.read_text("utf-8")
    assert extract_facts(text.replace("\n", "\r\n")) == extract_facts(text)


def test_a_published_policy_in_cp949_reads_like_its_utf8_copy(tmp_path: Path) -> None:
    # The Pulmuone policy was published in EUC-KR/CP949 (examples/sources/policies/README.md).
    source = ROOT / "examples/sources/policies/11_pulmuone_greenjuice_eatsslim.txt"
    text = source.read_text("utf-8")
    path = write(tmp_path, "pulmuone.txt", text.encode("cp949"))
    assert extract_facts(read_policy_text(path)) == extract_facts(text)


def test_the_pipc_standard_template_wording() -> None:
    # The wording of the PIPC's standard 처리방침 template, which many small services publish as is.
    facts = extract_facts((Path(__file__).parent / "data" / "pipc_template.txt").read_text("utf-8"))
    assert facts.effective_date == "2026-03-01"
    assert facts.officer == Officer("홍길동", "02-1234-5678", "privacy@example.com")
    assert [(r.record, r.period) for r in facts.retention] == [
        ("홈페이지 회원가입 및 관리와 관련한 개인정보", "P3Y"),
        ("신용정보의 수집/처리 및 이용 등에 관한 기록", "P3Y"),
        ("소비자의 불만 또는 분쟁처리에 관한 기록", "P3Y"),
        ("대금결제 및 재화 등의 공급에 관한 기록", "P5Y"),
    ]
    assert facts.retention[0].basis == "전자상거래 등에서의 소비자 보호에 관한 법률"
    assert facts.trustees == (TrusteeRow("예시택배 주식회사", "주문 상품의 배송"),)
    assert facts.recipients == ()
    assert facts.items.required == ("이메일", "비밀번호", "이름")
    assert facts.items.optional == ("생년월일",)


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("문의\n개인정보 보호책임자 : 홍길동 (02)123-4567, privacy@example.com\n", "(02)123-4567"),
        ("문의\n개인정보 보호책임자 : 홍길동\n전화 (02) 1234-5678\n", "(02) 1234-5678"),
        ("문의\n개인정보 보호책임자 : 홍길동\n전화 070.1234.5678\n", "070.1234.5678"),
    ],
)
def test_an_officer_outside_an_officer_section_and_phone_formats(text: str, phone: str) -> None:
    officer = extract_facts(f"회사 소개\n\n{text}").officer
    assert (officer.name, officer.phone) == ("홍길동", phone)

"""The rendered 개인정보 처리방침: mandatory sections always, conditional ones exactly with their facts (R-POL-1/2)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from jikimi.documents import build_document, render_policy
from jikimi.documents.content import item_counts
from jikimi.documents.document import Table
from jikimi.documents.wording import AGENCIES
from jikimi.policy import Policy, load_policy, load_policy_text
from jikimi.policy.lint import Severity, lint_yaml

DATA = Path(__file__).parent / "data"
MINIMAL = Path(__file__).parents[1] / "policy" / "data" / "minimal.yaml"
EXAMPLES_DIR = Path(__file__).parents[2] / "examples" / "policies"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.yaml"))

MANDATORY = {
    "purposes": "개인정보의 처리 목적",
    "items": "처리하는 개인정보 항목",
    "retention": "개인정보의 처리 및 보유 기간",
    "destruction": "개인정보의 파기 절차 및 방법",
    "rights": "정보주체와 법정대리인의 권리·의무 및 행사 방법",
    "safety": "개인정보의 안전성 확보 조치",
    "officer": "개인정보 보호책임자와 담당부서",
    "remedies": "권익침해 구제 방법",
    "changes": "개인정보 처리방침의 변경",
}
CONDITIONAL = {
    "third_parties": "개인정보의 제3자 제공",
    "trustees": "개인정보 처리업무의 위탁",
    "overseas": "개인정보의 국외 이전",
    "cookies": "개인정보 자동 수집 장치의 설치·운영 및 거부",
    "automated_decisions": "자동화된 결정",
    "children": "만 14세 미만 아동의 개인정보 처리",
}


@pytest.fixture(scope="module")
def full() -> Policy:
    return load_policy(DATA / "full.yaml")


@pytest.fixture(scope="module")
def minimal() -> Policy:
    return load_policy(MINIMAL)


class _Outline(HTMLParser):
    """Collects h2 texts with their section ids, table header scopes, and anchors."""

    def __init__(self) -> None:
        super().__init__()
        self.h2: list[str] = []
        self.ids: set[str] = set()
        self.links: set[str] = set()
        self.th_scopes: list[str | None] = []
        self.lang: str | None = None
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "a" and (a.get("href") or "").startswith("#"):
            self.links.add((a["href"] or "")[1:])
        if tag == "th":
            self.th_scopes.append(a.get("scope"))
        if tag == "h2":
            self._in_h2 = True
            self.h2.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.h2[-1] += data


def outline(html: str) -> _Outline:
    parser = _Outline()
    parser.feed(html)
    return parser


def test_full_policy_has_every_section_numbered_in_order(full: Policy) -> None:
    o = outline(render_policy(full, "html"))
    titles = [re.sub(r"^\d+\. ", "", h) for h in o.h2 if re.match(r"^\d+\. ", h)]
    expected = {**MANDATORY, **CONDITIONAL}
    assert set(titles) == set(expected.values())
    # R-POL-8 order: purposes first, remedies then changes last.
    assert titles[0] == MANDATORY["purposes"]
    assert titles[-2:] == [MANDATORY["remedies"], MANDATORY["changes"]]
    assert set(expected) <= o.ids


def test_minimal_policy_has_mandatory_sections_only(minimal: Policy) -> None:
    doc = build_document(minimal)
    assert {s.id for s in doc.sections} == set(MANDATORY)
    html = render_policy(minimal, "html")
    for title in CONDITIONAL.values():
        assert f". {title}<" not in html
    assert "만 14세 미만 아동의 개인정보는 수집하지 않습니다." in html


def test_summary_and_toc_link_to_existing_sections(full: Policy, minimal: Policy) -> None:
    for policy in (full, minimal):
        o = outline(render_policy(policy, "html"))
        assert o.links, "the summary block and the table of contents link to sections"
        assert o.links <= o.ids
    labels = {lb.name for lb in build_document(minimal).labels}
    assert "제3자 제공" not in labels
    assert "제3자 제공" in {lb.name for lb in build_document(full).labels}


def test_html_is_accessible_and_printable(full: Policy) -> None:
    html = render_policy(full, "html")
    o = outline(html)
    assert o.lang == "ko"
    assert html.count("<h1>") == 1
    assert "<h1>개인정보 처리방침</h1>" in html
    assert o.th_scopes
    assert set(o.th_scopes) <= {"col", "row"}
    assert "<caption>" in html
    assert "@media print" in html


def test_retention_row_carries_its_statute_citation(full: Policy) -> None:
    table = build_document(full).section("retention")
    assert table is not None
    rows = [row for block in table.blocks if hasattr(block, "rows") for row in block.rows]
    payments = next(row for row in rows if row[0].startswith("대금결제 기록"))
    assert "5년" in payments[2]
    assert payments[3] == "「전자상거래 등에서의 소비자보호에 관한 법률」 제6조, 시행령 제6조"
    assert "(분리 보관)" in payments[0]
    membership = next(row for row in rows if row[0] == "회원 정보")
    assert membership[3] == "회원 관리 목적 달성 시까지 필요"


def test_consent_and_no_consent_data_are_separate_tables(full: Policy) -> None:
    section = build_document(full).section("purposes")
    assert section is not None
    captions = [b.caption for b in section.blocks if hasattr(b, "caption")]
    assert captions == ["동의를 받아 처리하는 개인정보", "동의 없이 처리하는 개인정보와 그 법적 근거"]
    no_consent = section.blocks[2]
    assert all(row[2] for row in no_consent.rows)  # type: ignore[union-attr]


def test_policy_text_is_escaped(full: Policy) -> None:
    html = render_policy(full, "html")
    assert "<script>" not in html
    assert "<b>&</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "주식회사 예시 &lt;b&gt;&amp;&lt;/b&gt;" in html
    md = render_policy(full, "md")
    assert "<script>" not in md
    assert "&lt;script&gt;" in md


def test_cookies_in_current_browsers_never_internet_explorer(full: Policy) -> None:
    for fmt in ("html", "md"):
        text = render_policy(full, fmt)
        for browser in ("Chrome", "Edge", "Safari", "Firefox"):
            assert browser in text
        assert "Internet Explorer" not in text
        assert "익스플로" not in text
        assert "인터넷 옵션" not in text


def test_remedies_list_current_agencies(minimal: Policy) -> None:
    html = render_policy(minimal, "html")
    for number in ("118", "1833-6972", "1301", "182"):
        assert f"<td>{number}</td>" in html
    assert {a.name for a in AGENCIES} >= {"개인정보 분쟁조정위원회", "대검찰청", "경찰청 사이버수사국"}
    for obsolete in ("한국정보보호진흥원", "사이버테러대응센터", "1336", "취급방침"):
        assert obsolete not in html


def test_children_section_names_age_and_verification(full: Policy) -> None:
    section = build_document(full).section("children")
    assert section is not None
    text = " ".join(getattr(b, "text", "") + " ".join(getattr(b, "items", ())) for b in section.blocks)
    assert "만 14세 미만" in text
    assert "본인확인기관" in text
    assert "법정대리인 휴대전화번호를 받으며" in text


def test_markdown_has_the_same_sections(full: Policy) -> None:
    md = render_policy(full, "md")
    for section_id, title in {**MANDATORY, **CONDITIONAL}.items():
        assert f'<a id="{section_id}"></a>' in md
        assert re.search(rf"^## \d+\. {re.escape(title)}$", md, re.MULTILINE)
    assert "| 대금결제 기록 (분리 보관) |" in md


def test_plain_words_no_hidden_lists(full: Policy) -> None:
    """R-POL-8: the fixed wording never hides a list behind "등" and never uses the old title."""
    text = render_policy(full, "md")
    assert not re.search(r"[가-힣] 등[을의이]?\s", text)
    assert "취급방침" not in text


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_renders_completely(path: Path) -> None:
    policy = load_policy(path)
    ids = {s.id for s in build_document(policy).sections}
    assert set(MANDATORY) <= ids
    assert ("trustees" in ids) == bool(policy.trustees)
    assert ("third_parties" in ids) == bool(policy.recipients)
    assert ("children" in ids) == policy.children.admitted
    assert "Internet Explorer" not in render_policy(policy, "html")


def _text(section: object) -> str:
    blocks = getattr(section, "blocks", ())
    return " ".join(getattr(b, "text", "") + " ".join(getattr(b, "items", ())) for b in blocks)


def _variant(old: str, new: str) -> Policy:
    text = MINIMAL.read_text("utf-8")
    assert old in text
    return load_policy_text(text.replace(old, new))


def test_no_safety_measures_is_stated_honestly_and_is_a_lint_error(minimal: Policy) -> None:
    """R-POL-1: the mandatory section never announces measures and then lists none."""
    assert not any(
        (minimal.safety_measures.administrative, minimal.safety_measures.technical, minimal.safety_measures.physical)
    )
    section = build_document(minimal).section("safety")
    assert section is not None
    text = _text(section)
    assert "다음" not in text
    assert "하고 있습니다" not in text
    assert "구체적인 내용은 이 개인정보 처리방침에 아직 적지 않았습니다." in text
    assert "개인정보 보호책임자에게 문의할 수 있습니다." in text
    findings = lint_yaml(MINIMAL.read_text("utf-8"), str(MINIMAL))
    assert ("R-POL-1", Severity.ERROR, "안전성 확보 조치가 없음") in {(f.rule, f.severity, f.message) for f in findings}


def test_safety_measures_are_listed_under_their_kind(full: Policy) -> None:
    section = build_document(full).section("safety")
    assert section is not None
    text = _text(section)
    assert text.startswith("「개인정보 보호법」 제29조에 따라 다음과 같이 안전성 확보에 필요한 조치를 하고 있습니다.")
    assert "비밀번호 일방향 암호화" in text
    assert "아직 적지 않았습니다" not in text


def test_summary_counts_distinct_items_over_subject_types_and_optional(full: Policy, minimal: Policy) -> None:
    """Items that differ per subject type count, each item once, and optional items are mentioned."""
    text = (
        MINIMAL.read_text("utf-8")
        .replace(
            "\nchannels:\n", "\nsubject_types:\n  child: {label: 어린이 회원}\n  adult: {label: 일반 회원}\nchannels:\n"
        )
        .replace(
            "    required: [email, password]\n    purposes",
            "    required: [email, password]\n"
            "    optional: [nickname]\n"
            "    by_subject_type:\n"
            "      child: {required: [guardian_phone, email]}\n"
            "      adult: {optional: [email]}\n"
            "    purposes",
        )
        .replace(
            "  password:\n",
            "  nickname: {label: 별명}\n  guardian_phone: {label: 법정대리인 휴대전화번호}\n  password:\n",
        )
        .replace(
            "    basis: {kind: contract}\n    items: [email, password]",
            "    basis: {kind: contract}\n    items: [email, password, nickname, guardian_phone]",
        )
    )
    policy = load_policy_text(text)
    assert item_counts(policy) == (3, 1)  # email, password, guardian_phone; nickname
    facts = {lb.name: lb.fact for lb in build_document(policy).labels}
    assert facts["처리 항목"] == "필수 3개, 선택 1개 항목 (이용자 유형에 따라 다름)"
    assert {lb.name: lb.fact for lb in build_document(full).labels}["처리 항목"] == "필수 4개, 선택 1개 항목"
    assert {lb.name: lb.fact for lb in build_document(minimal).labels}["처리 항목"] == "필수 2개 항목"


def test_rights_section_states_the_subjects_duties(minimal: Policy) -> None:
    """제30조①5 asks for 권리·의무: the heading keeps 의무, so the section states the duties."""
    section = build_document(minimal).section("rights")
    assert section is not None
    assert section.title == "정보주체와 법정대리인의 권리·의무 및 행사 방법"
    text = _text(section)
    assert "정보주체는 다음 사항을 지켜야 합니다." in text
    assert "본인의 개인정보를 최신 상태로 정확하게 유지해야 하며" in text
    assert "다른 사람의 개인정보와 사생활을 침해해서는 안 됩니다." in text


def test_sentences_never_end_in_a_colon_list(full: Policy, minimal: Policy) -> None:
    """R-POL-8: a finished sentence is not followed by ": a, b." — lists are lists."""
    for policy in (full, minimal):
        text = render_policy(policy, "md")
        assert not re.search(r"(니다|합니다)[:：]", text)
        assert "10일 안에 조치합니다." in text


def test_wording_reads_as_korean_prose(full: Policy, minimal: Policy) -> None:
    md = render_policy(minimal, "md")
    assert "이 개인정보 처리방침은 2026년 1월 1일부터 적용됩니다." in md
    assert "받겠습니다" not in md
    assert "정보주체는 개인정보 침해로 인한 구제를 받기 위해 다음 기관에" in md
    assert "구제를 받으려면" not in md
    assert "개인정보 보호책임자: 홍길동 (개인정보 보호책임자, privacy@example.com)" in md
    titled = _variant(
        "    name: 홍길동\n    title: 개인정보 보호책임자",
        "    name: 개인정보 보호책임자\n    title: 개인정보 보호책임자",
    )
    assert "- 개인정보 보호책임자: 개인정보 보호책임자 (privacy@example.com)" in render_policy(titled, "md")
    children = _text(build_document(full).section("children"))
    assert "처리정지를 요구하거나 동의를 철회할 수 있습니다." in children
    trustees = _text(build_document(full).section("trustees"))
    assert "재위탁 제한" in trustees
    assert "제26조에 따른 사항을" not in trustees


def test_no_retention_rule_is_a_sentence_not_an_empty_table() -> None:
    policy = load_policy(EXAMPLES_DIR / "ooccnnmm.yaml")
    assert not policy.retention
    section = build_document(policy).section("retention")
    assert section is not None
    assert not any(isinstance(b, Table) for b in section.blocks)
    assert "따로 보관하는 개인정보는 없습니다." in _text(section)
    assert {lb.name: lb.fact for lb in build_document(policy).labels}["보유 기간"] == "목적 달성 시 파기"


def test_special_items_sentence_uses_the_copula(full: Policy) -> None:
    policy = load_policy(EXAMPLES_DIR / "ooccnnmm.yaml")
    text = _text(build_document(policy).section("items"))
    assert "이 중 고유식별정보·민감정보에 해당하는 항목은 주민등록번호이며, 법령에 근거가 있거나" in text


def test_html_layout_numbers_the_toc_once_and_keeps_short_columns_readable(full: Policy) -> None:
    """The titles carry their numbers, so the list marker is off; narrow cells keep a minimum width."""
    html = render_policy(full, "html")
    assert '<li><a href="#purposes">1. 개인정보의 처리 목적</a></li>' in html
    assert "nav.toc ol { list-style: none;" in html
    assert "min-width: 5em;" in html
    assert ".summary h2 { margin-top: 0.5rem; }" in html

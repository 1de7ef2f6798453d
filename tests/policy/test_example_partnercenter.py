"""Facts of seeds/partnercenter.txt (LOEN 파트너센터, 2014) its policy-as-code must keep."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jikimi.policy import load_policy
from jikimi.policy.model import (
    AdvertisingChannel,
    BasisKind,
    ChannelKind,
    ClockStart,
    ConsentMethod,
    ItemCategory,
    ItemFormat,
    Policy,
    RetentionRule,
)
from jikimi.policy.statutes import statutes

POLICY_PATH = Path(__file__).resolve().parents[2] / "examples" / "policies" / "partnercenter.yaml"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(POLICY_PATH)


def item_key(policy: Policy, label: str) -> str:
    """The key of the one item labelled ``label``."""
    keys = [key for key, item in policy.items.items() if item.label == label]
    assert len(keys) == 1, f"expected one item labelled {label!r}, found {keys}"
    return keys[0]


def rule(policy: Policy, key: str) -> RetentionRule:
    found = [r for r in policy.retention if r.key == key]
    assert len(found) == 1, f"expected one retention rule {key!r}"
    return found[0]


def effective_period(r: RetentionRule) -> str | None:
    """The rule's period, or its statute's catalogue period when the rule omits it."""
    if r.period is not None:
        return r.period
    if r.basis.statute:
        return statutes()[r.basis.statute].period
    return None


def labels(policy: Policy, keys: tuple[str, ...] | set[str]) -> set[str]:
    return {policy.items[k].label for k in keys}


# --- identity ------------------------------------------------------------------------------------


def test_controller_service_and_effective_date(policy: Policy) -> None:
    assert policy.controller.name == "주식회사 로엔엔터테인먼트"
    assert policy.service.name == "파트너센터"
    assert policy.service.url == "partnermelon.com"
    assert policy.effective_date == date(2014, 6, 16)
    assert policy.title == "개인정보취급방침"


# --- items ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "category", "fmt"),
    [
        ("아이디", ItemCategory.GENERAL, ItemFormat.LOGIN_ID),
        ("비밀번호", ItemCategory.PASSWORD, ItemFormat.SECRET),
        ("사업자등록번호", ItemCategory.GENERAL, ItemFormat.BUSINESS_NUMBER),
        ("업무담당자 휴대전화번호", ItemCategory.GENERAL, ItemFormat.PHONE),
        ("업무담당자의 이메일", ItemCategory.GENERAL, ItemFormat.EMAIL),
        ("MelOn 회원 아이디", ItemCategory.DEVICE_IDENTIFIER, ItemFormat.LOGIN_ID),
        ("IP Address", ItemCategory.AUTO_GENERATED, ItemFormat.IP_ADDRESS),
        ("쿠키", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("접속로그", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("서비스 이용기록", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("이용정지 기록 등 불량이용기록", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("방문일시", ItemCategory.AUTO_GENERATED, ItemFormat.DATE),
    ],
)
def test_item_labels_and_categories(
    policy: Policy,
    label: str,
    category: ItemCategory,
    fmt: ItemFormat,
) -> None:
    item = policy.items[item_key(policy, label)]
    assert item.category is category
    assert item.format is fmt


@pytest.mark.parametrize("label", ["상호", "사업자등록번호", "회사 로고 이미지", "사업자대표전화"])
def test_business_data_is_not_personal(policy: Policy, label: str) -> None:
    assert policy.items[item_key(policy, label)].personal is False


@pytest.mark.parametrize(
    "label",
    ["아이디", "업무담당자 휴대전화번호", "업무담당자의 이메일", "MelOn 회원 아이디"],
)
def test_lookup_items_are_searchable(policy: Policy, label: str) -> None:
    assert policy.items[item_key(policy, label)].searchable is True


def test_social_network_accounts_are_items(policy: Policy) -> None:
    sns = policy.channels["social_accounts"]
    assert labels(policy, set(sns.optional)) == {
        "(공식) 페이스북 계정 정보",
        "(공식) 트위터 계정 정보",
        "(공식) 싸이월드 계정 정보",
        "(공식) 유튜브채널 정보",
    }


# --- channels ------------------------------------------------------------------------------------


def test_signup_covers_three_member_types_with_approval(policy: Policy) -> None:
    signup = policy.channels["signup"]
    assert signup.kind is ChannelKind.SIGNUP
    assert signup.approval is True
    assert ConsentMethod.WEB_CLICK in signup.methods
    assert {policy.subject_types[k].label for k in signup.subject_types} == {
        "소속사 회원",
        "유통사 회원",
        "아티스트 회원",
    }


COMMON_REQUIRED = {"아이디", "비밀번호", "업무담당자 성명", "업무담당자 휴대전화번호"}
COMMON_OPTIONAL = {"업무담당자의 이메일", "회사의 대리인임을 증명할 수 있는 기타 정보"}
COMPANY_REQUIRED = COMMON_REQUIRED | {"상호", "사업자등록번호"}
COMPANY_OPTIONAL = COMMON_OPTIONAL | {"대표자명", "회사 로고 이미지"}


@pytest.mark.parametrize(
    ("subject_type", "required", "optional"),
    [
        ("agency", COMPANY_REQUIRED, COMPANY_OPTIONAL),
        ("distributor", COMPANY_REQUIRED, COMPANY_OPTIONAL),
        ("artist", COMMON_REQUIRED | {"소속사 유무", "성명"}, COMMON_OPTIONAL | {"대표이미지"}),
    ],
)
def test_signup_items_per_member_type(
    policy: Policy, subject_type: str, required: set[str], optional: set[str]
) -> None:
    signup = policy.channels["signup"]
    per_type = signup.by_subject_type[subject_type]
    assert labels(policy, set(signup.required) | set(per_type.required)) == required
    assert labels(policy, set(signup.optional) | set(per_type.optional)) == optional


def test_linked_service_collects_only_melon_id(policy: Policy) -> None:
    linked = policy.channels["linked_service"]
    assert linked.kind is ChannelKind.LINKED_SERVICE
    assert "AZTalk" in linked.label
    assert labels(policy, policy.channel_items("linked_service")) == {"MelOn 회원 아이디"}
    assert [policy.purposes[p].consent for p in linked.purposes] == ["optional"]


def test_automatic_channel_items(policy: Policy) -> None:
    auto = policy.channels["automatic"]
    assert auto.kind is ChannelKind.AUTOMATIC
    assert labels(policy, policy.channel_items("automatic")) == {
        "서비스 이용기록",
        "접속로그",
        "쿠키",
        "IP Address",
        "이용정지 기록 등 불량이용기록",
        "방문일시",
    }


def test_inquiry_channel_items(policy: Policy) -> None:
    assert labels(policy, policy.channel_items("inquiry")) == {
        "문의자의 성명",
        "전화번호",
        "답변을 원하는 이메일",
    }


def test_offline_collection_methods(policy: Policy) -> None:
    methods = {m for ch in policy.channels.values() for m in ch.methods}
    assert {ConsentMethod.FAX, ConsentMethod.PHONE, ConsentMethod.MAIL} <= methods


# --- purposes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "label", "kind"),
    [
        ("service_provision", "파트너센터 서비스 제공", BasisKind.CONTRACT),
        ("member_management", "회원 관리", BasisKind.CONTRACT),
        ("legal_obligation", "기타 관련 법령에 따른 보유/보존 의무의 이행", BasisKind.STATUTE),
    ],
)
def test_purposes_of_the_source(policy: Policy, key: str, label: str, kind: BasisKind) -> None:
    purpose = policy.purposes[key]
    assert purpose.label == label
    assert purpose.basis.kind is kind


def test_service_development_purpose(policy: Policy) -> None:
    purpose = policy.purposes["service_development"]
    assert purpose.label.startswith("신규 서비스 개발 및 맞춤 서비스 제공")
    assert "회원의 서비스이용에 대한 통계" in purpose.label


def test_marketing_is_optional_consent_by_email(policy: Policy) -> None:
    marketing = policy.purposes["marketing"]
    assert marketing.basis.kind is BasisKind.CONSENT
    assert marketing.consent == "optional"
    assert marketing.marketing is True
    assert "업무담당자의 이메일" in labels(policy, marketing.items)
    assert policy.advertising is not None
    assert policy.advertising.purpose == "marketing"
    assert AdvertisingChannel.EMAIL in policy.advertising.channels


# --- retention -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "period", "starts"),
    [
        ("member_data", "0d", ClockStart.WITHDRAWAL),
        ("withdrawn_member_aftercare", "1y", ClockStart.WITHDRAWAL),
        ("permanent_account_key", "permanent", ClockStart.WITHDRAWAL),
        ("dispute", None, ClockStart.DISPUTE_RESOLUTION),
        ("individual_consent", None, ClockStart.CONSENT_PERIOD_END),
        ("ecommerce_contract_records", "5y", ClockStart.TRANSACTION),
        ("ecommerce_complaint_records", "3y", ClockStart.TRANSACTION),
        ("ecommerce_ad_records", "6m", ClockStart.TRANSACTION),
        ("site_visit_logs", "3m", ClockStart.TRANSACTION),
    ],
)
def test_retention_rows_match_source(
    policy: Policy,
    key: str,
    period: str | None,
    starts: ClockStart,
) -> None:
    r = rule(policy, key)
    assert effective_period(r) == period
    assert r.starts is starts


@pytest.mark.parametrize(
    ("key", "statute", "record_label"),
    [
        (
            "ecommerce_contract_records",
            "ecommerce.contract_records",
            "계약 또는 청약 철회에 관한 기록",
        ),
        (
            "ecommerce_complaint_records",
            "ecommerce.complaint_records",
            "소비자의 불만 또는 분쟁처리에 관한 기록",
        ),
        ("ecommerce_ad_records", "ecommerce.ad_records", "표시/광고에 관한 기록"),
        ("site_visit_logs", "commsecrets.log_records", "웹사이트 방문에 관한 기록"),
    ],
)
def test_statutory_rows_cite_catalogue(
    policy: Policy,
    key: str,
    statute: str,
    record_label: str,
) -> None:
    r = rule(policy, key)
    assert r.basis.statute == statute
    assert [policy.record_kinds[k].label for k in r.record_kinds] == [record_label]


def test_internal_one_year_row_items_and_separate_db(policy: Policy) -> None:
    r = rule(policy, "withdrawn_member_aftercare")
    assert r.basis.internal is not None
    assert r.basis.internal.startswith("탈퇴 회원의 중복 가입 여부 확인")
    assert r.separate_storage is True
    kept = labels(policy, r.items)
    assert {"아이디", "비밀번호", "상호", "사업자등록번호", "사업자대표전화", "사업자 구분"} <= kept


def test_permanent_row_keeps_account_key_and_business_number(policy: Policy) -> None:
    r = rule(policy, "permanent_account_key")
    assert r.basis.internal == "권리 침해 방지"
    assert labels(policy, r.items) == {"계정키", "사업자등록번호"}


# --- trustees, recipients ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "task"),
    [
        ("주식회사 오픈잇", "파트너서비스 개발 및 서비스 유지보수"),
        ("한국모바일인증 주식회사", "휴대전화를 이용한 본인확인 및 성인인증 서비스"),
        ("주식회사 테크앤조이", "회원 이용약관 및 세부이용지침 위반 게시물 모니터링 및 관리업무"),
    ],
)
def test_trustees_by_name_with_tasks(policy: Policy, name: str, task: str) -> None:
    trustee = next(t for t in policy.trustees if t.name == name)
    assert trustee.tasks == (task,)
    assert trustee.period == "위탁계약 종료시까지"


def test_three_trustees_and_no_named_recipients(policy: Policy) -> None:
    assert len(policy.trustees) == 3
    assert policy.recipients == ()


# --- people and contacts -------------------------------------------------------------------------


def test_privacy_officer_and_manager(policy: Policy) -> None:
    officer = policy.officers.privacy_officer
    assert officer.name == "이제욱"
    assert officer.department == "멜론사업본부"
    assert officer.title is not None
    assert "CPO" in officer.title
    manager = policy.officers.managers[0]
    assert manager.name == "정석우"
    assert manager.title is not None
    assert "CV추진팀장" in manager.title
    assert manager.email == "privacy@iloen.com"
    assert manager.phone == "02-2280-2777"


def test_customer_centre_contacts(policy: Policy) -> None:
    phones = {c.phone for c in policy.contacts}
    emails = {c.email for c in policy.contacts}
    assert phones == {"02-2280-2777"}
    assert "privacy@iloen.com" in emails
    assert any(c.note and "1:1 문의" in c.note for c in policy.contacts)


@pytest.mark.parametrize(
    ("name_part", "phone_part", "url"),
    [
        ("개인정보침해신고센터", "118", "http://privacy.kisa.or.kr"),
        ("경찰청 사이버테러대응센터", "02-393-9112", "http://www.ctrc.go.kr"),
        ("경찰청 사이버테러대응센터", "1566-0112", "http://www.ctrc.go.kr"),
    ],
)
def test_remedy_agencies_as_the_source_names_them(
    policy: Policy,
    name_part: str,
    phone_part: str,
    url: str,
) -> None:
    agency = next(r for r in policy.remedies if name_part in r.name)
    assert agency.phone is not None
    assert phone_part in agency.phone
    assert agency.url == url


# --- children, cookies, notice, destruction, rights ----------------------------------------------


def test_children_under_14_not_admitted(policy: Policy) -> None:
    assert policy.children.admitted is False
    assert policy.children.age_threshold == 14


def test_cookies_hold_only_member_id_and_expire_on_logout(policy: Policy) -> None:
    cookies = policy.cookies
    assert cookies is not None
    assert cookies.used is True
    assert labels(policy, cookies.items) == {"쿠키", "아이디"}
    assert len(cookies.purposes) == 2
    assert cookies.refusal is not None
    assert "도구>인터넷옵션>개인정보>고급" in cookies.refusal
    assert cookies.expiry is not None
    assert "로그 아웃" in cookies.expiry


def test_notice_days(policy: Policy) -> None:
    assert policy.notice.minor_days == 7
    assert policy.notice.material_days == 30
    assert any("공지사항" in c for c in policy.notice.channels)


def test_destruction_methods(policy: Policy) -> None:
    assert policy.destruction.paper is not None
    assert "분쇄기" in policy.destruction.paper
    assert "소각" in policy.destruction.paper
    assert "재생할 수 없는 기술적 방법" in policy.destruction.electronic
    assert "별도의 DB" in policy.destruction.procedure


def test_rights_channels_and_agents(policy: Policy) -> None:
    rights = policy.rights
    assert set(rights.channels) == {"서면", "유선", "파트너센터 홈페이지"}
    assert any("회원탈퇴신청" in s for s in rights.self_service)
    assert rights.agents_allowed is True
    assert rights.agent_proof is not None
    assert "위임장" in rights.agent_proof


def test_safety_measures_counts(policy: Policy) -> None:
    measures = policy.safety_measures
    assert len(measures.technical) == 5
    assert len(measures.administrative) == 8
    assert any("일방향 암호화" in m for m in measures.technical)
    assert any("특별 보호구역" in m for m in measures.physical)

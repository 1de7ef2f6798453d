"""Facts of examples/sources/seeds/123solution.txt that examples/policies/123solution.yaml must keep."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pytest

from jikimi.policy import load_policy
from jikimi.policy.model import (
    BasisKind,
    ChannelKind,
    ClockStart,
    ItemCategory,
    ItemFormat,
    Policy,
    RetentionRule,
)
from jikimi.policy.statutes import statutes

POLICY_PATH = Path(__file__).resolve().parents[2] / "examples" / "policies" / "123solution.yaml"


@cache
def policy() -> Policy:
    return load_policy(POLICY_PATH)


def rule(key: str) -> RetentionRule:
    matches = [r for r in policy().retention if r.key == key]
    assert len(matches) == 1, f"retention rule {key!r}"
    return matches[0]


def item_labels() -> set[str]:
    return {item.label for item in policy().items.values()}


def test_controller_service_and_dates() -> None:
    p = policy()
    assert p.controller.name == "(주)일이삼솔루션"
    assert p.controller.name_en == "123SOLUTION"
    assert p.service.name == "123solution글로벌국제전화"
    assert p.effective_date == date(2019, 2, 21)
    assert p.title == "글로벌국제전화 개인정보 보호정책"


@pytest.mark.parametrize(
    ("key", "label", "category", "fmt"),
    [
        ("mobile_phone", "전화번호", ItemCategory.GENERAL, ItemFormat.PHONE),
        (
            "device_id",
            "기기고유번호(디바이스 아이디 또는 IMEI)",
            ItemCategory.DEVICE_IDENTIFIER,
            ItemFormat.DEVICE_ID,
        ),
        ("login_id", "아이디", ItemCategory.DEVICE_IDENTIFIER, ItemFormat.LOGIN_ID),
        ("cookie", "쿠키", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("visit_datetime", "방문일시", ItemCategory.AUTO_GENERATED, ItemFormat.DATE),
        ("abuse_record", "불량 이용 기록", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("user_status", "이용자 상태정보", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("name", "이름(닉네임)", ItemCategory.GENERAL, ItemFormat.NAME),
        ("profile_photo", "프로필사진", ItemCategory.GENERAL, ItemFormat.IMAGE),
        ("email", "이메일주소 또는 이메일 형식의 아이디", ItemCategory.GENERAL, ItemFormat.EMAIL),
        ("ip_address", "접속IP정보", ItemCategory.AUTO_GENERATED, ItemFormat.IP_ADDRESS),
        ("access_log", "접속로그", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("call_numbers", "발/수신 번호", ItemCategory.AUTO_GENERATED, ItemFormat.PHONE),
        ("call_time", "통화시각", ItemCategory.AUTO_GENERATED, ItemFormat.DATE),
        ("usage_count", "사용도수", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("suspension_record", "이용정지 기록", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("rrn", "주민등록번호", ItemCategory.UNIQUE_IDENTIFIER, ItemFormat.RRN),
        ("real_name", "성명", ItemCategory.GENERAL, ItemFormat.NAME),
        ("signup_motive", "가입동기", ItemCategory.GENERAL, ItemFormat.TEXT),
    ],
)
def test_items_have_source_label_and_category(key: str, label: str, category: ItemCategory, fmt: ItemFormat) -> None:
    item = policy().items[key]
    assert item.label == label
    assert item.category is category
    assert item.format is fmt


@pytest.mark.parametrize(
    "label",
    [
        "단말의 주소록에 저장된 개인정보",
        "'등록' 메뉴를 이용한 기재하는 개인정보",
        "이용자의 전화기 내의 전화번호부에 저장되어 있는 국제전화 전화번호",
        '"서비스" 이용기록',
        "결제내역",
        "이용내역",
        "서비스번호",
        "정보통신망에 접속된 정보통신기기의 위치자료",
    ],
)
def test_item_labels_present(label: str) -> None:
    assert label in item_labels()


def test_account_identifiers_are_searchable() -> None:
    items = policy().items
    for key in ("mobile_phone", "device_id", "login_id", "email"):
        assert items[key].searchable, key


def test_channels_and_their_items() -> None:
    channels = policy().channels
    assert set(channels) == {"app_automatic", "voluntary"}
    auto = channels["app_automatic"]
    assert auto.kind is ChannelKind.AUTOMATIC
    assert {"cookie", "visit_datetime", "ip_address", "call_numbers"} <= set(auto.required)
    voluntary = channels["voluntary"]
    assert voluntary.kind is ChannelKind.SIGNUP
    assert {"mobile_phone", "device_id"} <= set(voluntary.required)
    assert {"address_book", "name", "profile_photo", "email"} <= set(voluntary.optional)


def test_account_is_phone_number_plus_device_id() -> None:
    basic = policy().purposes["basic_calling"]
    assert basic.basis.kind is BasisKind.CONTRACT
    assert {"mobile_phone", "device_id", "contact_intl_numbers"} == set(basic.items)


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("friend_search", "연락처에 등록된 지인의 검색, 알림, 자동 등록을 위해"),
        ("friend_suggestion", "지인일 가능성이 있는 다른 이용자의 검색과 알림을 위해"),
        ("identity_and_fraud", "본인확인과 부정 이용 방지를 위해"),
        ("notices", "중요한 공지사항 등을 필요에 따라 공지를 위해"),
        ("ad_messages", "이벤트 등 광고성 정보의 전달을 위해"),
        ("payment_billing", '상품 구매, "유료서비스" 이용 시의 요금 결제 및 청구를 위해'),
        ("new_service_marketing", '신규 "서비스" 개발 및 마케팅, 광고에의 활용'),
        ("membership", '"회원관리"'),
    ],
)
def test_purposes_present(key: str, label: str) -> None:
    assert policy().purposes[key].label == label


def test_friend_search_uses_address_book() -> None:
    assert {"contact_intl_numbers", "address_book"} <= set(policy().purposes["friend_search"].items)


def test_marketing_purposes_are_optional_consent() -> None:
    marketing = {k for k, p in policy().purposes.items() if p.marketing}
    assert marketing == {"new_service_marketing", "campaign_gifts", "ad_messages"}
    for key in marketing:
        purpose = policy().purposes[key]
        assert purpose.basis.kind is BasisKind.CONSENT
        assert purpose.consent == "optional"


@pytest.mark.parametrize(
    ("key", "period", "starts"),
    [
        ("account", "0d", ClockStart.WITHDRAWAL),
        ("usage_records", "0d", ClockStart.PURPOSE_COMPLETION),
        ("member_info", "5y", ClockStart.WITHDRAWAL),
        ("comm_facts_subscriber", "12m", ClockStart.WITHDRAWAL),
    ],
)
def test_retention_rows_with_own_period(key: str, period: str, starts: ClockStart) -> None:
    r = rule(key)
    assert r.period == period
    assert r.starts is starts


@pytest.mark.parametrize(
    ("key", "statute", "catalogue_period"),
    [
        ("call_detail_records", "commsecrets.comm_facts", "12m"),
        ("ad_records", "ecommerce.ad_records", "6m"),
        ("contract_records", "ecommerce.contract_records", "5y"),
        ("payment_supply_records", "ecommerce.payment_supply_records", "5y"),
        ("complaint_records", "ecommerce.complaint_records", "3y"),
    ],
)
def test_retention_rows_match_source(key: str, statute: str, catalogue_period: str) -> None:
    r = rule(key)
    assert r.basis.statute == statute
    assert r.record_kinds == (key,)
    effective = r.period or statutes()[statute].period
    assert effective == catalogue_period


def test_retention_row_count() -> None:
    assert len(policy().retention) == 9


def test_member_info_kept_five_years_under_ecommerce_act() -> None:
    r = rule("member_info")
    assert set(r.items) == {"login_id", "mobile_phone", "email", "signup_motive"}
    assert r.basis.law == "전자상거래 등에서의 소비자보호에 관한 법률"
    assert r.separate_storage


def test_subscriber_data_kept_twelve_months_under_comm_secrets_act() -> None:
    r = rule("comm_facts_subscriber")
    assert set(r.items) == {"real_name", "rrn", "service_number"}
    assert r.basis.law == "통신비밀보호법"
    assert r.basis.article == "제15조의2"


def test_call_detail_records_items() -> None:
    assert set(rule("call_detail_records").items) == {
        "call_time",
        "call_numbers",
        "usage_count",
        "device_location",
    }


def test_no_trustees_and_police_recipient() -> None:
    p = policy()
    assert p.trustees == ()
    assert [r.name for r in p.recipients] == ["수사기관"]
    assert {"rrn", "call_numbers"} <= set(p.recipients[0].items)


def test_privacy_officer() -> None:
    officers = policy().officers
    officer = officers.privacy_officer
    assert officer.name == "이루비"
    assert officer.title == "팀장"
    assert officer.department == "일이삼솔루션사업본부"
    assert officer.phone == "1533-6543"
    assert officer.email == "na@123solution.co.kr"
    assert officers.department is not None
    assert officers.department.phone == "1533-6543"


def test_no_remedy_agencies_stated() -> None:
    assert policy().remedies == ()


def test_children_rule() -> None:
    children = policy().children
    assert children.age_threshold == 14
    assert not children.admitted
    assert children.note is not None
    assert "만 14세 미만 아동" in children.note


def test_cookies() -> None:
    cookies = policy().cookies
    assert cookies is not None
    assert cookies.used
    assert cookies.items == ("cookie",)
    assert cookies.refusal is not None
    assert "[인터넷옵션]" in cookies.refusal
    assert cookies.expiry == "쿠키는 브라우저의 종료 시나 로그 아웃 시 만료됩니다."


def test_advertising_and_consent_methods() -> None:
    p = policy()
    assert p.advertising is not None
    assert p.advertising.purpose == "ad_messages"
    assert p.advertising.channels == ()
    assert set(p.consent_methods) == {"signed_form", "web_click"}


def test_rights_channels() -> None:
    rights = policy().rights
    assert set(rights.channels) == {"서면", "전화", "이메일"}
    assert '"회원탈퇴"' in rights.self_service
    assert not rights.agents_allowed


def test_refusing_consent_blocks_service() -> None:
    assert '수집 동의 거부 시에는 "서비스" 이용이 불가합니다.' in policy().service_restrictions

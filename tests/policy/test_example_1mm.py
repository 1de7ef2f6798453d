"""Facts of the 1mm source policy (seeds/1mm.txt) that examples/policies/1mm.yaml must keep."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jikimi.policy import Policy, RetentionRule, load_policy, statutes
from jikimi.policy.model import (
    BasisKind,
    ChannelKind,
    ClockStart,
    ConsentMethod,
    ItemCategory,
    ItemFormat,
    RepresentativeVerification,
)

POLICY_PATH = Path(__file__).resolve().parents[2] / "examples" / "policies" / "1mm.yaml"
POLICY: Policy = load_policy(POLICY_PATH)


def rule(key: str) -> RetentionRule:
    found = [r for r in POLICY.retention if r.key == key]
    assert len(found) == 1, f"no single retention rule {key!r}"
    return found[0]


def effective_period(r: RetentionRule) -> str | None:
    """The rule's own period, or the catalogue's for a statutory rule that omits it."""
    if r.period is not None:
        return r.period
    entry = statutes().get(r.basis.statute or "")
    return entry.period if entry else None


def labels(keys: tuple[str, ...] | set[str]) -> set[str]:
    return {POLICY.items[k].label for k in keys}


def contact_phones() -> set[str]:
    return {c.phone for c in POLICY.contacts if c.phone}


# --- identity -----------------------------------------------------------------------------------


def test_identity_and_effective_date() -> None:
    assert POLICY.controller.name == "주식회사 1mm"
    assert POLICY.controller.website == "www.1mm.co.kr"
    assert POLICY.service.name == "1mm"
    assert "음악" in (POLICY.service.description or "")
    assert POLICY.effective_date == date(2016, 8, 5)
    assert POLICY.title == "개인정보취급방침"


def test_privacy_officer_is_only_a_title_without_contact_details() -> None:
    officer = POLICY.officers.privacy_officer
    assert officer.title == "개인정보관리책임자"
    assert officer.phone is None
    assert officer.email is None
    assert [m.title for m in POLICY.officers.managers] == ["개인정보보호담당자"]


def test_no_remedies_trustees_or_recipients_are_listed() -> None:
    assert POLICY.remedies == ()
    assert POLICY.trustees == ()
    assert POLICY.recipients == ()
    assert POLICY.overseas_transfers == ()


@pytest.mark.parametrize(
    ("phone", "task"),
    [
        ("1577-5337", "서비스 이용관련 문의"),
        ("1577-5111", "서비스 문의"),
        ("1588-0011", "1mm 부가서비스 상품 이용 문의"),
    ],
)
def test_customer_centre_numbers(phone: str, task: str) -> None:
    assert any(c.phone == phone and task in c.tasks for c in POLICY.contacts)


def test_email_inquiry_is_in_app_only() -> None:
    in_app = [c for c in POLICY.contacts if "(이메일)문의 하기" in c.tasks]
    assert len(in_app) == 1
    assert in_app[0].email is None
    assert "MY1mm > 내정보 보기" in (in_app[0].note or "")
    assert contact_phones() == {"1577-5337", "1577-5111", "1588-0011"}


# --- items --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "label", "category", "fmt"),
    [
        ("mobile_phone", "휴대전화번호", ItemCategory.GENERAL, ItemFormat.PHONE),
        ("email", "이메일 주소", ItemCategory.GENERAL, ItemFormat.EMAIL),
        ("login_id", "ID", ItemCategory.GENERAL, ItemFormat.LOGIN_ID),
        ("birth_date", "생년월일", ItemCategory.GENERAL, ItemFormat.DATE),
        ("guardian_phone", "법정대리인의 연락전화번호", ItemCategory.GENERAL, ItemFormat.PHONE),
        ("guardian_name", "법정대리인 실명", ItemCategory.GENERAL, ItemFormat.NAME),
        ("device_id", "기기고유정보", ItemCategory.DEVICE_IDENTIFIER, ItemFormat.DEVICE_ID),
        ("card_number", "카드번호", ItemCategory.PAYMENT, ItemFormat.CARD_NUMBER),
        ("card_expiry", "카드유효기간", ItemCategory.PAYMENT, ItemFormat.TEXT),
        ("card_info", "신용카드 정보", ItemCategory.PAYMENT, ItemFormat.TEXT),
        ("account_number", "계좌번호", ItemCategory.PAYMENT, ItemFormat.ACCOUNT_NUMBER),
        ("account_holder_name", "예금주의 성명", ItemCategory.GENERAL, ItemFormat.NAME),
        ("password", "비밀번호", ItemCategory.PASSWORD, ItemFormat.SECRET),
        ("access_log", "접속로그", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("cookie", "쿠키", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("ip_address", "접속IP 정보", ItemCategory.AUTO_GENERATED, ItemFormat.IP_ADDRESS),
        ("usage_record", "서비스 이용시간/이용기록", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("suspension_record", "이용정지기록", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("address", "주소", ItemCategory.GENERAL, ItemFormat.ADDRESS),
        ("address_book", "단말기에 저장된 이름 및 전화번호", ItemCategory.GENERAL, ItemFormat.TEXT),
        (
            "discount_certificates",
            "이용요금의 할인을 위한 국가유공자증명, 복지할인증명 등 제증명 사항",
            ItemCategory.SENSITIVE,
            ItemFormat.TEXT,
        ),
    ],
)
def test_item_label_category_and_format(key: str, label: str, category: ItemCategory, fmt: ItemFormat) -> None:
    item = POLICY.items[key]
    assert item.label == label
    assert item.category is category
    assert item.format is fmt


@pytest.mark.parametrize("key", ["mobile_phone", "email", "login_id", "device_id", "auth_key", "inquiry_email"])
def test_lookup_items_are_searchable(key: str) -> None:
    assert POLICY.items[key].searchable


def test_no_unique_identifier_is_declared() -> None:
    # The source asks for "고유식별번호 수집동의" but lists no such item.
    assert all(i.category is not ItemCategory.UNIQUE_IDENTIFIER for i in POLICY.items.values())
    assert "고유식별번호 수집동의" in (POLICY.children.note or "")


# --- channels -----------------------------------------------------------------------------------


def test_signup_items_and_child_representative_items() -> None:
    signup = POLICY.channels["signup"]
    assert signup.kind is ChannelKind.SIGNUP
    assert set(signup.required) == {"mobile_phone", "email", "login_id"}
    assert set(signup.optional) == {"birth_date", "auth_key"}
    assert set(signup.by_subject_type["child"].required) == {"guardian_name", "guardian_phone"}
    assert {t.label for t in POLICY.subject_types.values()} == {"일반 회원", "어린이 회원"}


def test_device_registration_items_are_optional() -> None:
    ch = POLICY.channels["device_registration"]
    assert ch.kind is ChannelKind.PAID_SERVICE
    assert ch.required == ()
    assert labels(set(ch.optional)) == {
        "휴대전화번호",
        "가입 통신사",
        "결제승인번호",
        "모델명",
        "기기고유정보",
        "전화번호",
    }


def test_payment_items_per_method() -> None:
    ch = POLICY.channels["payment"]
    assert ch.kind is ChannelKind.PAYMENT
    assert ch.required == ()
    card = {"card_company", "card_number", "card_expiry", "phone_number", "email"}
    phone = {"mobile_phone", "carrier", "payment_approval_number"}
    transfer = {"bank_name", "account_number", "account_holder_name"}
    others = {"value_added_service_info", "discount_certificates", "address_change_info"}
    assert set(ch.optional) == card | phone | transfer | others


def test_automatically_generated_items() -> None:
    ch = POLICY.channels["automatic"]
    assert ch.kind is ChannelKind.AUTOMATIC
    assert {
        "usage_record",
        "access_log",
        "password",
        "used_content",
        "cookie",
        "ip_address",
        "billing_record",
        "suspension_record",
        "address",
        "card_info",
        "mobile_phone",
        "os",
        "os_version",
        "device_model",
        "browser",
        "address_book",
    } == set(ch.required)


@pytest.mark.parametrize(
    ("key", "kind", "items"),
    [
        ("inquiry", ChannelKind.CUSTOMER_CENTRE, {"inquiry_email"}),
        ("counselling", ChannelKind.CUSTOMER_CENTRE, set()),
        ("event", ChannelKind.EVENT, set()),
        ("partners", ChannelKind.OTHER, set()),
    ],
)
def test_other_collection_channels(key: str, kind: ChannelKind, items: set[str]) -> None:
    assert POLICY.channels[key].kind is kind
    assert POLICY.channel_items(key) == items


# --- purposes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "label_part", "kind"),
    [
        ("contract_billing", "서비스 제공에 따른 요금정산", BasisKind.CONTRACT),
        ("content_payment", "금융거래 본인 인증 및 금융 서비스, 요금추심", BasisKind.CONTRACT),
        ("member_management", "회원 관리", BasisKind.CONTRACT),
        ("guardian_consent", "법정 대리인 동의여부 확인", BasisKind.STATUTE),
        ("marketing", "마케팅 및 광고에 활용", BasisKind.CONSENT),
        ("service_improvement", "연령/성별 등 개인맞춤형 서비스 제공", BasisKind.CONSENT),
        ("outsourcing", "수탁자에게 서비스제공 등 계약의 이행에 필요한 업무의 위탁", BasisKind.CONTRACT),
        ("cookie_personalisation", "차별화된 정보를 제공", BasisKind.LEGITIMATE_INTEREST),
        ("cookie_target_marketing", "타켓(Target) 마케팅", BasisKind.CONSENT),
    ],
)
def test_purposes_and_bases(key: str, label_part: str, kind: BasisKind) -> None:
    purpose = POLICY.purposes[key]
    assert label_part in purpose.label
    assert purpose.basis.kind is kind


def test_purpose_keys_are_exactly_the_source_purposes() -> None:
    assert set(POLICY.purposes) == {
        "contract_billing",
        "content_payment",
        "member_management",
        "guardian_consent",
        "marketing",
        "service_improvement",
        "outsourcing",
        "cookie_personalisation",
        "cookie_target_marketing",
    }


@pytest.mark.parametrize("key", ["marketing", "cookie_target_marketing"])
def test_marketing_needs_optional_consent(key: str) -> None:
    purpose = POLICY.purposes[key]
    assert purpose.marketing
    assert purpose.consent == "optional"


def test_only_the_marketing_purposes_are_marketing() -> None:
    marketing = {k for k, p in POLICY.purposes.items() if p.marketing}
    assert marketing == {"marketing", "cookie_target_marketing"}


def test_marketing_covers_prize_delivery_and_cyber_money() -> None:
    marketing = POLICY.purposes["marketing"]
    assert "address" in marketing.items
    assert "캐시(사이버 머니)" in (marketing.description or "")


def test_guardian_items_locked_to_guardian_consent() -> None:
    guardian = POLICY.purposes["guardian_consent"]
    assert guardian.basis.statute == "pipa.child_age"
    users = {k for k, p in POLICY.purposes.items() if {"guardian_name", "guardian_phone"} & set(p.items)}
    assert users == {"guardian_consent"}


# --- retention ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "label", "period", "starts", "statute"),
    [
        (
            "contract_records",
            "계약 또는 청약철회에 관한 기록",
            "5y",
            ClockStart.TRANSACTION,
            "ecommerce.contract_records",
        ),
        (
            "payment_records",
            "대금 결제 및 재화 등의 공급에 관한 기록",
            "5y",
            ClockStart.TRANSACTION,
            "ecommerce.payment_supply_records",
        ),
        (
            "complaint_records",
            "소비자의 불만 또는 분쟁처리에 관한 기록",
            "3y",
            ClockStart.TRANSACTION,
            "ecommerce.complaint_records",
        ),
        (
            "visit_logs",
            "사이트 방문에 관한 기록",
            "3m",
            ClockStart.TRANSACTION,
            "commsecrets.log_records",
        ),
    ],
)
def test_retention_rows_match_source(key: str, label: str, period: str, starts: ClockStart, statute: str) -> None:
    r = rule(key)
    assert r.label == label
    assert effective_period(r) == period
    assert r.starts is starts
    assert r.basis.statute == statute
    assert r.record_kinds, "a statutory row keeps operational records"


def test_payment_row_names_all_four_laws() -> None:
    note = rule("payment_records").note or ""
    for law in ("전자상거래", "국세기본법", "법인세법", "부가가치세법"):
        assert law in note


def test_visit_log_record_holds_access_logs() -> None:
    assert set(POLICY.record_kinds["visit_log"].items) == {"access_log", "ip_address"}


@pytest.mark.parametrize(
    ("key", "purpose"),
    [
        ("member_data", "member_management"),
        ("guardian_data", "guardian_consent"),
        ("paid_service_data", "content_payment"),
        ("usage_data", "service_improvement"),
    ],
)
def test_live_data_destroyed_on_withdrawal(key: str, purpose: str) -> None:
    r = rule(key)
    assert r.period == "0d"
    assert r.starts is ClockStart.WITHDRAWAL
    assert r.basis.purpose == purpose


def test_dispute_and_individual_consent_retention() -> None:
    dispute = rule("dispute")
    assert dispute.starts is ClockStart.DISPUTE_RESOLUTION
    assert dispute.period is None
    assert "분쟁" in (dispute.basis.internal or "")
    consent = rule("individual_consent")
    assert consent.starts is ClockStart.CONSENT_PERIOD_END
    assert consent.basis.consent == "회사가 개별적으로 고객의 동의를 받은 경우"


def test_retention_has_exactly_the_source_rows() -> None:
    assert {r.key for r in POLICY.retention} == {
        "member_data",
        "guardian_data",
        "paid_service_data",
        "usage_data",
        "dispute",
        "individual_consent",
        "contract_records",
        "payment_records",
        "complaint_records",
        "visit_logs",
    }
    assert all(r.period != "permanent" for r in POLICY.retention)


# --- children, consent, cookies, notice ---------------------------------------------------------


def test_children_under_14_join_via_real_name_agency() -> None:
    children = POLICY.children
    assert children.age_threshold == 14
    assert children.admitted
    assert children.verification_methods == (RepresentativeVerification.REAL_NAME_AGENCY,)
    assert set(children.representative_items) == {"guardian_name", "guardian_phone"}
    assert children.purpose == "guardian_consent"
    assert not children.no_advertising


def test_consent_methods() -> None:
    assert set(POLICY.consent_methods) == {
        ConsentMethod.WEB_CLICK,
        ConsentMethod.SIGNED_FORM,
        ConsentMethod.PHONE,
        ConsentMethod.APP_POPUP,
        ConsentMethod.SMS,
        ConsentMethod.MAIL,
        ConsentMethod.EMAIL,
        ConsentMethod.FAX,
    }


def test_advertising_only_with_marketing_consent() -> None:
    assert POLICY.advertising is not None
    assert POLICY.advertising.purpose == "marketing"
    assert not POLICY.advertising.night_time


def test_cookies() -> None:
    cookies = POLICY.cookies
    assert cookies is not None
    assert cookies.used
    assert set(cookies.items) == {"login_id", "ip_address", "access_log", "used_content", "cookie"}
    assert any("타켓(Target) 마케팅" in p for p in cookies.purposes)
    assert "웹브라우저에서 옵션을 설정" in (cookies.refusal or "")
    assert cookies.expiry is None


def test_notice_days_and_channels() -> None:
    assert POLICY.notice.minor_days == 7
    assert POLICY.notice.material_days == 30
    assert any("공지사항" in c for c in POLICY.notice.channels)


def test_business_transfer_notice_is_kept_in_notes() -> None:
    assert any("30일 이상 그 사실을 공지" in n for n in POLICY.notes)


# --- destruction, rights, safety, roles ---------------------------------------------------------


def test_destruction_methods() -> None:
    assert "분쇄기로 분쇄" in (POLICY.destruction.paper or "")
    assert "재생할 수 없는 기술적 방법" in POLICY.destruction.electronic
    assert "제5장" in POLICY.destruction.procedure


def test_rights_channels_and_agent_proof() -> None:
    rights = POLICY.rights
    assert any("「내 정보」" in s for s in rights.self_service)
    assert any("「회원탈퇴」" in s for s in rights.self_service)
    assert {"유선", "서면"} <= set(rights.channels)
    assert rights.agents_allowed
    assert "위임장 및 인감증명서" in (rights.agent_proof or "")
    assert not rights.correction_propagates
    assert not rights.provision_history


@pytest.mark.parametrize(
    ("section", "phrase"),
    [
        ("technical", "방화벽"),
        ("technical", "백신프로그램"),
        ("technical", "암호알고리즘"),
        ("technical", "침입탐지시스템"),
        ("administrative", "정보보호관리체계인증"),
        ("administrative", "최소한으로 제한"),
        ("administrative", "비밀유지서약서"),
        ("administrative", "정기적인 사내 교육"),
        ("physical", "특별 보호구역"),
    ],
)
def test_safety_measures(section: str, phrase: str) -> None:
    measures: tuple[str, ...] = getattr(POLICY.safety_measures, section)
    assert any(phrase in m for m in measures)


def test_roles_allowed_to_handle_data() -> None:
    assert {r.label for r in POLICY.roles.values()} == {
        "고객을 직/간접적으로 상대로 하여 마케팅 업무를 수행하는 자",
        "개인정보관리책임자 및 개인정보보호담당자 등 개인정보관리·보호업무를 수행하는 자",
        "기타 업무상 개인정보의 취급이 불가피한 자",
    }
    assert "marketing" in POLICY.roles["marketing_staff"].purposes
    assert "marketing" not in POLICY.roles["other_staff"].purposes


def test_false_information_loses_membership() -> None:
    assert any("회원자격이 상실" in r for r in POLICY.service_restrictions)


def test_source_problems_are_marked() -> None:
    text = POLICY_PATH.read_text("utf-8")
    assert text.count("# SOURCE:") >= 15

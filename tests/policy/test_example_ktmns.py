"""Facts of the (주)케이티엠앤에스 개인정보처리방침 (seed ktmns.txt) that its policy code must keep."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pytest

from jikimi.policy import ItemCategory, Policy, RetentionRule, load_policy
from jikimi.policy.model import (
    BasisKind,
    ChannelKind,
    ClockStart,
    ConsentMethod,
    Contact,
    ItemFormat,
    RepresentativeVerification,
    Trustee,
)

POLICY_PATH = Path(__file__).resolve().parents[2] / "examples" / "policies" / "ktmns.yaml"


@cache
def policy() -> Policy:
    return load_policy(POLICY_PATH)


def rule(key: str) -> RetentionRule:
    found = [r for r in policy().retention if r.key == key]
    assert len(found) == 1, f"retention rule {key!r} missing or duplicated"
    return found[0]


def trustee(name: str) -> Trustee:
    found = [t for t in policy().trustees if t.name == name]
    assert len(found) == 1, f"trustee {name!r} missing or duplicated"
    return found[0]


def contact(contacts: tuple[Contact, ...], name: str) -> Contact:
    found = [c for c in contacts if c.name == name]
    assert len(found) == 1, f"contact {name!r} missing or duplicated"
    return found[0]


def test_dates_and_controller() -> None:
    p = policy()
    assert p.effective_date == date(2018, 7, 31)
    assert p.announced_date == date(2018, 7, 31)
    assert p.controller.name == "(주)케이티엠앤에스"
    assert p.controller.website == "http://www.ktmns.com"


@pytest.mark.parametrize(
    ("key", "label", "category", "fmt"),
    [
        ("name", "성명", ItemCategory.GENERAL, ItemFormat.NAME),
        ("phone_number", "전화번호", ItemCategory.GENERAL, ItemFormat.PHONE),
        ("inquiry_content", "민원/상담내용", ItemCategory.GENERAL, ItemFormat.TEXT),
        ("report_content", "제보/제안내용", ItemCategory.GENERAL, ItemFormat.TEXT),
        ("password", "비밀번호", ItemCategory.PASSWORD, ItemFormat.SECRET),
        ("ip_address", "접속IP", ItemCategory.AUTO_GENERATED, ItemFormat.IP_ADDRESS),
        ("access_log", "접속로그", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("service_usage", "이용 콘텐츠 등 서비스 이용정보", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("cookie", "쿠키(Cookie)", ItemCategory.AUTO_GENERATED, ItemFormat.TEXT),
        ("bank_account", "은행결제계좌", ItemCategory.PAYMENT, ItemFormat.ACCOUNT_NUMBER),
        ("card_number", "신용카드번호", ItemCategory.PAYMENT, ItemFormat.CARD_NUMBER),
        ("representative_name", "법정대리인의 성명", ItemCategory.GENERAL, ItemFormat.NAME),
        ("representative_birth_date", "법정대리인의 생년월일", ItemCategory.GENERAL, ItemFormat.DATE),
        ("representative_phone", "법정대리인의 연락처번호", ItemCategory.GENERAL, ItemFormat.PHONE),
        ("representative_email", "법정대리인의 메일주소", ItemCategory.GENERAL, ItemFormat.EMAIL),
    ],
)
def test_items_have_source_labels_and_categories(key: str, label: str, category: ItemCategory, fmt: ItemFormat) -> None:
    item = policy().items[key]
    assert item.label == label
    assert item.category is category
    assert item.format is fmt


def test_phone_number_is_searchable() -> None:
    assert policy().items["phone_number"].searchable


@pytest.mark.parametrize(
    ("channel", "kind", "required", "optional", "purposes"),
    [
        (
            "complaint",
            ChannelKind.COMPLAINT,
            {"name", "phone_number", "inquiry_content"},
            set(),
            {"complaint_handling"},
        ),
        (
            "web_report",
            ChannelKind.WEB_REPORT,
            {"report_content"},
            {"name", "password"},
            {"report_handling", "report_result_check"},
        ),
        (
            "online_shop",
            ChannelKind.DELIVERY,
            {"name", "phone_number"},
            set(),
            {"online_shop_service"},
        ),
        (
            "automatic",
            ChannelKind.AUTOMATIC,
            {"cookie", "ip_address", "access_log", "service_usage"},
            set(),
            {"cookie_personalisation", "cookie_target_marketing", "service_improvement"},
        ),
    ],
)
def test_channels_collect_the_table_items(
    channel: str, kind: ChannelKind, required: set[str], optional: set[str], purposes: set[str]
) -> None:
    ch = policy().channels[channel]
    assert ch.kind is kind
    assert set(ch.required) == required
    assert set(ch.optional) == optional
    assert set(ch.purposes) == purposes


def test_channel_labels_follow_source() -> None:
    channels = policy().channels
    assert channels["complaint"].label == "민원/서비스 상담 (방문, 전화 등 온·오프라인)"
    assert channels["web_report"].label == "홈페이지 운영"
    assert channels["online_shop"].label == "온라인 몰 운영"
    assert channels["event"].label == "경품 행사 응모"


@pytest.mark.parametrize(
    ("key", "label", "kind", "items"),
    [
        (
            "complaint_handling",
            "민원/상담 접수, 처리, 결과통보",
            BasisKind.CONSENT,
            {"name", "phone_number", "inquiry_content"},
        ),
        ("report_handling", "제보/제안하기", BasisKind.CONSENT, {"report_content"}),
        ("report_result_check", "제보/제안자의 처리결과 확인", BasisKind.CONSENT, {"name", "password"}),
        ("online_shop_service", "서비스상담, 배송처리", BasisKind.CONTRACT, {"name", "phone_number"}),
        (
            "representative_consent_check",
            "법정대리인의 동의 여부 확인",
            BasisKind.STATUTE,
            {
                "representative_name",
                "representative_birth_date",
                "representative_phone",
                "representative_email",
            },
        ),
    ],
)
def test_purposes_match_source(key: str, label: str, kind: BasisKind, items: set[str]) -> None:
    purpose = policy().purposes[key]
    assert purpose.label == label
    assert purpose.basis.kind is kind
    assert set(purpose.items) == items


def test_optional_report_result_check_is_optional_consent() -> None:
    assert policy().purposes["report_result_check"].consent == "optional"
    assert policy().purposes["report_handling"].consent == "required"


def test_cookie_target_marketing_is_optional_marketing_consent() -> None:
    purpose = policy().purposes["cookie_target_marketing"]
    assert purpose.marketing
    assert purpose.consent == "optional"
    assert "타겟(Target) 마케팅" in purpose.label
    assert not policy().purposes["complaint_handling"].marketing


@pytest.mark.parametrize(
    ("key", "period", "starts", "basis"),
    [
        ("complaint", "0d", ClockStart.PURPOSE_COMPLETION, "purpose:complaint_handling"),
        ("web_report", "0d", ClockStart.PURPOSE_COMPLETION, "purpose:report_handling"),
        (
            "web_report_result_check",
            "0d",
            ClockStart.PURPOSE_COMPLETION,
            "purpose:report_result_check",
        ),
        ("online_shop", "3m", ClockStart.COLLECTION, "purpose:online_shop_service"),
        ("comm_facts", "12m", ClockStart.TRANSACTION, "statute:commsecrets.comm_facts"),
        ("comm_log_records", "3m", ClockStart.TRANSACTION, "statute:commsecrets.log_records"),
        ("ad_records", "6m", ClockStart.TRANSACTION, "statute:ecommerce.ad_records"),
        ("contract_records", "5y", ClockStart.TRANSACTION, "statute:ecommerce.contract_records"),
        (
            "payment_supply_records",
            "5y",
            ClockStart.TRANSACTION,
            "statute:ecommerce.payment_supply_records",
        ),
        ("complaint_records", "3y", ClockStart.TRANSACTION, "statute:ecommerce.complaint_records"),
        (
            "credit_info_records",
            "3y",
            ClockStart.TRANSACTION,
            "statute:credit.credit_info_records",
        ),
    ],
)
def test_retention_rows_match_source(key: str, period: str, starts: ClockStart, basis: str) -> None:
    r = rule(key)
    assert r.period == period
    assert r.starts is starts
    kind, _, value = basis.partition(":")
    assert getattr(r.basis, kind) == value


def test_retention_has_exactly_the_source_rows() -> None:
    assert len(policy().retention) == 11


def test_retention_rows_keep_the_table_items() -> None:
    assert set(rule("complaint").items) == {"name", "phone_number", "inquiry_content"}
    assert set(rule("online_shop").items) == {"name", "phone_number"}
    assert set(rule("web_report_result_check").items) == {"name", "password"}
    assert "access_log" in rule("comm_log_records").items
    assert policy().record_kinds["ad_records"].label == "표시/광고에 관한 기록"


@pytest.mark.parametrize(
    ("name", "task"),
    [
        ("(주)케이티디에스", "서비스 제공에 필요한 서버 구축·운영·개발 및 유지보수"),
        ("(주)케이티씨에스", "아웃바운드 콜센터 - 상담/접수 및 고객 사후관리"),
        ("(주)매일정보산업", "인포모셜 업무위탁에 따른 콜센터 운영 - 상담/접수 및 고객 사후관리"),
        ("(주)케이티링크스", "물류센터 운영 - 상품 주문처리/배송(택배,퀵)/고객상담"),
        ("(주)JNP", "애플단말기 유,무상 고객상담 및 A/S 처리"),
        ("한진택배", "상품 주문처리/배송(택배,퀵)"),
        ("우체국", "상품 주문처리/배송(택배,퀵)"),
        ("(주)케이티엠하우스", "고객 사은품(모바일상품권) 배송 관련 업무"),
        ("위탁판매점", "유·무선 통신 서비스 위탁판매 - 통신, 부가서비스 고객유치를 위한 상담 및 접수"),
    ],
)
def test_trustees_by_name_with_tasks(name: str, task: str) -> None:
    assert trustee(name).tasks == (task,)


def test_nine_trustees_and_no_recipients() -> None:
    assert len(policy().trustees) == 9
    assert policy().recipients == ()


def test_privacy_officer_and_department() -> None:
    officers = policy().officers
    assert officers.privacy_officer.name == "조한상"
    assert officers.privacy_officer.department == "경영기획총괄"
    assert [m.name for m in officers.managers] == ["정상렬"]
    assert officers.department is not None
    assert officers.department.name == "IT보안팀"
    assert officers.department.phone == "02-560-3146"
    assert officers.department.email == "privacy@ktmns.com"


def test_customer_contacts() -> None:
    contacts = policy().contacts
    assert contact(contacts, "kt m&s 고객 VOC 접수/처리").phone == "02-2040-5066"
    kt = contact(contacts, "kt 고객센터")
    assert kt.phone == "100"
    assert kt.note is not None
    assert "1588-0010" in kt.note


@pytest.mark.parametrize(
    ("name", "phone"),
    [
        ("개인정보침해신고센터(한국인터넷진흥원 운영)", "118"),
        ("개인정보 분쟁조정위원회", "1833-6972"),
        ("대검찰청 사이버수사단", "02-3480-3573"),
        ("경찰청 사이버테러대응센터", "1566-0112"),
    ],
)
def test_remedy_agencies(name: str, phone: str) -> None:
    assert contact(policy().remedies, name).phone == phone


def test_remedy_urls() -> None:
    remedies = policy().remedies
    assert contact(remedies, "개인정보침해신고센터(한국인터넷진흥원 운영)").url == ("http://privacy.kisa.or.kr")
    assert contact(remedies, "개인정보 분쟁조정위원회").url == "www.kopico.go.kr"


def test_children_need_guardian_consent_by_email_and_get_no_ads() -> None:
    children = policy().children
    assert children.age_threshold == 14
    assert children.admitted
    assert children.verification_methods == (RepresentativeVerification.EMAIL,)
    assert set(children.representative_items) == {
        "representative_name",
        "representative_birth_date",
        "representative_phone",
        "representative_email",
    }
    assert children.purpose == "representative_consent_check"
    assert children.no_advertising


def test_consent_methods() -> None:
    assert set(policy().consent_methods) == {
        ConsentMethod.WEB_CLICK,
        ConsentMethod.IN_PERSON,
        ConsentMethod.PHONE,
        ConsentMethod.SMS,
        ConsentMethod.MAIL,
        ConsentMethod.EMAIL,
        ConsentMethod.FAX,
        ConsentMethod.SIGNED_FORM,
    }


def test_cookies_used_and_refusable() -> None:
    cookies = policy().cookies
    assert cookies is not None
    assert cookies.used
    assert set(cookies.items) == {"cookie", "ip_address", "access_log", "service_usage"}
    assert cookies.refusal is not None
    assert "모든 쿠키의 저장을 거부" in cookies.refusal


def test_rights_channels_agents_history_and_propagation() -> None:
    rights = policy().rights
    assert set(rights.channels) == {"서면", "전화", "전자우편", "팩스"}
    assert rights.agents_allowed
    assert rights.agent_proof is not None
    assert "별지 제11호 서식" in rights.agent_proof
    assert rights.provision_history
    assert rights.correction_propagates


def test_destruction_methods() -> None:
    destruction = policy().destruction
    assert "재생할 수 없는 기술적 방법" in destruction.electronic
    assert destruction.paper is not None
    assert "분쇄하거나 소각" in destruction.paper


def test_policy_changes_announced_on_website_without_delay() -> None:
    notice = policy().notice
    assert notice.minor_days == 0
    assert notice.material_days == 0
    assert any("www.ktmns.com" in c for c in notice.channels)


def test_safety_measures() -> None:
    measures = policy().safety_measures
    assert any("SSL" in m for m in measures.technical)
    assert any("침입탐지시스템" in m for m in measures.technical)
    assert any("정보보호서약서" in m for m in measures.administrative)
    assert any("전산실 및 자료보관실" in m for m in measures.physical)


def test_notes_keep_business_transfer_rule() -> None:
    assert any("30일 이상" in n and "중앙일간지" in n for n in policy().notes)

"""The wording of each section after retention: conditional sections return ``None`` when the policy has no facts.

Fixed facts that are not the service's own live here: the outside agencies (R-POL-10, R-HIST-5) and how to refuse
cookies in current browsers (never Internet Explorer, retired in 2022).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from jikimi.documents.document import Block, BulletList, Paragraph, Section, Table, josa
from jikimi.policy.model import BasisKind, Contact, LegalBasis, Policy, RepresentativeVerification
from jikimi.policy.statutes import statutes

if TYPE_CHECKING:
    from jikimi.documents.content import VersionEntry

__all__ = [
    "AGENCIES",
    "AGENCIES_VERIFIED_ON",
    "BROWSERS",
    "DUTIES",
    "agencies",
    "automated_decisions",
    "changes",
    "children",
    "cookies",
    "korean_date",
    "legal_basis",
    "officer",
    "overseas",
    "remedies",
    "rights",
    "safety",
    "third_parties",
    "trustees",
]

AGENCIES_VERIFIED_ON = "2026-11-25"
"""When the agency list was last checked. law.md R-POL-10 marks the numbers [U]: recheck every 180 days."""

# R-POL-10 / R-HIST-5: current names only (한국인터넷진흥원, 경찰청 사이버수사국), current numbers.
AGENCIES: tuple[Contact, ...] = (
    Contact(name="개인정보침해 신고센터 (한국인터넷진흥원 운영)", phone="118", url="https://privacy.kisa.or.kr"),
    Contact(name="개인정보 분쟁조정위원회", phone="1833-6972", url="https://www.kopico.go.kr"),
    Contact(name="대검찰청", phone="1301", url="https://www.spo.go.kr"),
    Contact(name="경찰청 사이버수사국", phone="182", url="https://ecrm.police.go.kr"),
)

BROWSERS: tuple[tuple[str, str], ...] = (
    (
        "Chrome",
        "설정 > 개인 정보 보호 및 보안 > 서드 파티 쿠키에서 쿠키를 차단하거나, "
        "인터넷 사용 기록 삭제에서 저장된 쿠키를 삭제",
    ),
    ("Edge", "설정 > 쿠키 및 사이트 권한 > 쿠키 및 사이트 데이터 관리 및 삭제에서 쿠키를 차단하거나 삭제"),
    ("Safari", "macOS는 설정 > 개인정보 보호 > 모든 쿠키 차단, iPhone·iPad는 설정 앱 > Safari > 모든 쿠키 차단"),
    ("Firefox", "설정 > 개인 정보 및 보안 > 쿠키 및 사이트 데이터에서 차단하거나 데이터 지우기"),
)

# The subject's duties (제30조①5 "권리·의무"), in the words of the PIPC guideline's model policy.
DUTIES: tuple[str, ...] = (
    "본인의 개인정보를 최신 상태로 정확하게 유지해야 하며, 바뀐 내용은 직접 고치거나 정정을 요구해야 합니다.",
    "「개인정보 보호법」과 관계 법령을 위반하여 본인이나 다른 사람의 개인정보와 사생활을 침해해서는 안 됩니다.",
    "다른 사람의 개인정보를 도용하거나 허락 없이 이용해서는 안 됩니다.",
)

_BASIS = {
    BasisKind.CONSENT: "정보주체의 동의 (「개인정보 보호법」 제15조제1항제1호)",
    BasisKind.STATUTE: "법률의 특별한 규정 또는 법령상 의무 준수 (「개인정보 보호법」 제15조제1항제2호)",
    BasisKind.PUBLIC_TASK: "공공기관의 법령상 소관 업무 수행 (「개인정보 보호법」 제15조제1항제3호)",
    BasisKind.CONTRACT: "계약의 체결·이행 (「개인정보 보호법」 제15조제1항제4호)",
    BasisKind.VITAL_INTEREST: "생명·신체·재산의 이익 보호 (「개인정보 보호법」 제15조제1항제5호)",
    BasisKind.LEGITIMATE_INTEREST: "개인정보처리자의 정당한 이익 (「개인정보 보호법」 제15조제1항제6호)",
}

_VERIFY = {
    RepresentativeVerification.REAL_NAME_AGENCY: "본인확인기관을 통한 법정대리인 본인 확인(휴대전화 인증)",
    RepresentativeVerification.EMAIL: "동의 내용을 적은 전자우편을 보내 법정대리인의 동의 표시를 받는 방법",
    RepresentativeVerification.PHONE: "전화로 동의 내용을 알리고 동의를 받는 방법",
    RepresentativeVerification.CARD: "법정대리인의 신용카드·직불카드 정보를 받는 방법",
    RepresentativeVerification.SIGNED_FORM: "동의 내용이 적힌 서면에 서명·날인을 받는 방법",
    RepresentativeVerification.MAIL: "동의서를 우편으로 받는 방법",
    RepresentativeVerification.FAX: "동의서를 팩스로 받는 방법",
    RepresentativeVerification.SMS: "문자메시지로 동의 표시를 받는 방법",
}


def korean_date(day: date) -> str:
    """A date as Korean prose writes it: ``2026년 1월 1일``."""
    return f"{day.year}년 {day.month}월 {day.day}일"


def legal_basis(basis: LegalBasis) -> str:
    """The legal basis in Korean, with the statute's citation when it names one."""
    text = _BASIS[basis.kind]
    if basis.statute:
        return f"{text}, {statutes()[basis.statute].citation}"
    if basis.law:
        return f"{text}, 「{basis.law}」 {basis.article or ''}".rstrip()
    return text


def _labels(policy: Policy, keys: Sequence[str]) -> str:
    return ", ".join(policy.items[k].label for k in keys) or "없음"


def third_parties(policy: Policy) -> Section | None:
    if not policy.recipients:
        return None
    rows = tuple(
        (r.name, ", ".join(r.purposes), _labels(policy, r.items), r.retention, legal_basis(r.basis))
        for r in policy.recipients
    )
    return Section(
        "third_parties",
        "개인정보의 제3자 제공",
        (
            Paragraph(
                "개인정보를 다음과 같이 제3자에게 제공합니다. 이 밖에는 동의를 받거나 법률에 특별한 규정이 "
                "있는 경우에만 제공합니다."
            ),
            Table("제3자 제공 현황", ("제공받는 자", "제공 목적", "제공 항목", "보유 기간", "근거"), rows),
        ),
    )


def trustees(policy: Policy) -> Section | None:
    if not policy.trustees:
        return None
    rows = tuple((t.name, "; ".join(t.tasks) or "-", t.period or "위탁 계약 종료 시까지") for t in policy.trustees)
    # R-XFER-5 (제26조②): the outsourced work and every processor, published continuously.
    return Section(
        "trustees",
        "개인정보 처리업무의 위탁",
        (
            Paragraph(
                "개인정보 처리업무를 다음과 같이 위탁하고 있습니다. 위탁 계약에는 「개인정보 보호법」 제26조에 "
                "따라 위탁 업무 수행 목적 외 개인정보 처리 금지, 기술적·관리적 보호조치, 재위탁 제한, "
                "수탁자에 대한 관리·감독, 손해배상 책임에 관한 사항을 정하며, 수탁자가 개인정보를 안전하게 "
                "처리하는지 감독합니다."
            ),
            Table("수탁자와 위탁 업무", ("수탁자", "위탁 업무", "보유 기간"), rows),
        ),
    )


def overseas(policy: Policy) -> Section | None:
    transfers = policy.overseas_transfers
    if not transfers:
        return None
    rows = tuple(
        (
            t.recipient,
            t.country,
            _labels(policy, t.items),
            ", ".join(t.purposes),
            t.when_and_how,
            t.retention,
            legal_basis(t.basis),
            t.contact or "-",
        )
        for t in transfers
    )
    return Section(
        "overseas",
        "개인정보의 국외 이전",
        (
            Paragraph(
                "「개인정보 보호법」 제28조의8에 따라 개인정보를 다음과 같이 국외로 이전합니다. 국외 이전을 "
                "원하지 않으면 개인정보 보호책임자에게 거부를 요청할 수 있습니다."
            ),
            Table(
                "국외 이전 현황",
                (
                    "이전받는 자",
                    "이전 국가",
                    "이전 항목",
                    "이전 목적",
                    "이전 일시와 방법",
                    "보유 기간",
                    "근거",
                    "연락처",
                ),
                rows,
            ),
        ),
    )


def cookies(policy: Policy) -> Section | None:
    c = policy.cookies
    if c is None or not c.used:
        return None
    blocks: list[Block] = [
        Paragraph(
            "이용자에게 맞춤 서비스를 제공하기 위해 이용 정보를 저장하고 불러오는 쿠키(cookie)를 사용합니다. "
            "쿠키는 웹사이트가 이용자의 브라우저에 보내는 작은 텍스트 파일로, 이용자의 기기에 저장됩니다."
        )
    ]
    facts = []
    if c.items:
        facts.append(f"수집 항목: {_labels(policy, c.items)}")
    if c.purposes:
        facts.append(f"사용 목적: {', '.join(c.purposes)}")
    if c.expiry:
        facts.append(f"보관 기간: {c.expiry}")
    if facts:
        blocks.append(BulletList(tuple(facts)))
    blocks.append(
        Paragraph(
            "이용자는 쿠키 저장을 거부할 수 있습니다. 다만 쿠키 저장을 거부하면 로그인이 필요한 일부 서비스를 "
            "이용하기 어려울 수 있습니다."
        )
    )
    if c.refusal:
        blocks.append(Paragraph(f"그 밖의 거부 방법: {c.refusal}"))
    blocks.append(Table("브라우저별 쿠키 거부 방법", ("브라우저", "방법"), BROWSERS))
    return Section("cookies", "개인정보 자동 수집 장치의 설치·운영 및 거부", tuple(blocks))


def automated_decisions(policy: Policy) -> Section | None:
    if not policy.automated_decisions:
        return None
    rows = tuple((d.label, d.description, _labels(policy, d.items)) for d in policy.automated_decisions)
    # R-POL-2(d), R-DSR-9 (제37조의2, 시행령 제44조의4): publish the decisions, their data and how to object.
    return Section(
        "automated_decisions",
        "자동화된 결정",
        (
            Paragraph("완전히 자동화된 시스템으로 다음 결정을 합니다."),
            Table("자동화된 결정", ("결정", "기준과 절차", "주요 개인정보"), rows),
            Paragraph(
                "정보주체는 자동화된 결정을 거부하거나 그 결정에 대한 설명과 검토를 요구할 수 있습니다. "
                "요구를 받으면 30일 안에 결정을 적용하지 않거나 사람이 다시 처리하고, 결과·사용한 "
                "주요 개인정보·판단 기준·처리 과정을 설명합니다."
            ),
        ),
    )


def minors(age: int) -> str:
    """Who the children rule covers: 아동 is the statute's word for under 14 only (PIPA 제22조의2)."""
    return f"만 {age}세 미만 아동" if age == 14 else f"만 {age}세 미만인 이용자"


def children(policy: Policy) -> Section | None:
    ch = policy.children
    if not ch.admitted:
        return None
    who = minors(ch.age_threshold)
    blocks: list[Block] = [
        Paragraph(
            f"{who}의 개인정보를 처리할 때에는 「개인정보 보호법」 제22조의2에 따라 법정대리인의 "
            "동의를 받으며, 동의한 사람이 법정대리인인지 확인합니다."
        )
    ]
    if ch.verification_methods:
        blocks.append(Paragraph("법정대리인의 동의는 다음 방법으로 확인합니다."))
        blocks.append(BulletList(tuple(_VERIFY[m] for m in ch.verification_methods)))
    if ch.representative_items:
        blocks.append(
            Paragraph(
                f"법정대리인의 동의를 확인하기 위해 {josa(_labels(policy, ch.representative_items), '을', '를')} "
                "받으며, 이 정보는 동의 확인에만 사용합니다."
            )
        )
    if ch.no_advertising:
        blocks.append(Paragraph(f"{who}에게는 광고성 정보를 보내지 않습니다."))
    blocks.append(
        Paragraph(
            f"법정대리인은 {who}의 개인정보에 대해 열람, 정정·삭제, 처리정지를 요구하거나 동의를 철회할 수 있습니다."
        )
    )
    return Section("children", f"{who}의 개인정보 처리", tuple(blocks))


def rights(policy: Policy) -> Section:
    r = policy.rights
    blocks: list[Block] = [
        Paragraph("정보주체는 언제든지 다음 권리를 행사할 수 있습니다."),
        BulletList(
            (
                "개인정보 열람 요구 (「개인정보 보호법」 제35조)",
                "오류가 있는 개인정보의 정정·삭제 요구 (제36조)",
                "개인정보 처리정지 요구와 동의 철회 (제37조)",
            )
        ),
        Paragraph("권리는 다음 방법으로 행사할 수 있으며, 요구를 받은 날부터 10일 안에 조치합니다."),
        BulletList(r.channels),
    ]
    if r.self_service:
        blocks.append(Paragraph("다음 메뉴에서 직접 열람하거나 고칠 수도 있습니다."))
        blocks.append(BulletList(r.self_service))
    if r.agents_allowed:
        proof = r.agent_proof or "개인정보 보호위원회가 고시한 서식에 따른 위임장"
        blocks.append(
            Paragraph(
                f"법정대리인이나 위임을 받은 사람을 통해서도 요구할 수 있습니다. 이 경우 {josa(proof, '을', '를')} "
                "제출해야 합니다."
            )
        )
    if r.correction_propagates:
        blocks.append(Paragraph("정정한 개인정보를 이미 제3자에게 제공했다면 정정 결과를 제공받은 자에게 알립니다."))
    if r.provision_history:
        blocks.append(Paragraph("개인정보를 누구에게 제공했는지 내역을 열람할 수 있습니다."))
    blocks.append(
        Paragraph(
            "다른 법령에서 수집 대상으로 정한 개인정보는 삭제를 요구할 수 없으며, 법률에 특별한 "
            "규정이 있는 경우에는 열람이나 처리정지 요구가 제한될 수 있습니다."
        )
    )
    # 제30조①5 asks for the subject's 권리·의무: the duties, phrased as the PIPC guideline's model policy does.
    blocks.append(Paragraph("정보주체는 다음 사항을 지켜야 합니다."))
    blocks.append(BulletList(DUTIES))
    return Section("rights", "정보주체와 법정대리인의 권리·의무 및 행사 방법", tuple(blocks))


def safety(policy: Policy) -> Section:
    s = policy.safety_measures
    if not (s.administrative or s.technical or s.physical):
        # Never announce measures and then list none; lint reports this policy as an R-POL-1 error.
        return Section(
            "safety",
            "개인정보의 안전성 확보 조치",
            (
                Paragraph(
                    "「개인정보 보호법」 제29조에 따른 안전성 확보 조치의 구체적인 내용은 이 개인정보 처리방침에 "
                    "아직 적지 않았습니다. 시행하고 있는 조치는 개인정보 보호책임자에게 문의할 수 있습니다."
                ),
            ),
        )
    blocks: list[Block] = [
        Paragraph("「개인정보 보호법」 제29조에 따라 다음과 같이 안전성 확보에 필요한 조치를 하고 있습니다.")
    ]
    for name, measures in (
        ("관리적 조치", s.administrative),
        ("기술적 조치", s.technical),
        ("물리적 조치", s.physical),
    ):
        if measures:
            blocks.append(Paragraph(name))
            blocks.append(BulletList(measures))
    return Section("safety", "개인정보의 안전성 확보 조치", tuple(blocks))


def _contact_line(name: str, *parts: str | None) -> str:
    # A source that names only a title gives it as the name too: never "책임자 (책임자)".
    own = name.partition(": ")[2]
    extra = ", ".join(dict.fromkeys(p for p in parts if p and p != own))
    return f"{name} ({extra})" if extra else name


def officer(policy: Policy) -> Section:
    o = policy.officers
    p = o.privacy_officer
    lines = [_contact_line(f"개인정보 보호책임자: {p.name}", p.title, p.department, p.phone, p.email)]
    lines.extend(
        _contact_line(f"개인정보 보호 담당자: {m.name}", m.title, m.department, m.phone, m.email) for m in o.managers
    )
    if o.department:
        d = o.department
        lines.append(_contact_line(f"개인정보 보호 담당부서: {d.name}", d.phone, d.email))
    lines.extend(_contact_line(f"고객 문의: {c.name}", c.phone, c.email, c.url) for c in policy.contacts)
    return Section(
        "officer",
        "개인정보 보호책임자와 담당부서",
        (
            Paragraph(
                "개인정보 처리와 관련한 문의, 불만 처리, 피해 구제는 다음 책임자와 담당자에게 요청할 수 "
                "있으며, 요청을 받으면 지체 없이 답변하고 처리합니다."
            ),
            BulletList(tuple(lines)),
        ),
    )


def agencies(policy: Policy) -> tuple[Contact, ...]:
    """The current agencies (R-POL-10) and any further ones the policy names."""
    known = {a.name for a in AGENCIES}
    return AGENCIES + tuple(c for c in policy.remedies if c.name not in known)


def remedies(policy: Policy) -> Section:
    rows = tuple((a.name, a.phone or "-", a.url or "-") for a in agencies(policy))
    return Section(
        "remedies",
        "권익침해 구제 방법",
        (
            Paragraph(
                "정보주체는 개인정보 침해로 인한 구제를 받기 위해 다음 기관에 분쟁 조정이나 상담을 신청할 수 있습니다."
            ),
            Table("권익침해 구제 기관", ("기관", "전화", "누리집"), rows),
        ),
    )


def changes(policy: Policy, history: Sequence[VersionEntry]) -> Section:
    n = policy.notice
    where = ", ".join(n.channels) or "누리집 공지사항"
    current = (policy.version, policy.effective_date.isoformat(), "현재 버전")
    rows = tuple((h.version, h.effective_date.isoformat(), h.summary) for h in history)
    if not history or history[-1].version != policy.version:
        rows = (*rows, current)
    return Section(
        "changes",
        "개인정보 처리방침의 변경",
        (
            Paragraph(f"이 개인정보 처리방침은 {korean_date(policy.effective_date)}부터 적용됩니다."),
            Paragraph(
                f"내용을 바꾸면 시행 {n.minor_days}일 전부터 {where}에 알립니다. 수집하는 항목을 늘리거나 "
                f"이용 목적·제공 범위를 넓히는 중요한 변경은 시행 {n.material_days}일 전부터 알리고, "
                "필요하면 다시 동의를 받습니다."
            ),
            Table("개정 이력", ("버전", "시행일", "변경 내용"), rows),
        ),
    )

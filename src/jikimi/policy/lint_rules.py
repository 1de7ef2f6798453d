"""The rules of :mod:`jikimi.policy.lint` that read words: obsolete terms, repealed articles, and a policy text.

Contract: :func:`term_findings` checks one string (a text line or a YAML value) against the term table;
:func:`lint_text` checks a whole published policy text line by line, plus its headings for missing sections
(R-POL-1). Each rule cites its law.md id. ``today`` decides time-dependent terms (방송통신위원회 from 2025-10-01).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

__all__ = ["Finding", "Severity", "lint_text", "term_findings"]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    file: str
    line: int
    column: int
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.severity.value} [{self.rule}] {self.message} — 고치기: {self.fix}"


@dataclass(frozen=True, slots=True)
class _Term:
    rule: str
    severity: Severity
    pattern: re.Pattern[str]
    message: str
    fix: str
    applies: Callable[[re.Match[str], date], bool] = lambda m, today: True


_BCC_RENAMED = date(2025, 10, 1)  # 방송통신위원회 -> 방송미디어통신위원회 (R-HIST-5, [P])
_ICT_ALLOWED = {(22, 2), (23, 2), (23, 3), (23, 4), (23, 5), (23, 6), (32, 5)}  # 망법 articles still in force
_PIPA_DELETED = {3, 4, 5, 6, *range(8, 16)}  # PIPA 제39조의3~ (ICT 특례, deleted 2023); 의7 moved, still valid


def _ict_deleted(m: re.Match[str], today: date) -> bool:
    return (int(m.group("a")), int(m.group("b") or 0)) not in _ICT_ALLOWED


def _pipa_deleted(m: re.Match[str], today: date) -> bool:
    return int(m.group("b")) in _PIPA_DELETED


_TERMS = (
    _Term(
        "R-POL-9",
        Severity.ERROR,
        re.compile(r"취급\s*방침"),
        "옛 용어 '취급방침'",
        "'개인정보 처리방침'으로 바꾸세요 (「개인정보 보호법」 제30조).",
    ),
    _Term(
        "R-HIST-5",
        Severity.ERROR,
        re.compile(r"한국정보보호진흥원"),
        "없어진 기관 '한국정보보호진흥원'",
        "'한국인터넷진흥원(KISA)'으로 바꾸세요.",
    ),
    _Term(
        "R-HIST-5",
        Severity.ERROR,
        re.compile(r"사이버테러\s*대응\s*센터(?!\s*\(경찰청 사이버수사국 소속\))"),
        "옛 기관명 '경찰청 사이버테러대응센터'",
        "'경찰청 사이버수사국 (182, ecrm.police.go.kr)'으로 바꾸세요.",
    ),
    _Term(
        "R-HIST-5",
        Severity.WARNING,
        re.compile(r"방송통신위원회"),
        "2025-10-01부터 '방송미디어통신위원회'로 바뀐 기관명",
        "현재 기관명이나 개인정보 보호위원회로 바꾸세요.",
        lambda m, today: today >= _BCC_RENAMED,
    ),
    _Term(
        "R-POL-10",
        Severity.ERROR,
        re.compile(r"(?<![\d-])1336(?![\d-])"),
        "개인정보침해 신고센터의 옛 전화번호 1336",
        "국번 없이 118로 바꾸세요.",
    ),
    _Term(
        "R-POL-9",
        Severity.ERROR,
        re.compile(
            r"정보통신망\s*(?:이용\s*촉진\s*및\s*정보\s*보호\s*등에\s*관한\s*)?법(?:률)?\s*[」』’']?\s*"
            r"(?:시행령\s*)?제\s*(?P<a>2[2-9]|3[0-2])\s*조(?:\s*의\s*(?P<b>\d+))?"
        ),
        "삭제된 정보통신망법 조항 인용 (2020-02-04 삭제)",
        "「개인정보 보호법」의 해당 조항으로 바꾸세요.",
        _ict_deleted,
    ),
    _Term(
        "R-POL-9",
        Severity.ERROR,
        re.compile(r"개인정보\s*보호\s*법\s*[」』]?\s*제\s*39\s*조\s*의\s*(?P<b>\d+)"),
        "삭제된 「개인정보 보호법」 정보통신서비스 특례 조항 인용",
        "현행 조항으로 바꾸세요.",
        _pipa_deleted,
    ),
    _Term(
        "R-HIST-7",
        Severity.WARNING,
        re.compile(r"시행\s*규칙\s*[」』]?\s*(?:제\d+조)?\s*[(]?\s*별지"),
        "시행규칙 별지 서식 인용 (서식은 개인정보 보호위원회 고시로 옮겨짐)",
        "개인정보 보호위원회 고시 서식을 인용하세요.",
    ),
    _Term(
        "R-POL-1",
        Severity.WARNING,
        re.compile(r"Internet\s*Explorer|익스플로[러어]|인터넷\s*옵션|\[도구\]|도구\s*(?:메뉴)?\s*(?:>|→)"),
        "Internet Explorer 기준의 쿠키 거부 방법 (2022년 지원 종료)",
        "Chrome, Edge, Safari, Firefox의 쿠키 설정 방법으로 바꾸세요.",
    ),
    _Term(
        "R-POL-1",
        Severity.ERROR,
        re.compile(r"(?<![A-Za-z])OO(?![A-Za-z])|○○|ㅇㅇ|XXX|\[(?:회사명|서비스명|담당자)\]"),
        "채우지 않은 자리표시자",
        "실제 이름이나 값으로 채우세요.",
    ),
    _Term(
        "R-RET-1",
        Severity.ERROR,
        re.compile(r"영구(?!\s*(?:적으로|히)?\s*(?:삭제|파기|제거|폐기|소거))"),
        "보유 기간 '영구'",
        "목적 달성 시 파기하거나 법령이 정한 기간을 적으세요 (「개인정보 보호법」 제21조).",
    ),
)

_DORMANT = re.compile(r"(?:1년|12개월|365일|일\s*년)")
_DORMANT_CTX = re.compile(r"미이용|이용하지\s*않|이용\s*기록이\s*없|접속하지\s*않|로그인하지\s*않|휴면")
_LAW_CTX = re.compile(  # the law named as the reason, not "다른 법령에 특별한 규정이 있는 경우"
    r"(?<!다른 )(?:법|법령|법률)에\s*(?:따라|따른|의해|의하여|근거)|의거|정보통신망|제\s*29\s*조|제\s*39\s*조의\s*6"
    r"|제\s*48\s*조의\s*5|유효기간제"
)
_CHILD_AGE = re.compile(r"(?:만\s*)?(?P<n>\d{1,2})\s*세\s*(?P<rel>미만|이하)")
_CHILD_CTX = re.compile(r"아동|미성년|법정\s*대리인|보호자(?!의무자)")
_LOCATION_ACT = re.compile(r"보호의무자")  # 위치정보법 제26조: "8세 이하의 아동 등", a different rule
_RRN_NEG = re.compile(r"차단|수집하지\s*않|받지\s*않|제외|에\s*의하여|알아볼|대체|대신|처리하지\s*않")
_STATUTE_REF = re.compile(r"「|법\s*제|시행령|법률|법령|제\s*\d+\s*조")

_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("목적", r"목적|이용\s*목적", "처리 목적"),
    ("항목", r"항목|수집하는\s*개인정보|개인정보의?\s*수집|수집\s*(?:및|·)", "처리하는 개인정보 항목"),
    ("보유", r"보유|보존|보관|이용\s*기간", "처리 및 보유 기간"),
    ("파기", r"파기", "파기 절차 및 방법"),
    ("권리", r"권리|행사|열람", "정보주체의 권리·의무 및 행사 방법"),
    ("책임자", r"책임자|담당자|담당\s*부서|고충|민원", "개인정보 보호책임자와 담당부서"),
    ("안전", r"안전|보호\s*조치|기술적|관리적|보호를\s*위한|노력", "안전성 확보 조치"),
    ("변경", r"변경|개정|고지|부칙|시행일", "처리방침의 변경"),
)


def _heading(line: str) -> bool:
    s = line.strip()
    return 0 < len(s) <= 60 and not s.endswith(("다.", "다", "요.")) and "\t" not in s


def lint_text(text: str, file: str = "<text>", today: date | None = None) -> list[Finding]:
    """Findings for a published policy text, in line order."""
    today = today or date.max
    lines = text.splitlines()
    found: list[Finding] = []
    for n, line in enumerate(lines, start=1):
        found.extend(term_findings(line, file, n, 1, today))
        found.extend(_line_rules(line, file, n))
    found.extend(_trustee_rows(lines, file))
    found.extend(_missing_sections(lines, file))
    return sorted(found, key=lambda f: (f.line, f.column, f.rule))


def term_findings(text: str, file: str, line: int, col0: int, today: date) -> Iterator[Finding]:
    for t in _TERMS:
        for m in t.pattern.finditer(text):
            if t.applies(m, today):
                yield Finding(t.rule, t.severity, file, line, col0 + m.start(), t.message, t.fix)
                break


def _line_rules(line: str, file: str, n: int) -> Iterator[Finding]:
    if _DORMANT.search(line) and _DORMANT_CTX.search(line) and _LAW_CTX.search(line):
        yield Finding(
            "R-HIST-1",
            Severity.ERROR,
            file,
            n,
            1,
            "1년 미이용 시 파기·분리보관(유효기간제)을 법의 의무처럼 안내함 (2023-09-15 폐지)",
            "법적 의무로 쓰지 말고, 회사가 정한 휴면 정책과 그 기간·사전 안내로 고쳐 쓰세요.",
        )
    for m in _CHILD_AGE.finditer(line):
        age, rel = int(m.group("n")), m.group("rel")
        if age == 8 and rel == "이하":
            continue  # 위치정보법 제26조 "8세 이하의 아동": its own rule, not the PIPA age
        if not _CHILD_CTX.search(line) or _LOCATION_ACT.search(line) or (age == 14 and rel == "미만"):
            continue
        yield Finding(
            "R-CHILD-1",
            Severity.ERROR if age != 14 else Severity.WARNING,
            file,
            n,
            m.start() + 1,
            f"아동 기준 나이가 '{m.group(0).strip()}'임 (법은 만 14세 미만)",
            "'만 14세 미만 아동'으로 고치세요 (「개인정보 보호법」 제22조의2).",
        )
        break
    if "주민등록번호" in line and not _RRN_NEG.search(line) and not _STATUTE_REF.search(line):
        yield Finding(
            "R-CON-6",
            Severity.WARNING,
            file,
            n,
            line.index("주민등록번호") + 1,
            "주민등록번호를 처리하면서 법령 근거를 적지 않음",
            "근거 법령 조항을 적거나, 주민등록번호 대신 다른 확인 수단을 쓰세요 (「개인정보 보호법」 제24조의2).",
        )


def _trustee_rows(lines: Sequence[str], file: str) -> Iterator[Finding]:
    in_table = False
    for n, line in enumerate(lines, start=1):
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) >= 2 and re.search(r"수탁|위탁받는", cells[0]):
            in_table = True
            continue
        if not line.strip():
            continue
        if "\t" not in line:
            in_table = False
            continue
        if in_table and (len(cells) < 2 or cells[1] in {"", "-"}):
            yield Finding(
                "R-XFER-5",
                Severity.ERROR,
                file,
                n,
                1,
                "위탁 업무가 적히지 않은 수탁자",
                "수탁자마다 위탁하는 업무를 적으세요 (「개인정보 보호법」 제26조②).",
            )


def _missing_sections(lines: Sequence[str], file: str) -> Iterator[Finding]:
    heads = [line for line in lines if _heading(line)]
    for _, pattern, name in _SECTIONS:
        if not any(re.search(pattern, h) for h in heads):
            yield Finding(
                "R-POL-1",
                Severity.ERROR,
                file,
                1,
                1,
                f"필수 기재사항 '{name}' 항목이 없음",
                f"'{name}' 항목을 추가하세요 (「개인정보 보호법」 제30조①, 시행령 제31조①).",
            )
    body = "\n".join(lines)
    if "쿠키" in body and not any(re.search(r"쿠키|자동\s*수집|자동으로\s*수집", h) for h in heads):
        yield Finding(
            "R-POL-1",
            Severity.ERROR,
            file,
            1,
            1,
            "쿠키를 쓰면서 자동 수집 장치 항목이 없음",
            "자동 수집 장치의 설치·운영 및 거부에 관한 항목을 추가하세요 (제30조①7).",
        )
    if not any(re.search(r"구제|침해|신고|분쟁", h) for h in heads):
        yield Finding(
            "R-POL-10",
            Severity.INFO,
            file,
            1,
            1,
            "권익침해 구제 방법 항목이 없음 (작성지침 권장사항)",
            "개인정보침해 신고센터 118, 분쟁조정위원회 1833-6972, 대검찰청 1301, 경찰청 182를 안내하세요.",
        )
    ad = next((n for n, line in enumerate(lines, 1) if "자동화된 결정" in line), None)
    if ad is not None and not any("자동화된 결정" in h for h in heads):
        yield Finding(
            "R-POL-2",
            Severity.ERROR,
            file,
            ad,
            1,
            "자동화된 결정을 하면서 그 공개 항목이 없음",
            "자동화된 결정의 기준·절차와 거부·설명 요구 방법을 따로 적으세요 (제37조의2④).",
        )

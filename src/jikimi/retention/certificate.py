"""The destruction certificate (개인정보 파기 확인서) for a period: the destruction log as an auditor reads it.

One self-contained HTML page, ready to print or turn into PDF: who destroyed, over which period, and per log entry
when, under which rule, what kind of data, how many subjects and items, and how. It holds no personal data: the
log it is made from has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from html import escape

from jikimi.policy.model import Policy
from jikimi.retention.ports import DestructionEntry

__all__ = ["render_certificate"]

KST = timezone(timedelta(hours=9), "KST")

_STYLE = """
body { font-family: "Noto Sans KR", "Malgun Gothic", sans-serif; margin: 2.5em; color: #111; }
h1 { text-align: center; letter-spacing: 0.3em; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; }
th, td { border: 1px solid #444; padding: 0.4em 0.6em; font-size: 0.92em; }
th { background: #eee; }
td.n { text-align: right; }
.sign { margin-top: 3em; text-align: right; line-height: 2.4; }
@media print { body { margin: 1.5cm; } }
"""

_METHOD_KO = "암호키 삭제(복구 불가능한 방법) 후 암호문 행 삭제"


def _day(at: datetime) -> str:
    k = at.astimezone(KST)
    return f"{k.year}년 {k.month}월 {k.day}일"


def _kst(at: datetime) -> str:
    return f"{_day(at)} {at.astimezone(KST):%H:%M}"


def render_certificate(
    policy: Policy, entries: Sequence[DestructionEntry], start: datetime, end: datetime, issued: datetime
) -> str:
    """The certificate of ``entries`` (the log for ``start <= at < end``) as HTML, dates in Korean time."""
    rows = []
    for e in entries:
        rule = escape(e.rule)
        rows.append(
            "<tr>"
            f"<td>{_kst(e.at)}</td><td>{escape(e.kind)}<br><small>{rule}</small></td>"
            f'<td class="n">{e.subjects:,}</td><td class="n">{e.items:,}</td>'
            f"<td>{_METHOD_KO}</td><td>{escape(e.policy_version)}</td>"
            "</tr>"
        )
    subjects = sum(e.subjects for e in entries)
    items = sum(e.items for e in entries)
    body = "\n".join(rows) or '<tr><td colspan="6">이 기간에 파기한 개인정보가 없습니다.</td></tr>'
    last_day = end - timedelta(microseconds=1)
    return f"""<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<title>개인정보 파기 확인서 - {escape(policy.service.name)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>개인정보 파기 확인서</h1>
<p>{escape(policy.service.name)}은(는) 「개인정보 보호법」 제21조 및 같은 법 시행령 제16조에 따라, 보유기간이 지나거나
처리 목적이 달성되어 불필요하게 된 개인정보를 아래와 같이 파기하였음을 확인합니다.</p>
<table>
<tr><th>파기 기간</th><td>{_day(start)} ~ {_day(last_day)}</td></tr>
<tr><th>파기 건수</th><td>보관 단위 {subjects:,}건, 항목 {items:,}건 (파기 기록 {len(entries):,}건)</td></tr>
<tr><th>파기 방법</th><td>{_METHOD_KO}. 파기한 정보는 어떠한 방법으로도 복구할 수 없습니다.</td></tr>
</table>
<table>
<tr><th>파기 일시</th><th>파기한 개인정보 (보유 규칙)</th><th>보관 단위 수</th><th>항목 수</th><th>파기 방법</th>
<th>처리방침 버전</th></tr>
{body}
</table>
<p>보관 단위는 정보주체 한 명이 한 보유 규칙에 따라 보관하던 정보(운영 기록은 기록 한 건)를 말합니다.
이 확인서에는 개인정보가 포함되어 있지 않습니다. 파기 기록은 정보주체를 식별할 수 있는 정보 없이 보관합니다.</p>
<div class="sign">
발급일: {_day(issued.astimezone(UTC))}<br>
개인정보 보호책임자: ____________________ (서명)<br>
확인자: ____________________ (서명)
</div>
</body>
</html>
"""

"""Purpose-bound access for staff and the access record (접속기록), with its monthly review.

Flow: a read request -> :func:`decide` (the one gate: operator, role, purpose, consent, suspension, locks, separate
storage, reasons for bulk reads) -> decrypt only if allowed -> one :class:`AccessRecord` per subject, hash-chained
(:func:`chain_records`, :func:`verify`) -> :func:`review` of a month for the privacy officer (R-SEC-21..24).
Records hold no personal data: subjects by pseudonymous id, items by name.
"""

from jikimi.access.gate import DEFAULT_BULK_THRESHOLD, decide
from jikimi.access.model import AccessRequest, Decision, Operator, Outcome, SubjectFacts
from jikimi.access.record import AccessRecord, Break, chain_records, verify
from jikimi.access.review import Finding, Review, review, to_html, to_markdown

__all__ = [
    "DEFAULT_BULK_THRESHOLD",
    "AccessRecord",
    "AccessRequest",
    "Break",
    "Decision",
    "Finding",
    "Operator",
    "Outcome",
    "Review",
    "SubjectFacts",
    "chain_records",
    "decide",
    "review",
    "to_html",
    "to_markdown",
    "verify",
]

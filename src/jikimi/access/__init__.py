"""Purpose-bound access for staff and the access record (접속기록), with its monthly review.

Flow: a read request -> :func:`decide` (the one gate: operator, role, purpose, consent, suspension, locks, separate
storage, reasons for bulk reads) -> decrypt only if allowed -> one :class:`AccessRecord` per subject, hash-chained
(:func:`chain_records`, :func:`verify`) -> :func:`review` of a month for the privacy officer (R-SEC-21..24).
Suspensions of processing (R-DSR-6) and items held back for a correction (R-DSR-5), each a :class:`Restriction`,
are placed and lifted through :class:`~jikimi.access.restrictions.Restrictions` and read by the gate on every read.
Records hold no personal data: subjects by pseudonymous id, items by name.
"""

from jikimi.access.gate import DEFAULT_BULK_THRESHOLD, decide
from jikimi.access.model import AccessRequest, Decision, Operator, Outcome, Restriction, RestrictionKind, SubjectFacts
from jikimi.access.record import AccessRecord, Break, chain_records, verify, verify_pages
from jikimi.access.review import Finding, Review, review, review_rows, to_html, to_markdown

__all__ = [
    "DEFAULT_BULK_THRESHOLD",
    "AccessRecord",
    "AccessRequest",
    "Break",
    "Decision",
    "Finding",
    "Operator",
    "Outcome",
    "Restriction",
    "RestrictionKind",
    "Review",
    "SubjectFacts",
    "chain_records",
    "decide",
    "review",
    "review_rows",
    "to_html",
    "to_markdown",
    "verify",
    "verify_pages",
]

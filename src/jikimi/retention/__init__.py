"""Retention and destruction: what a purpose's end destroys at once, what moves to separate storage and until when.

Flow: an end-of-purpose event -> :func:`on_purpose_end` (the policy's retention table, the statutory catalogue and
the subject's clocks) -> a :class:`Disposition` (destroy now / keep per rule) -> :class:`Retention` copies kept
items into their rules' vault buckets and shreds the live one, in one transaction -> the sweep destroys each kept
bucket when it is due (expired and under no legal hold), key first, rows after, resumable after a crash -> the
destruction log and its certificate (:func:`render_certificate`). The 1-year dormant-account separation was
abolished in 2023 (R-HIST-1): nothing here does it unless a policy declares such a rule itself.
"""

from jikimi.retention.certificate import render_certificate
from jikimi.retention.periods import add_period
from jikimi.retention.ports import (
    DestructionEntry,
    HoldRow,
    KeptBucket,
    RecordRow,
    RetentionSession,
    RetentionStore,
    RuleCount,
    SweepRun,
)
from jikimi.retention.schedule import CONDITIONAL, Disposition, Keep, LegalHold, is_due, on_purpose_end, rule_period
from jikimi.retention.service import METHOD, Ended, Retention, SweepProgress, SweepReport

__all__ = [
    "CONDITIONAL",
    "METHOD",
    "DestructionEntry",
    "Disposition",
    "Ended",
    "HoldRow",
    "Keep",
    "KeptBucket",
    "LegalHold",
    "RecordRow",
    "Retention",
    "RetentionSession",
    "RetentionStore",
    "RuleCount",
    "SweepProgress",
    "SweepReport",
    "SweepRun",
    "add_period",
    "is_due",
    "on_purpose_end",
    "render_certificate",
    "rule_period",
]

"""Retention and destruction: what a purpose's end destroys at once, what moves to separate storage and until when.

Flow: an end-of-purpose event -> :func:`on_purpose_end` (the policy's retention table, the statutory catalogue and
the subject's clocks) -> a :class:`Disposition` (destroy now / keep per rule) -> the sweep destroys each kept bucket
when :func:`is_due` (expired and under no :class:`LegalHold`). The 1-year dormant-account separation was abolished
in 2023 (R-HIST-1): nothing here does it unless a policy declares such a rule itself.
"""

from jikimi.retention.periods import add_period
from jikimi.retention.schedule import CONDITIONAL, Disposition, Keep, LegalHold, is_due, on_purpose_end, rule_period

__all__ = ["CONDITIONAL", "Disposition", "Keep", "LegalHold", "add_period", "is_due", "on_purpose_end", "rule_period"]

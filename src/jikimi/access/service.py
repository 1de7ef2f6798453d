"""Operators and their rights (:class:`Operators`), and every read through the gate with its record.

:meth:`AccessService.read` asks the gate; on a refusal it records the refusal and raises :class:`AccessDeniedError`
naming the rule; on an allowed decision it commits the access records first and only then decrypts, so no data is
ever returned whose access record is not stored (R-SEC-21). The gate's facts about the subjects come from the
:class:`FactsSource`, with the subjects' suspensions and correction holds (R-DSR-6, R-DSR-5) added from the store in
the transaction that records the read. Operator changes are logged in the same transaction as the change (R-SEC-3,
R-SEC-4). :meth:`AccessService.verify` and :meth:`AccessService.review` are ``jikimi audit verify`` and ``review``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from jikimi.access.gate import DEFAULT_BULK_THRESHOLD, decide_all
from jikimi.access.model import AccessRequest, Decision, Operator, SubjectFacts
from jikimi.access.ports import AccessSession, AccessStore, FactsSource, Reader, Restricted, RightsChange
from jikimi.access.record import Break, chain_records, retention_period, verify_pages
from jikimi.access.review import Review, month_bounds, review_rows
from jikimi.clock import Clock
from jikimi.errors import AccessDeniedError, UnknownOperatorError
from jikimi.policy.model import Policy
from jikimi.retention.periods import subtract_period

__all__ = ["AccessService", "Operators"]


class Operators:
    """Operator accounts and their rights: every grant, change and revocation is logged with it (R-SEC-3, -4)."""

    def __init__(self, policy: Policy, store: AccessStore, clock: Clock) -> None:
        self._policy = policy
        self._store = store
        self._clock = clock

    def grant(self, operator: str, role: str, actor: str) -> Operator:
        """Create an operator account with a role the policy declares, or change its role."""
        if role not in self._policy.roles:
            raise UnknownOperatorError(f"role {role!r} is not declared in the policy")
        now = self._clock.now()
        with self._store.transaction() as session:
            before = session.get_operator(operator)
            updated = Operator(operator, role, True)
            session.put_operator(updated, now)
            change = "granted" if before is None else "changed"
            session.log_rights_change(RightsChange(operator, change, before.role if before else None, role, actor, now))
        return updated

    def disable(self, operator: str, actor: str) -> None:
        """Revoke an operator's access (on leaving or changing jobs, R-SEC-3)."""
        now = self._clock.now()
        with self._store.transaction() as session:
            before = session.get_operator(operator)
            if before is None:
                raise UnknownOperatorError(f"operator {operator!r} has no account")
            session.put_operator(Operator(operator, before.role, False), now)
            session.log_rights_change(RightsChange(operator, "disabled", before.role, None, actor, now))


class AccessService:
    """Purpose-bound reads for one policy. Collaborators are passed in; nothing is global."""

    def __init__(
        self,
        policy: Policy,
        store: AccessStore,
        facts: FactsSource,
        reader: Reader,
        *,
        bulk_threshold: int = DEFAULT_BULK_THRESHOLD,
    ) -> None:
        self._policy = policy
        self._store = store
        self._facts = facts
        self._reader = reader
        self._bulk_threshold = bulk_threshold

    # --- reads -------------------------------------------------------------------------------------------

    def decide(self, request: AccessRequest) -> Decision:
        """The gate's decision for ``request``, without reading or recording anything."""
        with self._store.transaction() as session:
            return self._decide_all(session, [request])[0][1]

    def read(self, request: AccessRequest) -> dict[str, dict[str, str]]:
        """Decrypt ``request.items`` of its subjects if the gate allows; record the access either way."""
        (result,) = self.read_many([request])
        if isinstance(result, Decision):
            raise AccessDeniedError(result.rule or "", result.message)
        return result

    def read_many(self, requests: Iterable[AccessRequest]) -> list[dict[str, dict[str, str]] | Decision]:
        """Many reads with one commit for all their records (group commit); each result is the data or the refusal.

        The decisions and the records of the whole batch are made in one transaction, and nothing is decrypted
        before it commits, so a crash loses no record of a read whose data was returned.
        """
        with self._store.transaction() as session:
            decided = self._decide_all(session, list(requests))
            session.append(chain_records(decided, session.head()))
        wanted: dict[tuple[tuple[str, ...], str], set[str]] = {}
        for request, decision in decided:
            if decision.allowed:
                wanted.setdefault((request.items, request.purpose), set()).update(request.subjects)
        data = {key: self._reader(sorted(subjects), *key) for key, subjects in wanted.items()}
        return [{s: data[(r.items, r.purpose)].get(s, {}) for s in r.subjects} if d.allowed else d for r, d in decided]

    def _decide_all(
        self, session: AccessSession, requests: list[AccessRequest]
    ) -> list[tuple[AccessRequest, Decision]]:
        # The operators of the batch once; the facts of all its subjects in one call, and their suspensions and
        # correction holds in one query (per few hundred subjects) inside this transaction, the one that records.
        operators = {name: session.get_operator(name) for name in {r.operator for r in requests}}
        subjects = list(dict.fromkeys(s for r in requests for s in r.subjects))
        facts = self._facts.facts(subjects)
        restricted = session.restricted(subjects)
        if restricted:
            facts = _with_restrictions(facts, restricted)
        return decide_all(self._policy, requests, operators, facts, bulk_threshold=self._bulk_threshold)

    def verify(self) -> tuple[int, Break | None]:
        """Walk the whole access record (``jikimi audit verify``): records checked and the first break."""
        return verify_pages(self._store.chain_pages(), self._store.checkpoint())

    def review(self, month: str) -> Review:
        """The monthly review of ``month`` (``YYYY-MM``, days in KST) from the store (``jikimi audit review``)."""
        start, end = month_bounds(month)
        return review_rows(
            self._store.review_rows(start, end), self._policy, month, bulk_threshold=self._bulk_threshold
        )

    def prune(self, now: datetime) -> int:
        """Destroy the access records past their retention (R-SEC-22: 1 or 2 years); the sweep calls this."""
        cutoff = subtract_period(now, retention_period(self._policy))
        return 0 if cutoff is None else self._store.prune(cutoff)


def _with_restrictions(facts: Mapping[str, SubjectFacts], restricted: Restricted) -> dict[str, SubjectFacts]:
    """``facts`` with the stored suspensions and holds added (an unknown subject stays unknown: the gate refuses)."""
    out = dict(facts)
    for subject, (suspended, held) in restricted.items():
        found = out.get(subject)
        if found is not None:
            out[subject] = replace(found, suspended=found.suspended | suspended, held_back=found.held_back | held)
    return out

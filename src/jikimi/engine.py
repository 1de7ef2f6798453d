"""The composition root: :class:`Engine` wires the services from a policy, a store, a keyring and a clock.

The CLI, the API and the tests all drive jikimi through one Engine (STYLE.md habit 4): the vault, consent,
retention and access services share one policy, one clock and one store. Later domains (rights, sharing) add
theirs here.

When the store also keeps the consent ledger (a :class:`~jikimi.consent.ports.ConsentStore`, e.g.
``SqlConsentStore``), the vault is given a :class:`~jikimi.consent.ports.UnitOfWork` over it, so a sign-up's vault
write joins the transaction of its subject record and ledger events (one commit, or nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from jikimi.access.model import AccessRequest, Restriction, SubjectFacts
from jikimi.access.ports import AccessStore
from jikimi.access.restrictions import Restrictions
from jikimi.access.service import AccessService, Operators
from jikimi.clock import Clock, SystemClock
from jikimi.consent.ledger import Verification
from jikimi.consent.model import Representative, SubjectStatus
from jikimi.consent.ports import ConsentStore, UnitOfWork
from jikimi.consent.service import Collected, Consents, Withdrawn
from jikimi.errors import StorageError
from jikimi.policy.model import ClockStart, ConsentMethod, Policy
from jikimi.retention.certificate import render_certificate
from jikimi.retention.ports import RetentionStore
from jikimi.retention.proof import erase_proof
from jikimi.retention.schedule import rule_items
from jikimi.retention.service import Ended, Retention, SweepProgress, SweepReport
from jikimi.vault.keyring import Keyring
from jikimi.vault.passwords import PasswordHashing
from jikimi.vault.ports import VaultStore
from jikimi.vault.vault import Vault

__all__ = ["Engine"]


class Engine:
    """jikimi for one policy. Building it checks the keyring against the database (KeyringError if wrong)."""

    def __init__(
        self,
        policy: Policy,
        store: VaultStore,
        keyring: Keyring,
        clock: Clock | None = None,
        *,
        passwords: PasswordHashing | None = None,
        access_store: AccessStore | None = None,
    ) -> None:
        self.policy = policy
        self._access_store = access_store
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self._consents: Consents | None = None
        if isinstance(store, ConsentStore):
            uow = UnitOfWork(store)
            self.vault = Vault(policy, uow, keyring, clock=self.clock, passwords=passwords)
            self._consents = Consents(policy, uow, self.vault, self.clock)
        else:
            self.vault = Vault(policy, store, keyring, clock=self.clock, passwords=passwords)

    def __repr__(self) -> str:
        return f"Engine(service={self.policy.service.key!r})"

    @property
    def consents(self) -> Consents:
        """The consent service (StorageError if the store keeps no consent ledger)."""
        if self._consents is None:
            raise StorageError("this store keeps no consent ledger; open it with open_consent_store()")
        return self._consents

    def collect(
        self,
        channel: str,
        subject_type: str | None,
        data: Mapping[str, str],
        consents: Mapping[str, bool],
        method: ConsentMethod | None,
        evidence: str | None,
        actor: str = "self",
        *,
        representative: Representative | None = None,
        subject: str | None = None,
    ) -> Collected:
        """Collect through a policy channel (see :meth:`jikimi.consent.service.Consents.collect`)."""
        return self.consents.collect(
            channel,
            subject_type,
            data,
            consents,
            method,
            evidence,
            actor,
            representative=representative,
            subject=subject,
        )

    def decide(self, subject: str, approve: bool, actor: str) -> SubjectStatus:
        """Approve or refuse a pending application (a refused one's data is destroyed)."""
        return self.consents.decide(subject, approve, actor)

    def withdraw_consent(
        self, subject: str, topics: Sequence[str], method: ConsentMethod, evidence: str | None, actor: str = "self"
    ) -> Withdrawn:
        """Withdraw consents at once (R-DSR-7): see :meth:`jikimi.consent.service.Consents.withdraw`."""
        return self.consents.withdraw(subject, topics, method, evidence, actor)

    def may_use(self, subject: str, item: str, purpose: str, now: datetime | None = None) -> bool:
        """May ``item`` of ``subject`` serve ``purpose`` now? In-process; decrypts nothing (see ConsentBook.may_use)."""
        return self.consents.book.may_use(subject, item, purpose, now or self.clock.now())

    def may_provide(self, subject: str, recipient: str, now: datetime | None = None, item: str | None = None) -> bool:
        """May the subject's data go to third party ``recipient`` on its consent? (R-XFER-1; Consents.may_provide)."""
        return self.consents.may_provide(subject, recipient, now, item)

    def may_transfer(
        self, subject: str, recipient: str, country: str, now: datetime | None = None, item: str | None = None
    ) -> bool:
        """May the subject's data go abroad to ``recipient`` in ``country`` on its consent? (R-XFER-8)."""
        return self.consents.may_transfer(subject, recipient, country, now, item)

    def await_representative(
        self, channel: str, subject_type: str | None, data: Mapping[str, str], evidence: str | None = None
    ) -> Collected:
        """A child's sign-up waiting for the representative (R-CHILD-3): see Consents.await_representative."""
        return self.consents.await_representative(channel, subject_type, data, evidence)

    def reconsent(
        self,
        subject: str,
        topics: Sequence[str],
        method: ConsentMethod,
        evidence: str | None,
        actor: str = "self",
        *,
        representative: Representative | None = None,
    ) -> Collected:
        """Consents given again under the policy version in force (R-POL-4); a child's by its verified legal
        representative (R-CHILD-1/2): see Consents.reconsent."""
        return self.consents.reconsent(subject, topics, method, evidence, actor, representative=representative)

    def verify_consents(self) -> Verification:
        """Walk the consent ledger's hash chain; the first broken link, if any."""
        return self.consents.verify()

    # --- retention ---------------------------------------------------------------------------------------

    @property
    def retention(self) -> Retention:
        """The retention service (StorageError unless the store keeps the retention tables)."""
        service: Retention | None = getattr(self, "_retention", None)
        if service is None:
            uow = self.vault.store
            if not isinstance(uow, UnitOfWork) or not isinstance(self.store, RetentionStore):
                raise StorageError("this store keeps no retention tables; open it with open_retention_store()")
            service = Retention(self.policy, uow, self.vault, self.consents, self.clock)
            self._retention = service
        return service

    def end_purpose(
        self, subject: str, event: ClockStart | None = None, actor: str = "self", at: datetime | None = None
    ) -> Ended:
        """End every purpose of a subject (default 회원탈퇴): destroy, keep apart, mark withdrawn; one transaction."""
        return self.retention.end_purpose(subject, event or ClockStart.WITHDRAWAL, actor, at)

    def record(
        self, subject: str, kind: str, data: Mapping[str, str] | None = None, occurred_at: datetime | None = None
    ) -> str:
        """Keep an operational record of a declared kind; its retention clock starts at ``occurred_at``."""
        return self.retention.record(subject, kind, data, occurred_at)

    def place_hold(self, subject: str, reason: str, actor: str) -> int:
        """Hold a subject's data past expiry until released (UnknownSubjectError for an unknown subject)."""
        return self.retention.place_hold(subject, reason, actor)

    def release_hold(self, hold: int, actor: str) -> None:
        """Release a legal hold; the next sweep destroys what expired meanwhile."""
        self.retention.release_hold(hold, actor)

    def sweep(
        self,
        now: datetime | None = None,
        *,
        dry_run: bool = False,
        batch: int = 10_000,
        progress: Callable[[SweepProgress], None] | None = None,
    ) -> SweepReport:
        """Destroy every due kept bucket, resumably (see :mod:`jikimi.retention.service`), then the consent events
        of destroyed subjects whose proof period is over (:mod:`jikimi.retention.proof`) and the access records
        past their retention."""
        report = self.retention.sweep(now, dry_run=dry_run, batch=batch, progress=progress)
        # After the buckets: a subject whose last kept bucket this run destroyed may be due at once.
        proof = erase_proof(
            self.policy, self._unit(), report.now, dry_run=dry_run, batch=batch, forget=self.consents.book.forget
        )
        report = replace(report, consent_subjects=proof.subjects, consent_events=proof.events)
        if self._access_store is None or dry_run:
            return report
        # jikimi's own records have a retention too: the access record's end (R-SEC-22) goes with the same sweep.
        return replace(report, access_records=self.access.prune(report.now))

    def _unit(self) -> UnitOfWork:
        uow = self.vault.store
        assert isinstance(uow, UnitOfWork)  # self.retention checked it
        return uow

    def destruction_certificate(self, start: datetime, end: datetime) -> str:
        """The 개인정보 파기 확인서 (HTML) of the destruction log for ``start <= at < end``."""
        entries = self.retention.destruction_log(start, end)
        return render_certificate(self.policy, entries, start, end, self.clock.now())

    # --- access ------------------------------------------------------------------------------------------

    @property
    def operators(self) -> Operators:
        """Operator accounts and their rights log (StorageError without an access store)."""
        return Operators(self.policy, self._require_access_store(), self.clock)

    @property
    def access(self) -> AccessService:
        """Every staff read of personal data, through the gate, with its access record (R-SEC-2, R-SEC-21)."""
        service: AccessService | None = getattr(self, "_access", None)
        if service is None:
            service = AccessService(self.policy, self._require_access_store(), _EngineFacts(self), self._read)
            self._access = service
        return service

    @property
    def restrictions(self) -> Restrictions:
        """Suspensions of processing and items held back for a correction, which the gate enforces (R-DSR-5, -6)."""
        return Restrictions(self.policy, self._require_access_store(), _EngineFacts(self), self.clock)

    def suspend_processing(self, subject: str, purpose: str, actor: str, *, reason: str | None = None) -> Restriction:
        """Stop reads of ``subject``'s data for ``purpose`` (처리정지, R-DSR-6) until :meth:`resume_processing`."""
        return self.restrictions.suspend(subject, purpose, actor, reason=reason)

    def resume_processing(self, subject: str, purpose: str, actor: str) -> Restriction:
        """Lift a suspension (AccessError if ``purpose`` is not suspended for ``subject``)."""
        return self.restrictions.resume(subject, purpose, actor)

    def hold_for_correction(
        self, subject: str, items: Sequence[str], actor: str, *, reason: str | None = None
    ) -> list[Restriction]:
        """Hold ``items`` back from every read until corrected (R-DSR-5), until :meth:`release_correction`."""
        return self.restrictions.hold(subject, items, actor, reason=reason)

    def release_correction(self, subject: str, items: Sequence[str], actor: str) -> list[Restriction]:
        """Lift correction holds (AccessError, nothing lifted, if an item is not held)."""
        return self.restrictions.release(subject, items, actor)

    def read(
        self,
        operator: str,
        subjects: Sequence[str],
        items: Sequence[str],
        purpose: str,
        task: str,
        source: str,
        *,
        reason: str | None = None,
        download: bool = False,
    ) -> dict[str, dict[str, str]]:
        """One staff read at this engine's clock (AccessDeniedError names the refusing rule; both are recorded)."""
        request = AccessRequest(
            operator, tuple(subjects), tuple(items), purpose, task, source, self.clock.now(), reason, download
        )
        return self.access.read(request)

    def _require_access_store(self) -> AccessStore:
        if self._access_store is None:
            raise StorageError("this engine has no access store; pass access_store= (e.g. SqlAccessStore)")
        return self._access_store

    def _read(self, subjects: Sequence[str], items: Sequence[str], purpose: str) -> dict[str, dict[str, str]]:
        """Live data, or for subjects whose purposes ended, what a rule keeps for ``purpose`` (R-RET-2)."""
        out = self.vault.get_many(subjects, items)
        if isinstance(self.store, RetentionStore):
            wanted = set(items)
            for subject in subjects:
                if subject in out:
                    continue
                for kept in self.retention.kept(subject):
                    if kept.use == purpose:
                        found = self.retention.read_kept(subject, kept.bucket, purpose)
                        out.setdefault(subject, {}).update({k: v for k, v in found.items() if k in wanted})
        return out


class _EngineFacts:
    """The gate's facts from the engine's own services: consent state and separate storage, nothing decrypted
    (suspensions and correction holds the access service adds from its own store)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def facts(self, subjects: Iterable[str]) -> Mapping[str, SubjectFacts]:
        engine = self._engine
        consents = engine._consents
        out: dict[str, SubjectFacts] = {}
        for subject in subjects:
            if consents is None:
                out[subject] = SubjectFacts()
                continue
            state = consents.book.state(subject)
            if state is None:
                continue  # unknown subject: the gate refuses
            separated: dict[str, str | None] = {}
            if not state.active and isinstance(engine.store, RetentionStore):
                # The purposes ended: what is left is kept apart, each item only for the use of a rule keeping it.
                rules = {rule.key: rule for rule in engine.policy.retention}
                for kept in engine.retention.kept(subject):
                    for item in rule_items(engine.policy, rules[kept.rule]):
                        if separated.get(item) is None:
                            separated[item] = kept.use
            out[subject] = SubjectFacts(consented=state.in_force - state.stale, separated=separated)
        return out

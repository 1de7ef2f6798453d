"""The composition root: :class:`Engine` wires the services from a policy, a store, a keyring and a clock.

The CLI, the API and the tests all drive jikimi through one Engine (STYLE.md habit 4). Later domains (access,
retention ...) add their services here.

When the store also keeps the consent ledger (a :class:`~jikimi.consent.ports.ConsentStore`, e.g.
``SqlConsentStore``), the vault is given a :class:`~jikimi.consent.ports.UnitOfWork` over it, so a sign-up's vault
write joins the transaction of its subject record and ledger events (one commit, or nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from jikimi.clock import Clock, SystemClock
from jikimi.consent.ledger import Verification
from jikimi.consent.model import Representative, SubjectStatus
from jikimi.consent.ports import ConsentStore, UnitOfWork
from jikimi.consent.service import Collected, Consents, Withdrawn
from jikimi.errors import StorageError
from jikimi.policy.model import ConsentMethod, Policy
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
    ) -> None:
        self.policy = policy
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
        self, subject: str, topics: Sequence[str], method: ConsentMethod, evidence: str | None, actor: str = "self"
    ) -> Collected:
        """Consents given again under the policy version in force (R-POL-4): see Consents.reconsent."""
        return self.consents.reconsent(subject, topics, method, evidence, actor)

    def verify_consents(self) -> Verification:
        """Walk the consent ledger's hash chain; the first broken link, if any."""
        return self.consents.verify()

    # --- retention (appended: the consent methods above are edited concurrently) ---------------------------

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
        """Destroy every due kept bucket, resumably (see :mod:`jikimi.retention.service`)."""
        return self.retention.sweep(now, dry_run=dry_run, batch=batch, progress=progress)

    def destruction_certificate(self, start: datetime, end: datetime) -> str:
        """The 개인정보 파기 확인서 (HTML) of the destruction log for ``start <= at < end``."""
        entries = self.retention.destruction_log(start, end)
        return render_certificate(self.policy, entries, start, end, self.clock.now())


# Imported here, after the class, so the retention methods stay one appended block (see above).
from collections.abc import Callable  # noqa: E402

from jikimi.policy.model import ClockStart  # noqa: E402
from jikimi.retention.certificate import render_certificate  # noqa: E402
from jikimi.retention.ports import RetentionStore  # noqa: E402
from jikimi.retention.service import Ended, Retention, SweepProgress, SweepReport  # noqa: E402

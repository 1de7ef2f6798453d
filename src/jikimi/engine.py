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

    def verify_consents(self) -> Verification:
        """Walk the consent ledger's hash chain; the first broken link, if any."""
        return self.consents.verify()

"""The composition root: :class:`Engine` wires the services from a policy, a store, a keyring and a clock.

The CLI, the API and the tests all drive jikimi through one Engine (STYLE.md habit 4). Later domains (consent,
access, retention ...) add their services here.
"""

from __future__ import annotations

from jikimi.clock import Clock, SystemClock
from jikimi.policy.model import Policy
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
        self.vault = Vault(policy, store, keyring, clock=self.clock, passwords=passwords)

    def __repr__(self) -> str:
        return f"Engine(service={self.policy.service.key!r})"

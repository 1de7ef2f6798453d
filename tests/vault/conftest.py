"""Fixtures of the vault's domain tests: the small test policy, a keyring and cheap argon2 parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from jikimi.policy import Policy, load_policy
from jikimi.vault import Argon2Params, LocalKeyring, PasswordHashing

POLICY = Path(__file__).resolve().parent / "data" / "vault.yaml"


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(POLICY)


@pytest.fixture
def keyring() -> LocalKeyring:
    return LocalKeyring.generate()


@pytest.fixture(scope="session")
def passwords() -> PasswordHashing:
    return PasswordHashing(Argon2Params.cheap())

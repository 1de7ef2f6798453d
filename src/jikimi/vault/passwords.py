"""Passwords one-way only (R-SEC-14): argon2id with salted, adaptive parameters (R-SEC-20).

The vault stores the argon2 hash string (itself encrypted under the subject's data key, so shredding also destroys
it). :meth:`PasswordHashing.verify` reports whether the stored hash should be replaced because the parameters have
changed since it was made (rehash-on-verify). Parameters are injected so tests can use cheap ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["Argon2Params", "PasswordHashing", "Verification"]


@dataclass(frozen=True, slots=True)
class Argon2Params:
    """argon2id cost parameters; the defaults are argon2-cffi's RFC 9106 low-memory profile."""

    time_cost: int = 3
    memory_cost: int = 65536  # KiB
    parallelism: int = 4

    @classmethod
    def cheap(cls) -> Argon2Params:
        """For tests only: fast, and far too weak for real passwords."""
        return cls(time_cost=1, memory_cost=8, parallelism=1)


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of a password check: ``ok``, and whether the stored hash should be replaced."""

    ok: bool
    needs_rehash: bool = False


class PasswordHashing:
    """Hash and verify passwords with argon2id."""

    def __init__(self, params: Argon2Params | None = None) -> None:
        self.params = params or Argon2Params()
        self._hasher = PasswordHasher(
            time_cost=self.params.time_cost,
            memory_cost=self.params.memory_cost,
            parallelism=self.params.parallelism,
            type=Type.ID,
        )

    def hash(self, password: str) -> str:
        """A new salted hash: the same password never hashes alike twice."""
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> Verification:
        """Check ``password``; a malformed stored hash counts as a mismatch, never as an error that shows data."""
        try:
            self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return Verification(ok=False)
        return Verification(ok=True, needs_rehash=self._hasher.check_needs_rehash(stored_hash))

    def __repr__(self) -> str:
        return f"PasswordHashing({self.params!r})"

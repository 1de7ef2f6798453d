"""argon2id hashing: salted, verified, and flagged for rehash when parameters change (R-SEC-14)."""

from __future__ import annotations

from jikimi.vault import Argon2Params, PasswordHashing


def test_hashes_are_salted_and_verify() -> None:
    hashing = PasswordHashing(Argon2Params.cheap())
    one, two = hashing.hash("correct horse"), hashing.hash("correct horse")
    assert one != two
    assert one.startswith("$argon2id$")
    assert hashing.verify(one, "correct horse").ok
    assert not hashing.verify(one, "wrong").ok
    assert not hashing.verify("not a hash", "correct horse").ok


def test_changed_parameters_ask_for_a_rehash() -> None:
    old = PasswordHashing(Argon2Params.cheap())
    new = PasswordHashing(Argon2Params(time_cost=2, memory_cost=16, parallelism=1))
    stored = old.hash("correct horse")
    assert not old.verify(stored, "correct horse").needs_rehash
    assert new.verify(stored, "correct horse").needs_rehash
    assert not new.verify(new.hash("correct horse"), "correct horse").needs_rehash

"""Personal data never appears in a repr, a str, an exception message or a log record."""

from __future__ import annotations

import logging
import traceback

import pytest

from jikimi.adapters.storage import SqlVaultStore
from jikimi.errors import JikimiError
from jikimi.vault import Vault


def test_no_personal_data_in_reprs_exceptions_or_logs(
    vault: Vault, store: SqlVaultStore, hong: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = list(hong.values())
    seen: list[str] = [repr(vault), str(vault), repr(store)]

    vault.put("s-1", hong)
    vault.get("s-1")
    vault.masked("s-1")
    vault.find_by("phone", hong["phone"])
    vault.verify_password("s-1", "password", hong["password"])
    vault.verify_password("s-1", "password", "wrong " + hong["password"])
    with store.transaction() as session:
        for row, key in session.read_fields("live", ["s-1"], None):
            seen += [repr(row), str(row), repr(key)]

    failures = [
        lambda: vault.put("s-2", dict(hong, rrn="900101-1234567")),
        lambda: vault.put("s-2", dict(hong, email="hong.gildong@")),
        lambda: vault.put("s-2", dict(hong, phone="010-12-5678")),
        lambda: vault.put("s-2", dict(hong, card="4111-1111-1111-1112")),
        lambda: vault.put("s-2", dict(hong, name="홍길동" * 10)),
        lambda: vault.put("s-2", {"shoe_size": hong["name"]}),
        lambda: vault.get("s-1", ["password"]),
        lambda: vault.find_by("name", hong["name"]),
    ]
    for fail in failures:
        with pytest.raises(JikimiError) as caught:
            fail()
        error = caught.value
        # Nothing chained either: a chained driver or validation error could carry the value.
        assert error.__cause__ is None
        assert error.__context__ is None or error.__suppress_context__
        seen += [str(error), repr(error), repr(error.args), *traceback.format_exception_only(error)]
    vault.shred("s-1")

    seen += [record.getMessage() for record in caplog.records]
    seen.append(caplog.text)
    assert caplog.records, "the vault logs its operations (counts and ids only)"
    for text in seen:
        for secret in secrets:
            assert secret not in text
        assert "900101-1234567" not in text

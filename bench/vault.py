"""Vault benchmarks through the public Python API, each beside its physical reference measured in the same run.

Figures (rates, higher is better, except the shred timings in seconds):

- bulk write: ``Vault.put_many`` of N subjects x 8 fields (batches of 5,000 subjects, one transaction each);
  reference: raw AES-GCM of the same field size, and a raw ``executemany`` of the same row shape in the same
  transactions (until 2026-12-07: all rows in one transaction, which at 10M held 80M rows in memory);
- one transaction per subject: ``Vault.put``; reference: raw one-transaction-per-subject ``executemany``;
- reads: ``Vault.get`` of all 8 fields, one subject at a time, and ``Vault.get_many`` in batches of 500;
  reference: a raw point query of the same 8 rows plus raw AES-GCM decryption;
- shredding: ``Vault.shred_keys`` of N subjects (the data is unreadable from then on), then ``Vault.purge``;
  reference: a raw delete of the same number of key rows.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import text

from jikimi.adapters.storage import SqlVaultStore, create_db_engine, normalise_url, open_store
from jikimi.policy import Policy, load_policy_text
from jikimi.vault import Argon2Params, LocalKeyring, PasswordHashing, Vault

__all__ = ["BENCH_POLICY", "Figure", "Target", "run_vault_benchmarks"]

BENCH_POLICY = """
format: 1
controller: {name: 주식회사 예시}
service: {key: bench, name: 벤치마크}
version: "1"
effective_date: 2026-01-01
officers: {privacy_officer: {name: 홍길동}}
items:
  name: {label: 이름, format: name}
  phone: {label: 휴대전화번호, format: phone}
  email: {label: 이메일, format: email}
  address: {label: 주소, format: address}
  birth: {label: 생년월일, format: date}
  ip: {label: 접속 IP, category: auto_generated, format: ip_address}
  login: {label: 아이디, format: login_id}
  memo: {label: 메모}
channels:
  signup: {label: 가입, kind: signup, required: [name, phone, email, address, birth, ip, login, memo],
           purposes: [membership]}
purposes:
  membership: {label: 회원 관리, basis: {kind: contract}, items: [name, phone, email, address, birth, ip, login, memo]}
retention:
  - {key: membership, label: 회원, items: [name], period: 0d, starts: withdrawal, basis: {purpose: membership}}
children: {admitted: false}
destruction: {procedure: 파기, electronic: 영구 삭제}
rights: {channels: [웹]}
"""


def record(i: int) -> dict[str, str]:
    """Eight obviously fake fields, about 20 bytes each."""
    return {
        "name": "홍길동",
        "phone": f"010-{i % 10000:04d}-{i // 10000 % 10000:04d}",
        "email": f"user{i}@example.com",
        "address": "서울특별시 중구 세종대로 1",
        "birth": "1990-01-01",
        "ip": f"10.0.{i // 256 % 256}.{i % 256}",
        "login": f"user{i:08d}",
        "memo": "bench memo text 20b",
    }


FIELD_SIZE = 20
_BATCH = 5_000  # subjects per transaction of the bulk import, and of its raw reference


@dataclass
class Figure:
    """One measured quantity: jikimi's runs and the reference's runs."""

    name: str
    unit: str
    runs: list[float] = field(default_factory=list)
    reference_name: str = ""
    reference_runs: list[float] = field(default_factory=list)
    lower_is_better: bool = False
    target: str = ""  # the target, as it words it (">= 100,000", "<= 2 s at 1M subjects")

    @staticmethod
    def stats(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {"median": ordered[len(ordered) // 2], "min": ordered[0], "max": ordered[-1]}

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "unit": self.unit, "jikimi": self.stats(self.runs)}
        if self.target:
            out["target"] = self.target
        if self.reference_runs:
            ref = self.stats(self.reference_runs)
            out["reference"] = {"name": self.reference_name, **ref}
            out["ratio"] = self.stats(self.runs)["median"] / ref["median"]
        return out


@dataclass
class Target:
    """Where to measure: a fresh database per call of ``fresh()``, and a raw DB-API connection for references."""

    engine: str
    fresh: Callable[[], Iterator[tuple[str, str | None]]]


@contextmanager
def sqlite_target() -> Iterator[Callable[[], str]]:
    root = tempfile.mkdtemp(prefix="jikimi-bench-")
    counter = iter(range(1_000_000))
    try:
        yield lambda: f"sqlite:///{root}/bench-{next(counter)}.db"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _timed_batches(n: int, size: int, make: Callable[[int, int], Any], write: Callable[[Any], object]) -> float:
    """Seconds spent in ``write`` over ``make(start, end)`` of every batch of ``size`` of ``0 .. n-1``: each batch is
    made outside the timing, and only when its turn comes (10M subjects' rows at once would be 8 GB)."""
    spent = 0.0
    for start in range(0, n, size):
        batch = make(start, min(n, start + size))
        began = time.perf_counter()
        write(batch)
        spent += time.perf_counter() - began
    return spent


def _raw_aes(n: int) -> float:
    aead = AESGCM(os.urandom(32))
    data, ad = b"x" * FIELD_SIZE, b"a" * 40
    start = time.perf_counter()
    for _ in range(n):
        nonce = os.urandom(12)
        aead.encrypt(nonce, data, ad)
    return n / (time.perf_counter() - start)


def _raw_aes_read(n_subjects: int) -> float:
    aead = AESGCM(os.urandom(32))
    ad = b"a" * 40
    nonce = os.urandom(12)
    blob = aead.encrypt(nonce, b"x" * FIELD_SIZE, ad)
    start = time.perf_counter()
    for _ in range(n_subjects * 8):
        aead.decrypt(nonce, blob, ad)
    return n_subjects / (time.perf_counter() - start)


class RawDb:
    """The physical reference: the same row shape through the bare driver (sqlite3 or psycopg)."""

    def __init__(self, url: str, schema: str | None) -> None:
        self.pg = url.startswith("postgresql")
        if self.pg:
            import psycopg

            options = f"-c search_path={schema}" if schema else ""
            self.conn: object = psycopg.connect(url.replace("+psycopg", ""), options=options)
            self.mark = "%s"
        else:
            self.conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.mark = "?"
        self.execute("DROP TABLE IF EXISTS raw_fields")
        self.execute(
            "CREATE TABLE raw_fields (subject VARCHAR(64), bucket VARCHAR(64), item VARCHAR(64), "
            "kind SMALLINT, value BYTEA, PRIMARY KEY (subject, bucket, item))".replace(
                "BYTEA", "BYTEA" if self.pg else "BLOB"
            )
        )

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        cur = self.conn.cursor()  # type: ignore[attr-defined]
        cur.execute(sql, params)
        rows = cur.fetchall() if cur.description else []
        cur.close()
        if self.pg:
            self.conn.commit()  # type: ignore[attr-defined]
        return list(rows)

    def insert(self, rows: list[tuple[object, ...]], per_subject: bool) -> None:
        sql = f"INSERT INTO raw_fields VALUES ({', '.join([self.mark] * 5)})"
        cur = self.conn.cursor()  # type: ignore[attr-defined]
        step = 8 if per_subject else len(rows)
        for start in range(0, len(rows), step):
            if not self.pg:
                cur.execute("BEGIN")
            cur.executemany(sql, rows[start : start + step])
            if self.pg:
                self.conn.commit()  # type: ignore[attr-defined]
            else:
                cur.execute("COMMIT")
        cur.close()

    def insert_batches(self, n: int, subjects: int = _BATCH) -> float:
        """Subjects ``0 .. n-1``'s rows, ``subjects`` per transaction (as the bulk import commits); the seconds spent
        in the database (each batch's rows are made outside the timing: 10M subjects' at once would be 8 GB)."""
        return _timed_batches(n, subjects, _rows, lambda rows: self.insert(rows, per_subject=False))

    def read(self, subjects: list[str]) -> None:
        sql = f"SELECT item, value FROM raw_fields WHERE subject = {self.mark} AND bucket = 'live'"
        cur = self.conn.cursor()  # type: ignore[attr-defined]
        for subject in subjects:
            cur.execute(sql, (subject,))
            cur.fetchall()
        cur.close()
        if self.pg:
            self.conn.commit()  # type: ignore[attr-defined]

    def delete(self, subjects: list[str]) -> None:
        sql = f"DELETE FROM raw_fields WHERE subject = {self.mark} AND bucket = 'live' AND item = 'name'"
        cur = self.conn.cursor()  # type: ignore[attr-defined]
        if not self.pg:
            cur.execute("BEGIN")
        cur.executemany(sql, [(s,) for s in subjects])
        if self.pg:
            self.conn.commit()  # type: ignore[attr-defined]
        else:
            cur.execute("COMMIT")
        cur.close()

    def close(self) -> None:
        self.execute("DROP TABLE IF EXISTS raw_fields")
        self.conn.close()  # type: ignore[attr-defined]


def _subject(i: int) -> str:
    return f"s-{i:09d}"


def _rows(start: int, end: int) -> list[tuple[object, ...]]:
    blob = os.urandom(12 + FIELD_SIZE + 16)
    items = ("name", "phone", "email", "address", "birth", "ip", "login", "memo")
    return [(_subject(i), "live", item, 1, blob) for i in range(start, end) for item in items]


def _one_run(
    vault: Vault,
    raw: RawDb,
    ids: list[str],
    n_single: int,
    n_read: int,
) -> dict[str, float]:
    """One measured pass on a fresh database: seconds per phase (``aes`` is a rate)."""
    n = len(ids)

    def records(start: int, end: int) -> list[tuple[str, dict[str, str]]]:
        return [(ids[i], record(i)) for i in range(start, end)]

    got = {"bulk": _timed_batches(n, _BATCH, records, vault.put_many), "bulk_raw": raw.insert_batches(n)}
    got["aes"] = _raw_aes(n * 8)
    singles = [(f"t-{i:09d}", record(i)) for i in range(n_single)]

    def put_each() -> None:
        for subject, values in singles:
            vault.put(subject, values)

    got["single"] = _timed(put_each)
    raw.execute("DELETE FROM raw_fields")
    got["single_raw"] = _timed(lambda: raw.insert(_rows(0, n_single), per_subject=True))
    raw.execute("DELETE FROM raw_fields")
    raw.insert_batches(n)
    sample = ids[:n_read]
    got["get"] = _timed(lambda: [vault.get(s) for s in sample])
    got["get_many"] = _timed(lambda: [vault.get_many(sample[i : i + 500]) for i in range(0, n_read, 500)])
    got["get_raw"] = _timed(lambda: raw.read(sample)) + n_read / _raw_aes_read(n_read)
    got["shred"] = _timed(lambda: vault.shred_keys(ids))
    got["purge"] = _timed(lambda: vault.purge(ids))
    got["shred_raw"] = _timed(lambda: raw.delete(ids))
    return got


def run_vault_benchmarks(
    open_db: Callable[[], tuple[SqlVaultStore, str, str | None]],
    subjects: int,
    runs: int,
    log: Callable[[str], None],
) -> list[Figure]:
    """Measure every figure ``runs`` times after one warm-up run; ``open_db`` gives a fresh, empty database."""
    policy: Policy = load_policy_text(BENCH_POLICY, "bench")
    passwords = PasswordHashing(Argon2Params.cheap())  # no passwords in the 8 fields; kept cheap anyway
    n_single = min(subjects, 20_000)  # one transaction per subject: a sample is enough for a rate
    n_read = min(subjects, 100_000)
    ids = [_subject(i) for i in range(subjects)]
    figures = {
        "bulk": Figure(
            "encrypted field writes, bulk import", "fields/s", reference_name="raw executemany", target=">= 100,000"
        ),
        "aes": Figure("  raw AES-256-GCM encrypt, same field size", "fields/s"),
        "single": Figure(
            "encrypted field writes, one transaction per subject",
            "fields/s",
            reference_name="raw, same commits",
            target=">= 30,000",
        ),
        "get": Figure(
            "reads, 8 fields decrypted, Vault.get",
            "subjects/s",
            reference_name="raw query + decrypt",
            target=">= 30,000",
        ),
        "get_many": Figure("reads, 8 fields decrypted, get_many(500)", "subjects/s"),
        "shred": Figure(
            f"shred {subjects:,} subjects' keys",
            "s",
            reference_name="raw delete of as many rows",
            lower_is_better=True,
            target="<= 2 s at 1M subjects",
        ),
        "purge": Figure(
            f"then delete their {subjects * 8:,} rows", "s", lower_is_better=True, target="<= 30 s at 1M subjects"
        ),
    }
    for run in range(runs + 1):
        store, url, schema = open_db()
        vault = Vault(policy, store, LocalKeyring.generate(), passwords=passwords)
        raw = RawDb(url, schema)
        try:
            got = _one_run(vault, raw, ids, n_single, n_read)
        finally:
            raw.close()
            store.close()
        subjects_rate = subjects * 8 / got["bulk"]
        log(f"{'warm-up' if run == 0 else f'run {run}'}: bulk {subjects_rate:,.0f} fields/s")
        if run == 0 and runs > 0:
            continue
        figures["bulk"].runs.append(subjects * 8 / got["bulk"])
        figures["bulk"].reference_runs.append(subjects * 8 / got["bulk_raw"])
        figures["aes"].runs.append(got["aes"])
        figures["single"].runs.append(n_single * 8 / got["single"])
        figures["single"].reference_runs.append(n_single * 8 / got["single_raw"])
        figures["get"].runs.append(n_read / got["get"])
        figures["get"].reference_runs.append(n_read / got["get_raw"])
        figures["get_many"].runs.append(n_read / got["get_many"])
        figures["shred"].runs.append(got["shred"])
        figures["shred"].reference_runs.append(got["shred_raw"])
        figures["purge"].runs.append(got["purge"])
    return list(figures.values())


@contextmanager
def databases(engine: str, pg_url: str | None) -> Iterator[Callable[[], tuple[SqlVaultStore, str, str | None]]]:
    """Fresh databases for one engine: SQLite files in a temporary directory, or PostgreSQL schemas dropped after."""
    if engine == "sqlite":
        with sqlite_target() as next_url:

            def open_sqlite() -> tuple[SqlVaultStore, str, str | None]:
                url = next_url()
                return open_store(url), url, None

            yield open_sqlite
        return
    assert pg_url is not None
    admin = create_db_engine(pg_url)
    made: list[str] = []

    def open_pg() -> tuple[SqlVaultStore, str, str | None]:
        schema = f"jikimi_bench_{os.getpid()}_{len(made)}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        made.append(schema)
        return open_store(pg_url, schema=schema), normalise_url(pg_url), schema

    try:
        yield open_pg
    finally:
        with admin.begin() as conn:
            for schema in made:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

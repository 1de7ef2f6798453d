"""Consent benchmarks through the public Python API, each beside its physical reference measured in the same run.

Figures (rates, higher is better):

- sign-ups: ``Engine.collect`` of a new subject with 8 items and 4 consents (one transaction each: vault fields,
  blind-index duplicate check, subject record, 5 ledger events); no password item, so argon2id is not counted;
  reference (SQLite): the same rows and statements through the bare driver, one commit each;
- consent checks: ``Engine.may_use`` of cached subjects, in-process;
- ledger verification: ``Engine.verify_consents`` (read from the database and re-hashed), and the in-memory walk
  of the same stored records; reference: raw SHA-256 chaining of the same bodies;
- database size per signed-up subject (bytes, lower is better): what the sign-ups added to the database (on SQLite
  both files, checkpointed; on PostgreSQL the tables with their indexes), divided by the subjects; reference: the
  UTF-8 bytes of the clear values signed up.

Sign-ups and verification are also given in CPU time of this process (``time.process_time``): on a machine shared
with other work the wall clock measures the neighbours too.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.vault import Figure, record
from jikimi.adapters.storage import SqlVaultStore
from jikimi.adapters.storage.consent_store import SqlConsentStore
from jikimi.adapters.storage.tables import data_keys
from jikimi.clock import FixedClock
from jikimi.consent.ledger import chain_drafts, to_record, verify
from jikimi.engine import Engine
from jikimi.policy import Policy, load_policy_text
from jikimi.policy.model import ConsentMethod
from jikimi.vault import LocalKeyring

__all__ = ["CONSENT_POLICY", "run_consent_benchmarks"]

CONSENT_POLICY = """
format: 1
controller: {name: 주식회사 예시}
service: {key: bench, name: 벤치마크}
version: "1"
effective_date: 2026-01-01
officers: {privacy_officer: {name: 홍길동}}
items:
  name: {label: 이름, format: name}
  phone: {label: 휴대전화번호, format: phone, searchable: true}
  email: {label: 이메일, format: email}
  address: {label: 주소, format: address}
  birth: {label: 생년월일, format: date}
  ip: {label: 접속 IP, category: auto_generated, format: ip_address}
  login: {label: 아이디, format: login_id}
  memo: {label: 메모}
channels:
  signup: {label: 가입, kind: signup, required: [name, phone, email, address, birth, ip, login, memo],
           purposes: [membership, statistics, recommendations, marketing, survey]}
purposes:
  membership: {label: 회원 관리, basis: {kind: contract}, items: [name, phone, email, address, birth, ip, login, memo]}
  statistics: {label: 통계, basis: {kind: consent}, consent: required, items: [ip, birth]}
  recommendations: {label: 추천, basis: {kind: consent}, consent: optional, items: [birth, address]}
  marketing: {label: 마케팅, basis: {kind: consent}, consent: optional, marketing: true, items: [phone, email]}
  survey: {label: 설문, basis: {kind: consent}, consent: optional, items: [email]}
retention:
  - {key: membership, label: 회원, items: [name], period: 0d, starts: withdrawal, basis: {purpose: membership}}
children: {admitted: false}
destruction: {procedure: 파기, electronic: 영구 삭제}
rights: {channels: [웹]}
"""
CONSENTS = {"statistics": True, "recommendations": True, "marketing": True, "survey": True}
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def _engine(policy: Policy, store: SqlVaultStore) -> Engine:
    return Engine(policy, SqlConsentStore.over(store), LocalKeyring.generate(), FixedClock(NOW))


def _raw_chain(payloads: list[bytes]) -> float:
    start = time.perf_counter()
    prev = bytes(32)
    for payload in payloads:
        prev = hashlib.sha256(prev + payload).digest()
    return len(payloads) / (time.perf_counter() - start)


def _raw_signups(store: SqlVaultStore, n: int) -> float:
    """Sign-ups/s of the same rows and statements as ``collect``, prepared beforehand, one commit each (SQLite)."""
    when = "2026-03-02 03:00:00.000000"
    blob, digest, wrapped = os.urandom(40), os.urandom(32), os.urandom(60)
    body = b'{"actor":"self","at":"2026-03-02T03:00:00.000000Z","evidence":"bench","items":["birth","ip"]' * 3
    ids = [f"s_raw{i:017d}" for i in range(n)]
    raw = store.engine.raw_connection()  # with jikimi's connection settings (WAL, the key database attached)
    try:
        cursor: Any = raw.driver_connection.cursor()  # type: ignore[union-attr]
        head = cursor.execute("SELECT coalesce(max(seq), 0) FROM consent_events").fetchone()[0]
        start = time.perf_counter()
        for sid in ids:
            # The key first, in its own transaction (the key file commits apart: Vault.new_key), then the rest.
            cursor.execute("BEGIN")
            cursor.execute(
                f"INSERT INTO {data_keys.fullname} (subject, bucket, key_version, kek_id, wrapped, created_at) "
                "VALUES (?, 'live', 1, 'kek', ?, ?)",
                (sid, wrapped, when),
            )
            cursor.execute("COMMIT")
            cursor.execute("BEGIN")
            cursor.execute(
                "INSERT INTO subjects (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", (sid, when)
            )
            cursor.executemany(
                "INSERT INTO fields (subject, bucket, item, kind, value) VALUES (?, 'live', ?, 1, ?) "
                "ON CONFLICT (subject, bucket, item, part) DO UPDATE SET kind = excluded.kind, value = excluded.value",
                [(sid, f"item{j}", blob) for j in range(8)],
            )
            cursor.execute(
                "INSERT INTO blind_index (subject, bucket, item, digest) VALUES (?, 'live', 'phone', ?)", (sid, digest)
            )
            cursor.execute("SELECT subject FROM blind_index WHERE item = 'phone' AND digest = ?", (sid.encode(),))
            cursor.execute(
                "INSERT INTO consent_subjects (id, subject_type, channel, status, child, created_at, updated_at) "
                "VALUES (?, '', 'signup', 'active', 0, ?, ?)",
                (sid, when, when),
            )
            cursor.execute("SELECT seq, hash FROM consent_events ORDER BY seq DESC LIMIT 1").fetchone()
            cursor.executemany(
                "INSERT INTO consent_events (seq, subject, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?)",
                [(head + k, sid, body, digest, digest) for k in range(1, 6)],
            )
            head += 5
            cursor.execute("COMMIT")
        return n / (time.perf_counter() - start)
    finally:
        raw.close()


_LOAD = 100_000  # subjects per loaded chunk: one transaction each


def _load_signed_up(engine: Engine, store: SqlVaultStore, n: int) -> list[str]:
    """``n`` subjects as ``collect`` leaves them, written straight into the tables (signing up a million through the
    API takes an hour at PostgreSQL's rate, ten million most of a day): one real sign-up is the template for every
    row (its vault fields, its data key, its subject record), each clone with a blind-index digest of its own and its
    own five ledger events, chained after the ledger's head as ``collect`` chains them. The clones' ciphertext is
    the template's (under a key bound to another subject: never read here). ``executemany`` on SQLite, ``COPY`` on
    PostgreSQL (then ``VACUUM ANALYZE``, as in bench.retention). The ids of the first 2,000 subjects of the ledger."""
    # Past every index the measured sign-ups use (their phone numbers must not meet the template's).
    template = engine.collect("signup", None, record(10 * n + 20_000), CONSENTS, ConsentMethod.WEB_CLICK, "bench")
    template_id = template.subject
    raw: Any = store.engine.raw_connection()
    sqlite = store.engine.dialect.name == "sqlite"
    cursor = raw.driver_connection.cursor()
    keys = data_keys.fullname if sqlite else "data_keys"
    p = "?" if sqlite else "%s"

    def rows(table: str, where: str = "subject") -> list[tuple[Any, ...]]:
        cursor.execute(f"SELECT * FROM {table} WHERE {where} = {p}", (template_id,))
        return [tuple(row) for row in cursor.fetchall()]

    (subject_row,) = rows("subjects", "id")
    (key_row,) = rows(keys)
    field_rows, index_rows = rows("fields"), rows("blind_index")
    (consent_row,) = rows("consent_subjects", "id")
    drafts = [
        (e.kind, e.topics, e.items, e.policy_version, e.method, e.evidence, e.actor, e.at, e.verification)
        for e in engine.consents.events(template_id)
    ]
    cursor.execute("SELECT seq, hash FROM consent_events ORDER BY seq DESC LIMIT 1")
    last = cursor.fetchone()
    head: tuple[int, bytes] = (int(last[0]), bytes(last[1]))
    tables: tuple[tuple[str, Callable[[str], list[tuple[Any, ...]]]], ...] = (
        ("subjects", lambda sid: [(sid, *subject_row[1:])]),
        (keys, lambda sid: [(sid, *key_row[1:])]),
        ("fields", lambda sid: [(sid, *row[1:]) for row in field_rows]),
        ("blind_index", lambda sid: [(sid, *row[1:3], os.urandom(32)) for row in index_rows]),
        ("consent_subjects", lambda sid: [(sid, *consent_row[1:])]),
    )
    for start in range(0, n, _LOAD):
        chunk = [_bulk_id(i) for i in range(start, min(n, start + _LOAD))]  # never all n ids at once (10M: a GB)
        _, events = chain_drafts([(sid, *d) for sid in chunk for d in drafts], head)
        head = events[-1][0], events[-1][4]
        if sqlite:
            cursor.execute("BEGIN")
        for table, made in (*tables, ("consent_events", None)):
            batch = events if made is None else [row for sid in chunk for row in made(sid)]
            if sqlite:
                marks = ", ".join("?" * len(batch[0]))
                cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", batch)
                continue
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
        raw.driver_connection.commit()
    if not sqlite:
        raw.driver_connection.autocommit = True
        cursor.execute("VACUUM ANALYZE subjects, data_keys, fields, blind_index, consent_subjects, consent_events")
        raw.driver_connection.autocommit = False
    raw.close()
    return [template_id, *map(_bulk_id, range(min(n, 1999)))]  # the ledger from its start: the template's first


def _bulk_id(i: int) -> str:
    return f"s_bulk{i:017d}"


def _database_bytes(store: SqlVaultStore) -> int:
    """The database's size: SQLite's two files' used pages (after a checkpoint), or PostgreSQL's tables and indexes
    in the store's schema."""
    raw: Any = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if store.engine.dialect.name == "sqlite":
            total = 0
            for db in ("main", "jikimi_keys"):
                cursor.execute(f"PRAGMA {db}.wal_checkpoint(TRUNCATE)")
                pages = cursor.execute(f"PRAGMA {db}.page_count").fetchone()[0]
                free = cursor.execute(f"PRAGMA {db}.freelist_count").fetchone()[0]
                total += (pages - free) * cursor.execute(f"PRAGMA {db}.page_size").fetchone()[0]
            return int(total)
        cursor.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'"
        )
        return int(cursor.fetchone()[0])
    finally:
        raw.close()


def run_consent_benchmarks(
    open_db: Callable[[], tuple[SqlVaultStore, str, str | None]], subjects: int, runs: int, log: Callable[[str], None]
) -> list[Figure]:
    """Measure the figures of the module doc: 20,000 sign-ups at most are timed per run, into a database that
    already holds the rest of ``subjects`` (signed up beforehand, untimed); verification walks the whole ledger."""
    policy = load_policy_text(CONSENT_POLICY)
    n = min(subjects, 20_000)
    signups = Figure(
        "sign-up, 8 items + 4 consents (1 tx each)",
        "subjects/s",
        target=">= 4,000",
        reference_name="raw SQL, same rows and commits",
    )
    signups_cpu = Figure("  the same, in CPU time", "subjects/s", target=">= 4,000")
    checks = Figure("consent check (may_use, in-process)", "checks/s", target=">= 2,000,000")
    verify_db = Figure("ledger verification (from the database)", "events/s", target=">= 500,000")
    verify_cpu = Figure("  the same, in CPU time", "events/s", target=">= 500,000")
    walk = Figure("ledger verification (in memory)", "events/s", reference_name="raw SHA-256 chaining")
    size = Figure(
        "database size per signed-up subject", "bytes", lower_is_better=True, reference_name="the clear values"
    )
    clear = sum(len(v.encode()) for i in range(n) for v in record(i).values()) / n
    for run in range(runs + 1):
        store, _url, _schema = open_db()
        engine = _engine(policy, store)
        earliest: list[str] = []  # the first 2,000 subjects of the ledger, for the in-memory walk from its start
        if subjects > n:  # at scale: the database first holds the other subjects (untimed)
            began = time.perf_counter()
            earliest = _load_signed_up(engine, store, subjects - n)
            rss = int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) // 1024
            log(
                f"consent run {run}: {subjects - n:,} subjects loaded before the measured {n:,} "
                f"in {time.perf_counter() - began:,.0f} s ({rss:,} MB RSS)"
            )
        empty = _database_bytes(store)
        start, cpu = time.perf_counter(), time.process_time()
        ids = [
            engine.collect("signup", None, record(i), CONSENTS, ConsentMethod.WEB_CLICK, "bench").subject
            for i in range(n)
        ]
        signup_rate = n / (time.perf_counter() - start)
        signup_cpu = n / (time.process_time() - cpu)
        per_subject = (_database_bytes(store) - empty) / n
        pairs = [("email", "marketing"), ("ip", "statistics"), ("name", "membership"), ("memo", "survey")] * 25_000
        probes = [(ids[i % len(ids)], item, purpose) for i, (item, purpose) in enumerate(pairs)]
        may_use = engine.may_use
        start = time.perf_counter()
        for subject, item, purpose in probes:
            may_use(subject, item, purpose, NOW)
        check_rate = len(probes) / (time.perf_counter() - start)
        start, cpu = time.perf_counter(), time.process_time()
        result = engine.verify_consents()
        db_rate = result.events / (time.perf_counter() - start)
        db_cpu = result.events / (time.process_time() - cpu)
        assert result.ok
        events = [e for subject in (earliest or ids[:2000]) for e in engine.consents.events(subject)]
        events.sort(key=lambda e: e.seq)
        events = [e for e in events if e.seq <= len(events)]
        records = [to_record(e) for e in events]
        start = time.perf_counter()
        verify([records])
        walk_rate = len(records) / (time.perf_counter() - start)
        raw_rate = _raw_chain([body for _, _, body, _, _ in records])
        store.close()
        raw_signups = None
        if store.engine.dialect.name == "sqlite":
            reference, _url, _schema = open_db()
            raw_signups = _raw_signups(reference, n)
            reference.close()
        if run == 0 and runs > 0:
            continue  # warm-up
        signups.runs.append(signup_rate)
        if raw_signups is not None:
            signups.reference_runs.append(raw_signups)
        signups_cpu.runs.append(signup_cpu)
        checks.runs.append(check_rate)
        verify_db.runs.append(db_rate)
        verify_cpu.runs.append(db_cpu)
        walk.runs.append(walk_rate)
        walk.reference_runs.append(raw_rate)
        size.runs.append(per_subject)
        size.reference_runs.append(clear)
        log(
            f"consent run {run}: {signup_rate:,.0f} sign-ups/s ({signup_cpu:,.0f} in CPU time), "
            f"{check_rate:,.0f} checks/s, {db_rate:,.0f} events/s ({db_cpu:,.0f} in CPU time)"
        )
    return [signups, signups_cpu, checks, verify_db, verify_cpu, walk, size]

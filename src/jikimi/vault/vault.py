"""The :class:`Vault` service: personal data in, ciphertext stored, clear values out only to whoever asks.

Contract of each write (``put``/``put_many``/``put_new``): every value is validated first (nothing is written if
any fails), then the whole batch is written in one transaction. How a value is stored depends on its item
(:mod:`.storage`: argon2id for passwords, AES-256-GCM for everything personal, as is only for items the policy
marks ``personal: false`` and no protected category covers); searchable items also get a blind-index entry.

Data keys exist per subject and bucket: ``"live"`` for data in use, a retention rule's key for data kept under a
statute, or ``<rule>/<record id>`` for one operational record, so :meth:`Vault.shred` of the live bucket leaves
statutory buckets readable (R-RET-2, R-SEC-27). ``put_new`` is the sign-up's write: a new subject's first data,
without looking for a data key it cannot have yet.

A retention bucket's data key may be wrapped under the expiry key of its day instead of the KEK
(:meth:`Vault.new_expiry_key`, ``put(..., expiry_key=...)``): shredding that key (:meth:`Vault.shred_expiry_keys`)
makes every bucket of the day unreadable at once (docs/retention.md, "Expiry keys").

Values, clear keys and ciphertexts never reach a repr, a log record or an exception message.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from os import urandom

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jikimi.clock import Clock, SystemClock
from jikimi.errors import NotReadableError, UnknownItemError, VaultError
from jikimi.policy.model import Item, Policy
from jikimi.vault.blind_index import blind_index
from jikimi.vault.cipher import (
    NONCE_SIZE,
    AeadCache,
    ad_item,
    ad_subject,
    ad_tail,
    associated_data,
    decrypt_field,
    integrity_error,
)
from jikimi.vault.envelope import (
    EXPIRY_PREFIX,
    EXPIRY_SUBJECT,
    ExpiryKeyring,
    RotationReport,
    check_keyring,
    key_context,
    new_data_key,
    rotate_kek,
)
from jikimi.vault.keyring import Keyring
from jikimi.vault.masking import mask
from jikimi.vault.passwords import PasswordHashing
from jikimi.vault.ports import (
    DataKey,
    FieldKind,
    FieldRow,
    FieldTuple,
    IndexRow,
    RawField,
    RowReader,
    VaultSession,
    VaultStore,
)
from jikimi.vault.storage import LIVE, ItemPlan, storage_kind
from jikimi.vault.validation import check

__all__ = ["LIVE", "NewKey", "Vault", "storage_kind"]

_PASSWORD, _PLAIN = int(FieldKind.PASSWORD), int(FieldKind.PLAIN)
_log = logging.getLogger("jikimi.vault")


@dataclass(frozen=True, slots=True)
class NewKey:
    """A new subject's live data key, made by :meth:`Vault.new_key` for :meth:`Vault.put_new`.

    ``stored``: already committed to the key database (a store whose keys commit apart from the data).
    """

    key: DataKey
    dek: bytes = field(repr=False)
    stored: bool


class Vault:
    """Encrypted storage of the items a policy declares. Collaborators are passed in; nothing is global."""

    def __init__(
        self,
        policy: Policy,
        store: VaultStore,
        keyring: Keyring,
        *,
        clock: Clock | None = None,
        passwords: PasswordHashing | None = None,
        cache_size: int = 4096,
    ) -> None:
        """Refuses (KeyringError) a keyring that does not match the database, before anything else happens."""
        self._policy = policy
        self._store = store
        self._keys_apart: bool = getattr(store, "keys_apart", False)  # VaultStore's doc
        self._clock: Clock = clock or SystemClock()
        self._passwords = passwords or PasswordHashing()
        self._cache = AeadCache(cache_size)
        check_keyring(store, keyring)
        self._keyring = keyring
        # Every keyring met, by KEK id: during a rotation DEKs sit under the old and the new KEK at once.
        self._keyrings: dict[str, Keyring] = {keyring.kek_id: keyring}
        self._buckets = frozenset({LIVE, *(rule.key for rule in policy.retention)})
        # Per item, worked out once: what the hot paths would otherwise look up for every field.
        self._plans = {name: ItemPlan(name, item) for name, item in policy.items.items()}
        self._item_ads = {name: plan.ad for name, plan in self._plans.items()}
        self._read_rows: Callable[[str, Sequence[str], Sequence[str] | None], list[RawField]] = (
            store.read_rows if isinstance(store, RowReader) else self._read_rows_in_session
        )

    def __repr__(self) -> str:
        return f"Vault(service={self._policy.service.key!r}, keyring={self._keyring!r})"

    @property
    def store(self) -> VaultStore:
        """The store the vault writes through: other services open their unit of work on it to share a commit."""
        return self._store

    # --- writes ------------------------------------------------------------------------------------------

    def put(self, subject: str, items: Mapping[str, str], bucket: str = LIVE, *, expiry_key: str | None = None) -> None:
        """Validate then store ``items`` of one subject in one transaction, replacing earlier values."""
        self.put_many([(subject, items)], bucket, expiry_key=expiry_key)

    def put_many(
        self, records: Iterable[tuple[str, Mapping[str, str]]], bucket: str = LIVE, *, expiry_key: str | None = None
    ) -> int:
        """Validate every record, then store them all in one transaction; returns the number of fields written.

        ``expiry_key`` (from :meth:`new_expiry_key`): the data keys are wrapped under it, not under the KEK (an
        existing key in ``bucket`` is re-wrapped under it).
        """
        self._check_bucket(bucket)
        if expiry_key is not None and bucket == LIVE:
            raise VaultError("live data has no expiry: it cannot be stored under an expiry key")
        batch = [(subject, dict(items)) for subject, items in records]
        plans = self._plans
        prepared: list[tuple[str, list[tuple[str, ItemPlan, str]]]] = []
        encrypted = 0
        for subject, items in batch:
            _check_subject(subject)
            fields: list[tuple[str, ItemPlan, str]] = []
            add_field = fields.append
            for name, value in items.items():
                plan = plans.get(name)
                if plan is None:
                    self._item(name)  # raises UnknownItemError
                    raise AssertionError  # pragma: no cover
                check(name, value, plan.max_length, plan.rule)
                if plan.password:
                    # Hash before the transaction opens: argon2 is slow on purpose (performance.md §7).
                    value = self._passwords.hash(value)
                add_field((name, plan, value))
                encrypted += plan.encrypted
            prepared.append((subject, fields))
        if not prepared:
            return 0
        index_key = self._keyring.index_key()
        rows: list[FieldTuple] = []
        index: list[IndexRow] = []
        with self._store.transaction() as session:
            subjects = list(dict.fromkeys(subject for subject, _ in prepared))
            keys = session.get_keys(bucket, subjects)
            wrapper: Keyring = self._keyring if expiry_key is None else self._expiry_ring(session, expiry_key)
            fresh: list[DataKey] = []
            aeads: dict[str, tuple[AESGCM, int]] = {}
            for subject in subjects:
                key = keys.get(subject)
                if key is None:
                    dek, key = new_data_key(wrapper, subject, bucket)
                    fresh.append(key)
                    aeads[subject] = (self._cache.get(key.wrapped, _returns(dek)), 1)
                elif expiry_key is not None and key.kek_id != expiry_key:
                    # The bucket's key follows the expiry it is stored with now (the bucket lists one key).
                    aeads[subject] = (AESGCM(self._rewrap(session, key, wrapper)), key.key_version)
                else:
                    aeads[subject] = (self._aead(key), key.key_version)
            tails: dict[int, bytes] = {}
            add_row = rows.append
            # Every field still gets its own fresh random nonce from os.urandom, drawn for the whole batch in one
            # call: one system call per field cost a third as much as the encryption itself (performance.md).
            nonces, at = urandom(NONCE_SIZE * encrypted), 0
            for subject, fields in prepared:
                aead, version = aeads[subject]
                head = ad_subject(subject)
                tail = tails.get(version)
                if tail is None:
                    tail = tails[version] = ad_tail(bucket, version)
                for key_name, plan, value in fields:
                    data = value.encode()
                    if plan.encrypted:
                        nonce = nonces[at : at + NONCE_SIZE]  # encrypt_field inlined: this runs once per field
                        at += NONCE_SIZE
                        data = nonce + aead.encrypt(nonce, data, head + plan.ad + tail)
                    add_row((subject, bucket, key_name, plan.code, data))
                    if plan.indexed:
                        digest = blind_index(index_key, key_name, plan.item.format, value)
                        index.append(IndexRow(subject, bucket, key_name, digest))
            if fresh:
                session.add_keys(fresh, self._clock.now())
            _write(session, rows, index)
        _log.debug("stored %d fields of %d subjects in bucket %s", len(rows), len(subjects), bucket)
        return len(rows)

    def new_key(self, subject: str) -> NewKey:
        """A fresh live data key for a new subject, to pass to :meth:`put_new`.

        Where the store keeps keys in a database of their own (``keys_apart``: SQLite's key file, which commits
        apart from the data file), the key is committed now, in a transaction of its own, before any data: a crash
        between the two commits then leaves a key with no data, never data whose key is lost (a half subject).
        If the sign-up then fails, :meth:`drop_new_key` takes the key back.
        """
        _check_subject(subject)
        dek, key = new_data_key(self._keyring, subject, LIVE)
        if not self._keys_apart:
            return NewKey(key, dek, False)
        with self._store.transaction() as session:
            session.add_keys([key], self._clock.now(), subjects=False)
        return NewKey(key, dek, True)

    def drop_new_key(self, new: NewKey) -> None:
        """Delete a key from :meth:`new_key` whose data was never stored (the sign-up failed); no-op if not stored."""
        if new.stored:
            with self._store.transaction() as session:
                session.delete_keys(LIVE, [new.key.subject])

    def put_new(
        self, subject: str, items: Mapping[str, str], *, unique: Sequence[str] = (), key: NewKey | None = None
    ) -> tuple[str, ...]:
        """Store the first live data of a subject that has none yet, in one transaction: :meth:`put` without looking
        for an existing data key (if the subject has one, inserting its new key fails and nothing is written).
        ``key``: the subject's key from :meth:`new_key` (one is made here if not given).

        Returns the items of ``unique`` (searchable items among ``items``) whose value another subject already
        has, found through the blind index in the same transaction: a caller that holds its own unit of work open
        (a sign-up) refuses the duplicate before anything commits. VaultError for a ``unique`` item not searchable.
        """
        _check_subject(subject)
        if key is None:
            dek, made = new_data_key(self._keyring, subject, LIVE)
            key = NewKey(made, dek, False)
        elif key.key.subject != subject:
            raise VaultError("the new key given belongs to another subject")
        dek, stored, key_row = key.dek, key.stored, key.key
        # Not put in the cache: a stream of sign-ups would push out the keys of the subjects being read.
        aead = AESGCM(dek)
        # One pass, before the transaction opens (it then holds the write lock for the writes alone): a value that
        # fails its check raises before anything is written. A nonce for every item, drawn in one call.
        head, fresh = ad_subject(subject), key_row.key_version == 1
        nonces, at = urandom(NONCE_SIZE * len(items)), 0
        index_key = self._keyring.index_key()
        plans = self._plans
        rows: list[FieldTuple] = []
        index: list[IndexRow] = []
        digests: dict[str, bytes] = {}
        for name, value in items.items():
            plan = plans.get(name)
            if plan is None:
                self._item(name)  # raises UnknownItemError
                raise AssertionError  # pragma: no cover
            check(name, value, plan.max_length, plan.rule)
            if plan.password:
                value = self._passwords.hash(value)  # argon2 is slow on purpose: outside the transaction too
            data = value.encode()
            if plan.encrypted:
                nonce = nonces[at : at + NONCE_SIZE]
                at += NONCE_SIZE
                ad = head + plan.ad_live if fresh else head + plan.ad + ad_tail(LIVE, key_row.key_version)
                data = nonce + aead.encrypt(nonce, data, ad)
            rows.append((subject, LIVE, name, plan.code, data))
            if plan.indexed:
                digest = digests[name] = blind_index(index_key, name, plan.item.format, value)
                index.append(IndexRow(subject, LIVE, name, digest))
        for name in unique:
            if name in items and name not in digests:
                raise VaultError(f"item {name!r} is not searchable (the policy does not mark it so)")
        with self._store.transaction() as session:
            if stored:
                session.add_subjects([subject], self._clock.now())
            else:
                session.add_keys([key_row], self._clock.now())
            _write(session, rows, index)
            return tuple(
                name
                for name in unique
                if name in digests and any(other != subject for other in session.find_subjects(name, digests[name]))
            )

    # --- reads -------------------------------------------------------------------------------------------

    def get(self, subject: str, items: Sequence[str] | None = None, bucket: str = LIVE) -> dict[str, str]:
        """Decrypt ``items`` (default: every readable item) of one subject; absent items are left out."""
        return self.get_many([subject], items, bucket).get(subject, {})

    def get_many(
        self, subjects: Sequence[str], items: Sequence[str] | None = None, bucket: str = LIVE
    ) -> dict[str, dict[str, str]]:
        """Decrypt fields of many subjects with one query per batch; subjects with no data are left out."""
        self._check_bucket(bucket)
        wanted = None
        if items is not None:
            for name in items:
                plan = self._plans.get(name)
                if plan is None:
                    self._item(name)  # raises UnknownItemError
                elif plan.password:
                    raise NotReadableError(f"item {name!r} is stored one-way; use verify_password (R-SEC-14)")
            wanted = set(items)
        item_ads = self._item_ads
        out: dict[str, dict[str, str]] = {}
        # Per subject: its AEAD and the head and tail of its fields' associated data, built at its first
        # encrypted field (a subject with plain fields only never needs its key unwrapped).
        opened: dict[str, tuple[AESGCM | None, bytes, bytes]] = {}
        # A subject's rows normally come together: its state stays in locals until the subject changes.
        last: str | None = None
        aead: AESGCM | None = None
        head = tail = b""
        fields: dict[str, str] = {}
        item = ""
        # A data key under a shredded expiry key is no key: that subject's bucket is destroyed (as a deleted key).
        # Each expiry key met is read once per call, and opens every data key under it.
        rings: dict[str, ExpiryKeyring | None] = {}
        gone: set[str] = set()
        try:
            for subject, item, kind, value, version, kek_id, wrapped in self._read_rows(bucket, subjects, items):
                if kind == _PASSWORD or (wanted is not None and item not in wanted) or subject in gone:
                    continue
                if kek_id.startswith(EXPIRY_PREFIX):
                    if kek_id not in rings:
                        with self._store.transaction() as session:
                            rings[kek_id] = self._find_expiry_ring(session, kek_id)
                    if rings[kek_id] is None:
                        gone.add(subject)
                        out.pop(subject, None)
                        continue
                if subject != last:
                    if last is not None:
                        opened[last] = (aead, head, tail)
                    last = subject
                    fields = out.setdefault(subject, {})
                    aead, head, tail = opened.get(subject, (None, b"", b""))
                if kind == _PLAIN:
                    fields[item] = bytes(value).decode()
                    continue
                if aead is None:
                    ring = rings.get(kek_id)
                    if ring is not None:
                        aead = AESGCM(ring.unwrap(bytes(wrapped), kek_id, key_context(subject, bucket)))
                    else:
                        aead = self._aead_for(subject, bucket, kek_id, bytes(wrapped))
                    head, tail = ad_subject(subject), ad_tail(bucket, version)
                ad = head + (item_ads.get(item) or ad_item(item)) + tail
                fields[item] = aead.decrypt(value[:NONCE_SIZE], value[NONCE_SIZE:], ad).decode()
        except InvalidTag:
            # `from None`: nothing of the blob travels with the error (see cipher.decrypt_field).
            raise integrity_error(item) from None
        return out

    def masked(self, subject: str, items: Sequence[str] | None = None, bucket: str = LIVE) -> dict[str, str]:
        """The display form of :meth:`get` (see :mod:`jikimi.vault.masking`)."""
        return {k: mask(self._item(k), v) for k, v in self.get(subject, items, bucket).items()}

    def find_by(self, item: str, value: str) -> list[str]:
        """Subjects whose ``item`` equals ``value`` (after normalisation), found without decrypting anyone."""
        declared = self._item(item)
        if not declared.searchable or storage_kind(declared) is FieldKind.PASSWORD:
            raise VaultError(f"item {item!r} is not searchable (the policy does not mark it so)")
        digest = blind_index(self._keyring.index_key(), item, declared.format, value)
        with self._store.transaction() as session:
            return session.find_subjects(item, digest)

    def verify_password(self, subject: str, item: str, password: str, bucket: str = LIVE) -> bool:
        """Check a password; if its hash uses old parameters, replace it in one transaction (rehash-on-verify)."""
        if storage_kind(self._item(item)) is not FieldKind.PASSWORD:
            raise VaultError(f"item {item!r} is not a password")
        with self._store.transaction() as session:
            found = session.read_fields(bucket, [subject], [item])
        if not found:
            return False
        row, key = found[0]
        result = self._passwords.verify(self._open(row, key).decode(), password)
        if result.ok and result.needs_rehash:
            self.put(subject, {item: password}, bucket)
            _log.info("rehashed a password of subject %s (parameters changed)", subject)
        return result.ok

    # --- destruction -------------------------------------------------------------------------------------

    def shred(self, subject: str, bucket: str = LIVE) -> bool:
        """Crypto-shred one bucket (R-SEC-27): its DEK, blind-index entries and ciphertext go in one transaction.

        Other buckets of the subject (statutory retention) are untouched. Returns whether there was a key.
        """
        self._check_bucket(bucket)
        with self._store.transaction() as session:
            keys = session.get_keys(bucket, [subject])
            deleted = session.delete_keys(bucket, [subject])
            session.delete_fields(bucket, [subject])
        for key in keys.values():
            self._cache.discard(key.wrapped)
        _log.info("shredded bucket %s of subject %s", bucket, subject)
        return deleted > 0

    def shred_keys(self, subjects: Sequence[str], bucket: str = LIVE) -> int:
        """Delete many subjects' DEKs in one transaction: from then on the data is unreadable and no blind-index
        search finds them.

        The ciphertext rows are removed afterwards by :meth:`purge` (bounded chunks, performance.md §5).
        """
        self._check_bucket(bucket)
        with self._store.transaction() as session:
            deleted = session.delete_keys(bucket, subjects)
        self._cache.clear()  # cheaper than looking up every handle; the cache refills on demand
        _log.info("shredded %d data keys in bucket %s", deleted, bucket)
        return deleted

    def purge(self, subjects: Sequence[str], bucket: str = LIVE, *, chunk: int = 50_000) -> int:
        """Delete the field rows of ``subjects`` whose keys were shredded, one transaction per chunk."""
        self._check_bucket(bucket)
        total = 0
        for start in range(0, len(subjects), chunk):
            with self._store.transaction() as session:
                total += session.delete_fields(bucket, subjects[start : start + chunk])
        return total

    def purge_orphans(self, *, chunk: int = 50_000) -> int:
        """Sweep field rows left without a key (a purge cut short); one transaction per chunk."""
        total = 0
        while True:
            with self._store.transaction() as session:
                deleted = session.delete_orphan_fields(chunk)
            total += deleted
            if deleted == 0:
                return total

    # --- keys --------------------------------------------------------------------------------------------

    def new_expiry_key(self, day: date) -> str:
        """A new expiry key for buckets that expire on ``day`` (UTC), stored wrapped under the KEK; its name.

        In the open unit of work if there is one (the bucket that first needs it commits with it).
        """
        name = f"{EXPIRY_PREFIX}{day.isoformat()}/{secrets.token_hex(6)}"
        _, key = new_data_key(self._keyring, EXPIRY_SUBJECT, name)
        with self._store.transaction() as session:
            session.add_keys([key], self._clock.now(), subjects=False)
        return name

    def has_expiry_key(self, name: str) -> bool:
        """Whether the expiry key ``name`` is stored (not shredded, and not lost to a crash inside its first commit)."""
        with self._store.transaction() as session:
            return bool(session.get_keys(name, [EXPIRY_SUBJECT]))

    def shred_expiry_keys(self, names: Sequence[str]) -> int:
        """Delete expiry keys, in one transaction: every data key under them, and so every bucket of their days, is
        unreadable from this commit on. How many there were."""
        for name in names:
            if not name.startswith(EXPIRY_PREFIX):
                raise VaultError(f"{name!r} is not the name of an expiry key")
        deleted = 0
        with self._store.transaction() as session:
            for name in names:
                deleted += session.delete_keys(name, [EXPIRY_SUBJECT])
        self._cache.clear()  # DEKs opened through them: cheaper to drop them all than to find them
        _log.info("shredded %d expiry keys", deleted)
        return deleted

    def move_key(self, subject: str, bucket: str, expiry_key: str | None) -> bool:
        """Re-wrap the data key of one bucket under ``expiry_key``, or under the KEK (``None``): the data is not
        touched. False if the bucket has no key, or its key's expiry key is already shredded (its data is gone)."""
        self._check_bucket(bucket)
        with self._store.transaction() as session:
            key = session.get_keys(bucket, [subject]).get(subject)
            if key is None:
                return False
            target: Keyring = self._keyring if expiry_key is None else self._expiry_ring(session, expiry_key)
            if key.kek_id == target.kek_id:
                return True
            try:
                self._rewrap(session, key, target)
            except NotReadableError:
                return False
        return True

    def _rewrap(self, session: VaultSession, key: DataKey, target: Keyring) -> bytes:
        """Re-wrap ``key`` under ``target`` in ``session``; the clear DEK (NotReadableError if its wrapper is gone)."""
        context = key_context(key.subject, key.bucket)
        dek = self._wrapper(session, key.kek_id).unwrap(key.wrapped, key.kek_id, context)
        session.rewrap([DataKey(key.subject, key.bucket, key.key_version, target.kek_id, target.wrap(dek, context))])
        self._cache.discard(key.wrapped)
        return dek

    def rotate_kek(
        self, new_keyring: Keyring, *, batch_size: int = 1000, max_batches: int | None = None
    ) -> RotationReport:
        """Re-wrap every DEK under ``new_keyring`` (see :func:`jikimi.vault.envelope.rotate_kek`)."""
        report = rotate_kek(self._store, self._keyring, new_keyring, batch_size=batch_size, max_batches=max_batches)
        self._keyrings[new_keyring.kek_id] = new_keyring
        self._keyring = new_keyring
        return report

    # --- internals ---------------------------------------------------------------------------------------

    def _item(self, key: str) -> Item:
        try:
            return self._policy.items[key]
        except KeyError:
            raise UnknownItemError(f"item {key!r} is not declared in the policy") from None

    def _check_bucket(self, bucket: str) -> None:
        # ``rule/<record id>``: one operational record kept under ``rule`` with its own key and expiry.
        if bucket not in self._buckets and bucket.partition("/")[0] not in self._buckets - {LIVE}:
            raise UnknownItemError(f"bucket {bucket!r} is neither 'live' nor a retention rule of the policy")

    def _aead(self, key: DataKey) -> AESGCM:
        return self._aead_for(key.subject, key.bucket, key.kek_id, key.wrapped)

    def _aead_for(self, subject: str, bucket: str, kek_id: str, wrapped: bytes) -> AESGCM:
        if kek_id.startswith(EXPIRY_PREFIX):
            # Not cached: the expiry key is looked up on every read, so a shred by another process (the sweep)
            # takes effect here at once. Kept data is read rarely (disputes, audits), never on a hot path.
            with self._store.transaction() as session:
                dek = self._wrapper(session, kek_id).unwrap(wrapped, kek_id, key_context(subject, bucket))
            return AESGCM(dek)

        def unwrap() -> bytes:
            keyring = self._keyrings.get(kek_id, self._keyring)
            return keyring.unwrap(wrapped, kek_id, key_context(subject, bucket))

        return self._cache.get(wrapped, unwrap)

    def _wrapper(self, session: VaultSession, kek_id: str) -> Keyring:
        """The keyring that unwraps a key wrapped by ``kek_id``: a KEK, or an expiry key (read in ``session``)."""
        if kek_id.startswith(EXPIRY_PREFIX):
            return self._expiry_ring(session, kek_id)
        return self._keyrings.get(kek_id, self._keyring)

    def _expiry_ring(self, session: VaultSession, name: str) -> ExpiryKeyring:
        ring = self._find_expiry_ring(session, name)
        if ring is None:
            raise NotReadableError(f"expiry key {name} is shredded: the data under it is destroyed")
        return ring

    def _find_expiry_ring(self, session: VaultSession, name: str) -> ExpiryKeyring | None:
        key = session.get_keys(name, [EXPIRY_SUBJECT]).get(EXPIRY_SUBJECT)
        if key is None:
            return None
        keyring = self._keyrings.get(key.kek_id, self._keyring)
        return ExpiryKeyring(name, keyring.unwrap(key.wrapped, key.kek_id, key_context(EXPIRY_SUBJECT, name)))

    def _read_rows_in_session(
        self, bucket: str, subjects: Sequence[str], items: Sequence[str] | None
    ) -> list[RawField]:
        with self._store.transaction() as session:
            found = session.read_fields(bucket, subjects, items)
        return [(r.subject, r.item, r.kind, r.value, k.key_version, k.kek_id, k.wrapped) for r, k in found]

    def _open(self, row: FieldRow, key: DataKey) -> bytes:
        if row.kind is FieldKind.PLAIN:
            return row.value
        ad = associated_data(row.subject, row.item, row.bucket, key.key_version)
        return decrypt_field(self._aead(key), row.value, ad, item=row.item)


def _returns(dek: bytes) -> Callable[[], bytes]:
    return lambda: dek


def _check_subject(subject: object) -> None:
    # Subject ids are internal pseudonymous ids (R-SEC-21), short and printable: they may appear in messages.
    if not isinstance(subject, str) or not 0 < len(subject) <= 64:
        raise VaultError("a subject id is a non-empty string of at most 64 characters")


def _write(session: VaultSession, rows: list[FieldTuple], index: list[IndexRow]) -> None:
    """Write encrypted field tuples and blind-index rows in ``session``: as plain tuples where the store takes
    them (the SQL store's hot path), else as :class:`FieldRow`."""
    put_tuples = getattr(session, "put_field_tuples", None)
    if put_tuples is not None:
        put_tuples(rows)
    else:
        session.put_fields([FieldRow(s, b, i, FieldKind(k), v) for s, b, i, k, v in rows])
    if index:
        session.put_index(index)

"""The encrypted personal-data vault: every personal value at rest is ciphertext, hashed, or declared not personal.

Flow of a write: ``Vault.put`` -> :mod:`.validation` (all values, before anything is written) -> a data key per
subject and bucket from :mod:`.envelope` (random, wrapped by the :mod:`.keyring` KEK) -> :mod:`.cipher` (AES-256-GCM,
bound to subject, item, bucket and key version) or :mod:`.passwords` (argon2id) -> :mod:`.blind_index` for searchable
items -> one transaction on a :class:`~jikimi.vault.ports.VaultStore`.

Outcomes: stored; :class:`~jikimi.errors.InvalidValueError` / :class:`~jikimi.errors.UnknownItemError` (nothing
written); on read, :class:`~jikimi.errors.IntegrityError` if a ciphertext was altered or moved; at start-up,
:class:`~jikimi.errors.KeyringError` if the key does not match the database. Display goes through
:func:`~jikimi.vault.masking.mask`. This package never imports SQLAlchemy: storage is an adapter.
"""

from jikimi.vault.envelope import RotationReport, rotate_kek
from jikimi.vault.keyring import Keyring, LocalKeyring, init_key_file
from jikimi.vault.masking import mask
from jikimi.vault.passwords import Argon2Params, PasswordHashing
from jikimi.vault.ports import VaultSession, VaultStore
from jikimi.vault.vault import LIVE, Vault

__all__ = [
    "LIVE",
    "Argon2Params",
    "Keyring",
    "LocalKeyring",
    "PasswordHashing",
    "RotationReport",
    "Vault",
    "VaultSession",
    "VaultStore",
    "init_key_file",
    "mask",
    "rotate_kek",
]

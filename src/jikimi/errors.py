"""The one exception tree of jikimi.

::

    JikimiError                 every error jikimi raises on purpose; its message is safe to show
    ├── PolicyError             a policy file is malformed or inconsistent (carries every Problem found)
    ├── StatuteError            a statutory catalogue key does not exist
    ├── LintError               a file to lint cannot be read as text (missing, binary, unknown encoding)
    ├── VersionError            two policy versions cannot be compared (the new one must take effect later)
    ├── VaultError              the encrypted personal-data vault refused an operation
    │   ├── UnknownItemError    an item (or retention bucket) the policy does not declare
    │   ├── InvalidValueError   a value is malformed or too long (names the item and the rule, never the value)
    │   ├── NotReadableError    a one-way item (a password) was asked for in clear
    │   └── IntegrityError      a ciphertext failed authentication: tampered with, or moved to another field
    ├── KeyringError            a key file or KEK is missing, malformed or does not match the database
    │   └── KeyFileExistsError  ``keys init`` refuses to overwrite an existing key file
    ├── StorageError            the database cannot be used as is
    │   └── SchemaError         created by a newer jikimi (unknown revision) or older and not yet upgraded
    ├── ConsentError            a collection or consent operation was refused; nothing was written
    │   ├── CollectionError     data or consents do not fit the channel (names channel, item, purpose, rule id)
    │   │   └── ChildrenError   a child cannot join as asked (R-CHILD): no representative, children not admitted
    │   ├── DuplicateSubjectError  a sign-up matches an existing subject's blind-indexed identity
    │   └── UnknownSubjectError    no subject with that internal id
    ├── RetentionError          a retention operation was refused (no such hold, a record kind no rule keeps ...)
    └── AccessError             an access to personal data was refused or cannot be made
        ├── AccessDeniedError        the gate refused a read (names the rule; the refusal is recorded)
        └── UnknownOperatorError   no operator account or role by that name

Messages never contain personal data: they name files, lines, fields and items, never values.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AccessDeniedError",
    "AccessError",
    "ChildrenError",
    "CollectionError",
    "ConsentError",
    "DuplicateSubjectError",
    "IntegrityError",
    "InvalidValueError",
    "JikimiError",
    "KeyFileExistsError",
    "KeyringError",
    "LintError",
    "NotReadableError",
    "PolicyError",
    "Problem",
    "RetentionError",
    "SchemaError",
    "StatuteError",
    "StorageError",
    "UnknownItemError",
    "UnknownOperatorError",
    "UnknownSubjectError",
    "VaultError",
    "VersionError",
]


class JikimiError(Exception):
    """Base of every error jikimi raises deliberately."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a file, at a place a person can find."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class PolicyError(JikimiError):
    """A policy file could not be loaded; ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column))
        super().__init__("\n".join(str(p) for p in self.problems))


class StatuteError(JikimiError, KeyError):
    """A key that the statutory catalogue does not hold."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown statute"


class VaultError(JikimiError):
    """The vault refused an operation. Messages name subjects' internal ids and items, never values."""


class UnknownItemError(VaultError):
    """An item or retention bucket the policy does not declare; nothing was written."""


class InvalidValueError(VaultError):
    """A value failed validation; ``item`` and ``rule`` say which and why. The value itself is not kept."""

    def __init__(self, item: str, rule: str) -> None:
        self.item = item
        self.rule = rule
        super().__init__(f"item {item!r}: {rule}")


class NotReadableError(VaultError):
    """The item is stored one-way (R-SEC-14): it can be verified, never read back."""


class IntegrityError(VaultError):
    """A ciphertext failed authentication: it was altered, or copied from another subject, item or bucket."""


class KeyringError(JikimiError):
    """A key-encryption key is missing, malformed, or not the one this database was encrypted with."""


class KeyFileExistsError(KeyringError):
    """A key file already exists; jikimi never overwrites a key (that would make the data unreadable)."""


class StorageError(JikimiError):
    """The database cannot be used as it is."""


class SchemaError(StorageError):
    """The database schema is from a newer jikimi, or from an older one and needs ``jikimi db upgrade``."""


class LintError(JikimiError):
    """A file given to the linter cannot be read as text; the message names the file, never its content."""


class VersionError(JikimiError):
    """Two versions of a policy cannot be compared or ordered."""


class ConsentError(JikimiError):
    """A collection, consent or withdrawal was refused. Messages name channels, items, purposes and rule ids only."""


class CollectionError(ConsentError):
    """Data or consents do not fit the channel; ``rule`` is the law.md rule id enforced (e.g. ``R-CON-5``)."""

    def __init__(self, message: str, rule: str) -> None:
        self.rule = rule
        super().__init__(f"{message} ({rule})")


class ChildrenError(CollectionError):
    """A child below the policy's age threshold cannot join as asked (R-CHILD-1..3)."""


class DuplicateSubjectError(ConsentError):
    """A sign-up's blind-indexed identity (e.g. a phone number) already belongs to a subject; the message names the
    item, never the value."""


class UnknownSubjectError(ConsentError):
    """No subject with that internal id."""


class RetentionError(JikimiError):
    """A retention operation was refused: a record kind no rule keeps, no such active hold, a kept item asked for
    another purpose than its rule's. Nothing was written."""


class AccessError(JikimiError):
    """An access to personal data was refused or cannot be made (R-SEC-2..5)."""


class AccessDeniedError(AccessError):
    """The access gate refused a read; ``rule`` is the law.md rule id that refused it (the refusal is recorded)."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(f"{message} ({rule})")


class UnknownOperatorError(AccessError):
    """No operator account (개인정보취급자) or role by that name."""

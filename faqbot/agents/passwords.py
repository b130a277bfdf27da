"""Password hashing with argon2id (argon2-cffi), and opaque random tokens stored only as hashes.

Hashes record their own parameters, so raising them later makes `needs_rehash` true and the next login
re-hashes. Hashes made by earlier versions (scrypt, `scrypt$salt$digest`) still verify, and the login
replaces them with argon2 ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_LEGACY_SCRYPT = (2**14, 8, 1)  # n, r, p of the hashes earlier versions stored

# an unknown user name is checked against this, so it costs what a known one costs
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def hash_password(password: str) -> str:
    return _HASHER.hash(_utf8(password))


def verify_password(password: str, stored: str) -> bool:
    if stored.startswith("scrypt$"):
        return _verify_legacy_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, _utf8(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def verify_against_nothing(password: str) -> bool:
    """The work of one verification, for a user name that does not exist; always False."""
    verify_password(password, _DUMMY_HASH)
    return False


def needs_rehash(stored: str) -> bool:
    """True for legacy scrypt hashes and argon2 ones made with weaker parameters than today's."""
    if stored.startswith("scrypt$"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def _verify_legacy_scrypt(password: str, stored: str) -> bool:
    try:
        _, salt_b64, digest_b64 = stored.split("$")
        salt, digest = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
    except ValueError:
        return False
    n, r, p = _LEGACY_SCRYPT
    return hmac.compare_digest(hashlib.scrypt(_utf8(password), salt=salt, n=n, r=r, p=p), digest)


def legacy_scrypt_hash(password: str) -> str:
    """A hash as earlier versions made them (for tests of the upgrade)."""
    salt = secrets.token_bytes(16)
    n, r, p = _LEGACY_SCRYPT
    digest = hashlib.scrypt(_utf8(password), salt=salt, n=n, r=r, p=p)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(_utf8(token)).hexdigest()

"""Password hashing with argon2id (memory-hard, current parameters)."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (64 MiB, t=3)
# Verifying against this keeps the time of "no such account" equal to a wrong password.
_DUMMY_HASH = _hasher.hash("dummy-password-for-timing")


def hash_password(password):
    """Hash a password for storage."""
    return _hasher.hash(password)


def verify_password(password_hash, password):
    """True when the password matches; always spends the same work."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    """True when the stored hash uses outdated parameters."""
    return _hasher.check_needs_rehash(password_hash)

"""Random tokens and their hashes (only hashes of secrets are stored)."""
import hashlib
import hmac
import secrets

from flask import current_app


def new_token(nbytes=32):
    """A URL-safe random token with nbytes of entropy."""
    return secrets.token_urlsafe(nbytes)


def hash_token(token):
    """SHA-256 hex digest of a token, for lookups."""
    return hashlib.sha256(token.encode()).hexdigest()


def hmac_token(*parts):
    """A deterministic secret token: HMAC-SHA256 of the server secret over the parts (256 bits)."""
    message = "\x1f".join(str(p) for p in parts).encode()
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).digest()
    return secrets.base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

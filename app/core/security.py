"""Security headers: a strict Content-Security-Policy and friends on every response."""
from flask import request

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

# Only these may be kept by a browser or a proxy: everything else may carry personal data (pages behind login,
# exports, license scans, notice attachments), and `no-cache` (send_file's default) still lets it be stored.
CACHEABLE_ENDPOINTS = frozenset({"static", "main.favicon"})


def register(app):
    """Add the headers after every request."""

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint not in CACHEABLE_ENDPOINTS and "no-store" not in headers.get("Cache-Control", ""):
            headers["Cache-Control"] = "no-store"
        return response

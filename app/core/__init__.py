"""The shared core every area uses: extensions, security headers, htmx helpers, routing, permissions, errors,
template helpers, uploads and stored files, mail outbox, audit log, rate limits, site and year settings, notices.

Nothing here imports an area (a test keeps it so)."""

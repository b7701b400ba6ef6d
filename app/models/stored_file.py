"""Uploaded files: stored on disk under a generated name, described here."""
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import utcnow


class StoredFile(db.Model):
    """An uploaded file (license, notice attachment, ...) kept outside static/."""

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(32))  # license, notice, ...
    # The owning unit; a plain column (no foreign key) because unit.license_file_id points back here.
    unit_id: Mapped[int | None] = mapped_column(index=True)
    # Uploaded before its form is submitted: the form carries a key whose hash is kept here.
    staging_key_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Reference data: provinces and industries (loaded by `flask load-reference`)."""
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Province(db.Model):
    """A provincial-level division (GB/T 2260 two-digit code)."""

    __tablename__ = "province"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Industry(db.Model):
    """An industry division (GB/T 4754-2017) of the petroleum and chemical sector."""

    __tablename__ = "industry"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(200), default="")

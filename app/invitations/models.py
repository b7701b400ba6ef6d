"""Invitations (邀请备案): secret links through which enterprises file without an account."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.extensions import db


class Invitation(db.Model):
    """An enterprise invited by a unit; it has a group link and a team link.

    The tokens themselves are never stored: each is an HMAC of the server secret over
    (id, kind, version); only its SHA-256 is kept for lookup. Bumping a version replaces a link.
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    enterprise_name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(50))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    group_token_version: Mapped[int] = mapped_column(default=1)
    team_token_version: Mapped[int] = mapped_column(default=1)
    group_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    team_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    unit: Mapped["Unit"] = relationship()  # noqa: F821


RETIRED_REPLACED = "replaced"
RETIRED_DELETED = "deleted"


class InvitationRetiredToken(db.Model):
    """The hash of a link that was replaced or whose invitation was deleted.

    Kept so that an old link can say 链接已失效 with the inviting unit's contact, instead of
    looking like a guessed one; it never grants access.
    """

    __tablename__ = "invitation_retired_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # group or team
    reason: Mapped[str] = mapped_column(String(16))  # replaced or deleted
    retired_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped["Unit"] = relationship()  # noqa: F821

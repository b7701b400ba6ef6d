"""Invitations (邀请备案): secret links through which enterprises file without an account."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.clock import utcnow
from app.core.extensions import db
from app.core.validators import name_key


class Invitation(db.Model):
    """An enterprise invited by a unit; it has a group link and a team link.

    The tokens themselves are never stored: each is an HMAC of the server secret over
    (id, kind, version); only its SHA-256 is kept for lookup. Bumping a version replaces a link.
    """

    __tablename__ = "invitation"
    __table_args__ = (Index("ix_invitation_unit_enterprise_key", "unit_id", "enterprise_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    enterprise_name: Mapped[str] = mapped_column(String(200))  # exactly as typed
    # the compare key of enterprise_name (validators.name_key), kept like Unit.name_key
    enterprise_key: Mapped[str] = mapped_column(
        String(200), default=lambda ctx: name_key(ctx.get_current_parameters().get("enterprise_name")))
    contact: Mapped[str] = mapped_column(String(50))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    group_token_version: Mapped[int] = mapped_column(default=1)
    team_token_version: Mapped[int] = mapped_column(default=1)
    group_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    team_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The last 发送邮件 of each link, so the unit sees whether it went out (待发送 / 已发送 / 失败).
    group_mail_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_mail.id", ondelete="SET NULL"))
    team_mail_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_mail.id", ondelete="SET NULL"))

    unit: Mapped["Unit"] = relationship()  # noqa: F821
    group_mail: Mapped["OutboxMail | None"] = relationship(foreign_keys=[group_mail_id])  # noqa: F821
    team_mail: Mapped["OutboxMail | None"] = relationship(foreign_keys=[team_mail_id])  # noqa: F821

    @validates("enterprise_name")
    def _keep_enterprise_key(self, _key, value):
        self.enterprise_key = name_key(value)
        return value


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

"""All models, imported so that Alembic and create_all see every table."""
from app.models.filing import QcGroupFiling, RegNoCounter, TeamFiling, UnitYearStat  # noqa: F401
from app.models.invitation import Invitation  # noqa: F401
from app.models.reference import Industry, Province  # noqa: F401
from app.models.stored_file import StoredFile  # noqa: F401
from app.models.system import (  # noqa: F401
    AuditLog, CaptchaChallenge, Notice, NoticeAttachment, OutboxMail, RateLimitBucket, SiteSetting,
    YearSetting)
from app.models.unit import Unit, UnitChangeLog, UnitChangeRequest  # noqa: F401
from app.models.user import PasswordResetToken, User, UserSession  # noqa: F401

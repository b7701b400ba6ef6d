"""Every area's models in one place, so that Alembic and create_all see every table.

Code inside an area imports its models from the area (``app.filings.models``), never from here.
"""
from app.accounts.models import (  # noqa: F401
    CaptchaChallenge,
    PasswordResetToken,
    Unit,
    UnitChangeLog,
    UnitChangeRequest,
    User,
    UserSession,
)
from app.core.models import (  # noqa: F401
    AuditLog,
    Industry,
    JobClaim,
    Notice,
    NoticeAttachment,
    OutboxMail,
    Province,
    RateLimitBucket,
    SiteSetting,
    StoredFile,
    YearSetting,
)
from app.declarations.models import (  # noqa: F401
    Declaration,
    DeclarationExtension,
    DeclarationFile,
    DeclarationReminder,
    ExpertRecommendation,
    ExpertRecommendationFile,
    FormalCheck,
    UnitYearDocument,
    UnitYearReport,
)
from app.filings.models import QcGroupFiling, RegNoCounter, TeamFiling, UnitYearStat  # noqa: F401
from app.invitations.models import Invitation, InvitationRetiredToken  # noqa: F401
from app.review.models import (  # noqa: F401
    AwardPlan,
    AwardResult,
    Avoidance,
    CertificateCorrection,
    CertificateSetting,
    Expert,
    ExpertRoundStatus,
    ExpertYear,
    GroupConfirmation,
    Objection,
    Publicity,
    ReviewAssignment,
    ReviewGroup,
    ReviewGroupMember,
    ReviewRound,
    RoundResult,
    Rubric,
    RubricItem,
    ScoreItem,
    ScoreSheet,
)

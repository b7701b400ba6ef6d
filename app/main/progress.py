"""系统首页 of a unit: this year's progress against its 设置, and the invited enterprises still silent."""
from dataclasses import dataclass

from sqlalchemy import exists, func, select

from app.core.extensions import db
from app.filings.models import QcGroupFiling, TeamFiling
from app.filings.services import get_year_stat
from app.invitations.models import Invitation

IDLE_SHOWN = 20  # invited enterprises listed by name; the rest are counted


@dataclass
class Progress:
    """已备案 N / 设置的总数 M per kind (M None until 设置 is filled), and the silent invitations."""

    groups: int
    group_total: int | None
    teams: int
    team_total: int | None
    idle: list
    idle_total: int


def _count(model, unit, year):
    return db.session.scalar(
        select(func.count()).select_from(model).where(model.unit_id == unit.id, model.year == year))


def unit_progress(unit, year):
    """The unit's figures for year: five small queries whatever the number of filings."""
    stat = get_year_stat(unit, year)
    filed = [exists().where(model.invitation_id == Invitation.id, model.year == year)
             for model in (QcGroupFiling, TeamFiling)]
    idle_query = select(Invitation).where(Invitation.unit_id == unit.id, ~filed[0], ~filed[1])
    idle = db.session.execute(idle_query.order_by(Invitation.created_at.desc(), Invitation.id.desc())
                              .limit(IDLE_SHOWN)).scalars().all()
    idle_total = len(idle) if len(idle) < IDLE_SHOWN else db.session.scalar(
        select(func.count()).select_from(idle_query.subquery()))
    return Progress(groups=_count(QcGroupFiling, unit, year), group_total=stat.group_total if stat else None,
                    teams=_count(TeamFiling, unit, year), team_total=stat.team_total if stat else None,
                    idle=idle, idle_total=idle_total)

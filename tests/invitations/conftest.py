"""Fixtures of the 邀请备案 tests: invitations made through the service, with their link tokens."""
from dataclasses import dataclass
from datetime import date

import pytest

from app.core.extensions import db
from app.core.settings import filing_period, set_open_filing_year
from app.invitations import services as service
from app.models import Unit


@dataclass
class MadeInvitation:
    """An invitation's id, name and both link tokens."""

    id: int
    enterprise_name: str
    group_token: str
    team_token: str
    email: str

    def path(self, kind="group"):
        """The link page path of a kind."""
        return f"/invite/{kind[0]}/{self.group_token if kind == 'group' else self.team_token}"


@pytest.fixture
def invite(app):
    """invite(unit, name=...) adds an invitation the way the page does and returns its tokens."""
    counter = iter(range(1, 10_000))

    def make_invitation(unit, name=None, email=None):
        n = next(counter)
        with app.app_context():
            inv = service.create_invitation(db.session.get(Unit, unit.id), {
                "enterprise_name": name or f"被邀企业{n}号", "contact": "李四",
                "email": email or f"ent{n}@example.com", "phone": "13800000000"})
            db.session.commit()
            made = MadeInvitation(inv.id, inv.enterprise_name, service.link_token(inv, "group"),
                                  service.link_token(inv, "team"), inv.email)
        return made

    return make_invitation


@pytest.fixture
def open_year(app):
    """The open filing year (next calendar year in China, deadline still ahead)."""
    with app.app_context():
        return filing_period().year


@pytest.fixture
def close_filing(app):
    """close_filing() moves the deadline of the open year into the past."""

    def close():
        with app.app_context():
            year = filing_period().year
            set_open_filing_year(year, deadline=date(2000, 1, 1))
            db.session.commit()

    return close


GROUP_DATA = {
    "group_name": "降本增效QC小组", "topic": "降低常减压装置能耗", "topic_type": "创新型",
    "founded_on": "2024-03-01", "leader": "王五", "member_count": "7", "contact": "王五",
    "mobile": "13912345678",
}

"""Fixtures of the review tests: the secretariat's client (from tests/secretariat) and review data written directly."""
import itertools
from datetime import timedelta

import pytest

from app.core.clock import utcnow
from app.core.extensions import db
from app.core.settings import declaration_period
from app.review.models import Expert, ReviewGroup, ReviewGroupMember, ReviewRound, Rubric
from app.review.seeds import load_rubrics
from tests.secretariat.conftest import admin_client, clerk  # noqa: F401

_seq = itertools.count(1)


class ReviewData:
    """Rubrics, rounds, experts and groups written straight to the database; each call returns ids."""

    def __init__(self, app, make):
        self.app, self.make = app, make

    def year(self):
        """The 当前申报年度 the pages use."""
        with self.app.app_context():
            return declaration_period().year

    def rubrics(self, year=None):
        """The seeded rubrics of the year: {code: id}."""
        year = year or self.year()
        with self.app.app_context():
            load_rubrics(year)
            db.session.commit()
            return dict(db.session.execute(db.select(Rubric.code, Rubric.id).where(Rubric.year == year)).all())

    def round(self, kind="group", stage="R1", rubric="QC-PS", started=False, year=None, **kw):
        """A round of the year; started=True puts its start an hour ago."""
        year = year or self.year()
        rubric_id = self.rubrics(year)[rubric]
        now = utcnow()
        starts = now - timedelta(hours=1) if started else now + timedelta(days=10)
        with self.app.app_context():
            row = ReviewRound(year=year, kind=kind, stage=stage, rubric_id=rubric_id, starts_at=starts,
                              ends_at=starts + timedelta(days=kw.pop("days", 20)), **kw)
            db.session.add(row)
            db.session.commit()
            return row.id

    def expert(self, name=None, company="某研究院", kinds=("group",), enabled=True):
        """An expert of the pool with a login."""
        n = next(_seq)
        user = self.make.expert(display_name=name or f"专家{n}")
        with self.app.app_context():
            expert = Expert(user_id=user.id, name=name or f"专家{n}", company=company, mobile=f"139{n:08d}",
                            email=f"e{n}@example.com", kinds=list(kinds), is_enabled=enabled)
            db.session.add(expert)
            db.session.commit()
            return expert.id

    def expert_row(self, expert_id, **values):
        """Change columns of an expert (company, recommended_by_unit_id …)."""
        with self.app.app_context():
            expert = db.session.get(Expert, expert_id)
            for key, value in values.items():
                setattr(expert, key, value)
            db.session.commit()

    def declarations(self, count, units=3, kind="group", status="accepted", topic=None):
        """`count` accepted declarations of the year spread over new units, 课题类型 by `topic(i)`: their ids.

        enterprise_name is 企业{i}; the units are named 测试化工有限公司N by the factory.
        """
        from app.declarations.models import Declaration
        from tests.secretariat.declaration_factory import bulk_declarations

        unit_ids = [self.make.unit().id for _ in range(units)]
        year = self.year()
        start = next(_seq) * 1000
        bulk_declarations(self.app, unit_ids, year, count, start=start, status=status)
        with self.app.app_context():
            numbers = [f"QCSB-{year}-{start + i + 5000:05d}" for i in range(count)]
            rows = db.session.execute(db.select(Declaration).where(
                Declaration.year == year, Declaration.decl_no.in_(numbers)).order_by(Declaration.id)).scalars()
            ids = []
            for i, row in enumerate(rows):
                row.kind = kind
                if kind == "team":
                    row.topic_type = None
                elif topic:
                    row.topic_type = topic(i)
                ids.append(row.id)
            db.session.commit()
            return ids

    def group(self, round_id, name=None, experts=()):
        """A 专业组 with members (the first is the 组长)."""
        with self.app.app_context():
            group = ReviewGroup(round_id=round_id, name=name or f"第{next(_seq)}组")
            db.session.add(group)
            db.session.flush()
            for i, expert_id in enumerate(experts):
                db.session.add(ReviewGroupMember(group_id=group.id, round_id=round_id, expert_id=expert_id,
                                                 is_leader=i == 0))
            db.session.commit()
            return group.id


@pytest.fixture
def review(app, make):
    """Review data helper: review.round(), review.expert(), review.group() …"""
    return ReviewData(app, make)

"""评审结果 of a unit (C-U12, spec B11): its declarations of the year with 形式审查结论 and, only after 正式发布,
the 评定等级 and 证书编号; before it every row reads "评审中" (no score, rank or level is ever read out)."""
from dataclasses import dataclass

from app.core.extensions import db
from app.core.models import Notice, NoticeAttachment
from app.declarations.models import (
    CONCLUSION_LABELS,
    STATUS_DRAFT,
    STATUS_REJECTED,
    STATUS_SUBMITTED,
    Declaration,
)
from app.review.models import AwardResult, Publicity

IN_REVIEW = "评审中"
KIND_NAMES = {"group": "小组成果", "team": "班组成果"}


@dataclass
class ResultRow:
    """One declaration as the unit sees it."""

    id: int
    decl_no: str
    kind: str
    title: str
    group_name: str
    enterprise_name: str
    conclusion: str
    result: str
    certificate_no: str | None


def rows(unit, year):
    """The unit's non-draft declarations of the year (one query); levels only where published."""
    found = db.session.execute(
        db.select(Declaration.id, Declaration.decl_no, Declaration.kind, Declaration.title,
                  Declaration.group_name, Declaration.enterprise_name, Declaration.status,
                  AwardResult.published_at, AwardResult.level, AwardResult.certificate_no)
        .outerjoin(AwardResult, AwardResult.declaration_id == Declaration.id)
        .where(Declaration.unit_id == unit.id, Declaration.year == year, Declaration.status != STATUS_DRAFT)
        .order_by(Declaration.kind, Declaration.decl_no)).all()
    out = []
    for r in found:
        published = r.published_at is not None and bool(r.level)
        conclusion = "待形式审查" if r.status == STATUS_SUBMITTED else CONCLUSION_LABELS.get(r.status, "")
        result = r.level if published else ("—" if r.status == STATUS_REJECTED else IN_REVIEW)
        out.append(ResultRow(r.id, r.decl_no, r.kind, r.title, r.group_name, r.enterprise_name, conclusion,
                             result,
                             r.certificate_no if published else None))
    return out


def visible_publicities(year):
    """The year's 公示 with a notice (newest first) for the 公示 links and 提出异议 (one query)."""
    return db.session.execute(
        db.select(Publicity).where(Publicity.year == year, Publicity.notice_id.is_not(None))
        .order_by(Publicity.id.desc())).scalars().all()


def notices_by_id(ids):
    """{notice_id: Notice} with their attachments (two queries; none without ids)."""
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    found = db.session.execute(db.select(Notice).where(Notice.id.in_(ids)).options(
        db.selectinload(Notice.attachments).joinedload(NoticeAttachment.file))).scalars().all()
    return {n.id: n for n in found}

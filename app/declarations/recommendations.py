"""评委推荐表 附件7 (spec A9): one or two recommended experts per unit and year, their proof files, the 校验码
of the printed table."""
from flask import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.core.extensions import db
from app.core.uploads import store
from app.declarations.checksum import data_hash
from app.declarations.documents import read_scan
from app.declarations.models import ExpertRecommendation, ExpertRecommendationFile

MAX_EXPERTS = 2
MAX_FILES = 5
PROOF_MAX_BYTES = 5 * 1024 * 1024
TOO_MANY = "每个单位推荐1至2名专家。"
KIND_OPTIONS = (("group", "小组成果"), ("team", "班组成果"))
REQUIREMENTS = (
    "具有良好的职业道德，评审过程中能以客观公正、实事求是为行为准则。",
    "熟悉质量管理小组活动知识或质量信得过班组建设活动知识。",
    "具备一定的组织能力、语言表达能力和成果评审经验。",
    "能够按时参加行业优秀成果评审工作。",
)
NOTES = (
    "1.请根据行业优秀成果评审委员会评委推荐要求（见附件1），推荐1至2名专家参与行业优秀成果的评审工作。",
    "2．“相关经历描述”，包括参与小组成果/班组成果评审的经历，参加过的相关培训，曾获过的相关奖励、荣誉、培训证书及"
    "资质证书等，字数：300字以内，文字内容简明扼要，并请提供获过的奖励、荣誉、培训证书及资质证书等证明材料电子版。",
)
PRINTED_FIELDS = ("name", "company_dept", "address", "postcode", "mobile", "email", "experience", "kinds")


class RecommendationError(ValueError):
    """A refused change; field_errors go beside the fields, message above the form."""

    def __init__(self, message, field_errors=None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


def title_lines(year):
    """The title as the notice prints it, on two lines."""
    return f"{year}年行业优秀成果评审委员会", "评委推荐表"


def title(year):
    """2024年行业优秀成果评审委员会评委推荐表."""
    return "".join(title_lines(year))


def experts_of(unit, year):
    """The unit's recommended experts of a year with their files (two statements, whatever the count)."""
    return db.session.execute(
        select(ExpertRecommendation).options(selectinload(ExpertRecommendation.files)
                                             .selectinload(ExpertRecommendationFile.stored_file))
        .where(ExpertRecommendation.unit_id == unit.id, ExpertRecommendation.year == year)
        .order_by(ExpertRecommendation.seq)).scalars().all()


def get_expert_or_404(unit, year, expert_id):
    """One of the unit's experts of the year; anything else is a 404."""
    expert = db.session.get(ExpertRecommendation, expert_id)
    if expert is None or expert.unit_id != unit.id or expert.year != year:
        abort(404)
    return expert


def get_file_or_404(unit, file_id):
    """A proof file of one of the unit's experts; anything else is a 404."""
    row = db.session.get(ExpertRecommendationFile, file_id)
    if row is None or row.recommendation.unit_id != unit.id:
        abort(404)
    return row


def read_proofs(uploads):
    """Read uploaded proof files (PDF/JPG/PNG, ≤ 5 MB each); returns [(bytes, kind, name)]."""
    return [(*read_scan(upload, PROOF_MAX_BYTES, what="证明材料"), upload.filename)
            for upload in uploads if upload and upload.filename]


def _store_proofs(unit, expert, proofs):
    for data, kind, name in proofs:
        stored = store(data, kind, name, "expert_proof", unit_id=unit.id)
        expert.files.append(ExpertRecommendationFile(stored_file=stored))


def _check_file_count(count):
    if count < 1:
        raise RecommendationError("请上传证明材料。", {"files": "请上传至少1个证明材料（奖励、荣誉、培训证书及资质证书等）。"})
    if count > MAX_FILES:
        raise RecommendationError("证明材料过多。", {"files": f"证明材料最多{MAX_FILES}个（现有{count}个）。"})


def add_expert(unit, year, values, proofs):
    """Add an expert as 序号 1 or 2 (a third is refused; the unique (unit, year, seq) guards a race)."""
    taken = set(db.session.scalars(select(ExpertRecommendation.seq).where(
        ExpertRecommendation.unit_id == unit.id, ExpertRecommendation.year == year)))
    free = [seq for seq in range(1, MAX_EXPERTS + 1) if seq not in taken]
    if not free:
        raise RecommendationError(TOO_MANY)
    _check_file_count(len(proofs))
    expert = ExpertRecommendation(unit_id=unit.id, year=year, seq=free[0], **values)
    try:
        with db.session.begin_nested():
            db.session.add(expert)
    except IntegrityError:
        raise RecommendationError(TOO_MANY) from None
    _store_proofs(unit, expert, proofs)
    db.session.flush()
    return expert


def update_expert(unit, expert, values, proofs, remove_ids=()):
    """Change an expert's fields; add proof files and remove the ones ticked (1 to 5 remain). Returns the
    removed StoredFiles, whose bytes go after the commit."""
    removing = [f for f in expert.files if f.id in set(remove_ids)]
    _check_file_count(len(expert.files) - len(removing) + len(proofs))
    for name, value in values.items():
        setattr(expert, name, value)
    removed = [f.stored_file for f in removing]
    for row in removing:
        expert.files.remove(row)
    for stored in removed:
        db.session.delete(stored)
    _store_proofs(unit, expert, proofs)
    db.session.flush()
    return removed


def delete_expert(expert):
    """Remove an expert and their files' rows; returns the StoredFiles whose bytes go after the commit."""
    removed = [f.stored_file for f in expert.files]
    db.session.delete(expert)
    db.session.flush()
    for stored in removed:
        db.session.delete(stored)
    db.session.flush()
    return removed


def kinds_text(kinds):
    """['group', 'team'] → '小组成果、班组成果'."""
    return "、".join(label for key, label in KIND_OPTIONS if key in (kinds or []))


def printed_data(unit, year, experts):
    """The printed table (for its 校验码): the unit and each expert's row in order."""
    return {"doc": "recommendation", "year": year, "unit_name": unit.name,
            "experts": [[number] + [getattr(e, name) for name in PRINTED_FIELDS]
                        for number, e in enumerate(experts, start=1)]}


def recommendations_hash(unit, year, experts):
    """校验码 of the printed 评委推荐表."""
    return data_hash(printed_data(unit, year, experts))

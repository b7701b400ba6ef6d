"""The state of a unit's stamped yearly documents (spec A6, A13 单位材料齐全情况): 已上传 / 需重新上传 / 未上传.

A scan is 已上传 while the 校验码 it was uploaded with equals the 校验码 of what the document prints now. What each
document prints (spec A7, A8, A9) is hashed here; the printing work renders the same data.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace

from app.accounts.models import Unit
from app.core.extensions import db
from app.declarations import statistics
from app.declarations.checksum import data_hash
from app.declarations.models import (
    DOC_RECOMMENDATION,
    DOC_STATISTICS,
    DOC_SUMMARY_GROUP,
    DOC_SUMMARY_TEAM,
    KIND_GROUP,
    STATUS_ACCEPTED,
    STATUS_DEFERRED,
    STATUS_RETURNED,
    STATUS_SUBMITTED,
    Declaration,
    ExpertRecommendation,
    UnitYearDocument,
    UnitYearReport,
)

UPLOADED = "已上传"
STALE = "需重新上传"
MISSING = "未上传"
NOT_NEEDED = "无需上传"
UNCHECKED = "已上传（未核对是否最新）"  # lists only: a 汇总表's freshness needs every row of the unit
# 申报汇总表 lists the unit's declarations in these states (spec A7: not drafts, not rejected).
SUMMARY_STATUSES = (STATUS_SUBMITTED, STATUS_RETURNED, STATUS_ACCEPTED, STATUS_DEFERRED)
SUMMARY_DOCS = {"group": DOC_SUMMARY_GROUP, "team": DOC_SUMMARY_TEAM}
DOC_LABELS = {DOC_SUMMARY_GROUP: "小组汇总表", DOC_SUMMARY_TEAM: "班组汇总表", DOC_STATISTICS: "统计表",
              DOC_RECOMMENDATION: "评委推荐表"}
SUMMARY_COLUMNS = ("enterprise_name", "address", "postcode", "contact", "mobile", "group_name", "title",
                   "topic_type")
RECOMMENDATION_FIELDS = ("seq", "name", "company_dept", "address", "postcode", "mobile", "email", "experience",
                         "kinds")


@dataclass
class UnitDocuments:
    """One unit's yearly documents: state per document, the summary counts and the recommendation count."""

    unit_id: int
    states: dict = field(default_factory=dict)  # doc -> UPLOADED / STALE / MISSING / NOT_NEEDED
    files: dict = field(default_factory=dict)  # doc -> stored_file_id of the uploaded scan
    summary_counts: dict = field(default_factory=dict)  # kind -> declarations listed on the 汇总表
    recommendations: int = 0

    @property
    def complete(self):
        """True when every required document is uploaded and fresh (评委推荐表 is only recommended, D9)."""
        return all(state in (UPLOADED, NOT_NEEDED) for doc, state in self.states.items()
                   if doc != DOC_RECOMMENDATION)

    def state(self, doc):
        """The state of one document."""
        return self.states.get(doc, MISSING)


def summary_hash(unit_name, kind, header, rows):
    """校验码 of a 申报汇总表: its header inputs and every row (spec A7)."""
    header = header or {}
    return data_hash({"unit_name": unit_name, "kind": kind,
                      "header": {key: header.get(key) or "" for key in ("contact", "phone", "mobile")},
                      "rows": rows})


def summary_row(declaration_values, kind):
    """One row of the 汇总表 from a mapping of declaration columns (附件4 has 课题类型, 附件5 not)."""
    columns = SUMMARY_COLUMNS if kind == KIND_GROUP else SUMMARY_COLUMNS[:-1]
    return [declaration_values[name] or "" for name in columns]


def statistics_hash(report, unit_name):
    """校验码 of a 活动统计表 (附件6): what its print shows, the same code the unit's upload stores with the scan
    (statistics.statistics_hash); None before the first save."""
    if report is None:
        return None
    return statistics.statistics_hash(SimpleNamespace(name=unit_name), report.year, report)


def recommendation_hash(unit_name, recommendations):
    """校验码 of a 评委推荐表 (附件7): the unit and its 1–2 recommended experts."""
    ordered = sorted(recommendations, key=lambda r: r.seq)
    rows = [[getattr(rec, name) for name in RECOMMENDATION_FIELDS] for rec in ordered]
    return data_hash({"unit_name": unit_name, "rows": rows})


def _state(document, current_hash, needed=True):
    if document is None or document.stored_file_id is None:
        return MISSING if needed else NOT_NEEDED
    return UPLOADED if current_hash is not None and document.data_hash == current_hash else STALE


def document_states(year, unit_ids, summaries=True):
    """{unit_id: UnitDocuments} for the units, in five queries whatever their number.

    With summaries=False (two queries) the 汇总表 are only looked at for a scan (UNCHECKED), not hashed, and the
    推荐表 not at all: a list page then does not read every declaration of its units (the 形式审查 page and
    批量参评 check them in full).
    """
    unit_ids = list(unit_ids)
    if not unit_ids:
        return {}
    names = dict(db.session.execute(db.select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all())
    rows = defaultdict(lambda: {"group": [], "team": []})
    columns = [getattr(Declaration, name) for name in SUMMARY_COLUMNS]
    result = db.session.execute(
        db.select(Declaration.unit_id, Declaration.kind, *columns)
        .where(Declaration.year == year, Declaration.unit_id.in_(unit_ids),
               Declaration.status.in_(SUMMARY_STATUSES))
        .order_by(Declaration.unit_id, Declaration.enterprise_name, Declaration.decl_no)) if summaries else ()
    last = len(SUMMARY_COLUMNS) + 2
    for row in result:  # plain tuples: a unit's 汇总表 may list hundreds of rows, read for every page of units
        kind = row[1]
        rows[row[0]][kind].append([value or "" for value in row[2:last if kind == KIND_GROUP else last - 1]])
    documents = {(d.unit_id, d.doc): d for d in db.session.execute(
        db.select(UnitYearDocument).where(UnitYearDocument.year == year,
                                          UnitYearDocument.unit_id.in_(unit_ids))).scalars()}
    files = defaultdict(dict)
    for (unit_id, doc), document in documents.items():
        if document.stored_file_id is not None:
            files[unit_id][doc] = document.stored_file_id
    reports = {r.unit_id: r for r in db.session.execute(db.select(UnitYearReport).where(
        UnitYearReport.year == year, UnitYearReport.unit_id.in_(unit_ids))).scalars()}
    recommendations = defaultdict(list)
    for rec in db.session.execute(
            db.select(ExpertRecommendation).where(ExpertRecommendation.year == year,
                                                  ExpertRecommendation.unit_id.in_(unit_ids))
    ).scalars() if summaries else ():  # lists of 形式审查 show no 推荐表
        recommendations[rec.unit_id].append(rec)

    states = {}
    for unit_id in unit_ids:
        name = names.get(unit_id, "")
        docs = UnitDocuments(unit_id=unit_id)
        for kind, doc in SUMMARY_DOCS.items():
            listed = rows[unit_id][kind]
            document = documents.get((unit_id, doc))
            if not summaries:
                uploaded = document is not None and document.stored_file_id is not None
                docs.states[doc] = UNCHECKED if uploaded else MISSING
                continue
            current = summary_hash(name, kind, document.header if document else {}, listed)
            docs.states[doc] = _state(document, current, needed=bool(listed))
            docs.summary_counts[kind] = len(listed)
        docs.states[DOC_STATISTICS] = _state(documents.get((unit_id, DOC_STATISTICS)),
                                             statistics_hash(reports.get(unit_id), name))
        recs = recommendations[unit_id]
        docs.recommendations = len(recs)
        docs.states[DOC_RECOMMENDATION] = _state(documents.get((unit_id, DOC_RECOMMENDATION)),
                                                 recommendation_hash(name, recs) if recs else None)
        docs.files = files[unit_id]
        states[unit_id] = docs
    return states

"""申报材料齐全情况: per unit, what is still missing or needs a new scan (the 成果申报 page and the reminder mail).

A fixed number of queries for one unit or for every unit of a year: declarations with their filings, their
files, the unit documents (附件4–7 scans), the 活动统计表 rows and the count of recommended experts.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.core.extensions import db
from app.declarations import checks, recommendations, statistics, summary
from app.declarations import files as declaration_files
from app.declarations.fields import KIND_LABELS
from app.declarations.models import (
    DOC_RECOMMENDATION,
    DOC_STATISTICS,
    DOC_SUMMARY_GROUP,
    DOC_SUMMARY_TEAM,
    KINDS,
    STATUS_DRAFT,
    STATUS_RETURNED,
    Declaration,
    ExpertRecommendation,
    UnitYearDocument,
    UnitYearReport,
)

SUMMARY_DOCS = {"group": DOC_SUMMARY_GROUP, "team": DOC_SUMMARY_TEAM}
SCAN_MISSING = "盖章件未上传"
SCAN_STALE = "盖章件需重新上传"


@dataclass
class Gap:
    """A declaration still being edited and what it lacks."""

    declaration: Declaration
    items: list = field(default_factory=list)


@dataclass
class DocumentState:
    """One of the unit's yearly documents: its label, state in words, whether the unit must still act."""

    label: str
    state: str
    needs_action: bool
    endpoint: str
    args: dict = field(default_factory=dict)


@dataclass
class UnitState:
    """The completeness of one unit's declarations and documents for a year."""

    counts: dict  # kind -> Counter of status
    drafts: list
    gaps: list
    documents: list

    @property
    def needs_action(self):
        """True when something is left to do."""
        return bool(self.drafts or any(g.items for g in self.gaps) or any(d.needs_action for d in self.documents))

    def total(self, kind):
        """How many declarations of a kind (any status)."""
        return sum(self.counts[kind].values())


def current_document_hashes(unit, year, docs):
    """{doc: 校验码 of what the document prints now}, for the documents whose scan is uploaded (a few queries
    per unit: only scans can be stale)."""
    uploaded = {doc for doc, document in docs.items() if document.stored_file_id is not None}
    if unit is None or not uploaded:
        return {}
    hashes = {}
    for kind, doc in SUMMARY_DOCS.items():
        if doc in uploaded:
            hashes[doc] = summary.summary_table(unit, year, kind).data_hash()
    if DOC_STATISTICS in uploaded:
        hashes[DOC_STATISTICS] = statistics.statistics_hash(unit, year, statistics.get_report(unit, year))
    if DOC_RECOMMENDATION in uploaded:
        hashes[DOC_RECOMMENDATION] = recommendations.recommendations_hash(
            unit, year, recommendations.experts_of(unit, year))
    return hashes


def _declaration_gap(declaration, files, period):
    items = []
    problems = checks.field_problems(declaration, period)
    if problems:
        items.append(f"申报信息未填写完整或有误（{len(problems)}项）")
    for slot in declaration_files.slots(declaration, files):
        if slot.state == declaration_files.STATE_STALE:
            items.append(f"{slot.label}需重新上传")
        elif slot.state == declaration_files.STATE_MISSING and slot.purpose.required:
            items.append(f"缺{slot.label}")
    return Gap(declaration, items)


def _scan_state(document, current_hash):
    if document is None or document.stored_file_id is None:
        return SCAN_MISSING
    if current_hash and document.data_hash != current_hash:
        return SCAN_STALE
    return None


def _documents(unit, year, counts, docs, report, recommended):
    hashes = current_document_hashes(unit, year, docs)
    found = []
    for kind in KINDS:
        submitted = sum(n for status, n in counts[kind].items() if status != STATUS_DRAFT)
        if not sum(counts[kind].values()):
            continue
        doc = SUMMARY_DOCS[kind]
        scan = _scan_state(docs.get(doc), hashes.get(doc)) if submitted else None
        state = ("暂无已提交的申报" if not submitted else scan or "盖章件已上传")
        found.append(DocumentState(f"{KIND_LABELS[kind]}申报汇总表", state, bool(scan),
                                   "declarations.summary_table", {"kind": kind}))
    scan = _scan_state(docs.get(DOC_STATISTICS), hashes.get(DOC_STATISTICS))
    if report is None:
        found.append(DocumentState("活动统计表", "未填写", True, "declarations.statistics"))
    elif report.status != "submitted":
        found.append(DocumentState("活动统计表", "已保存，未提交", True, "declarations.statistics"))
    else:
        found.append(DocumentState("活动统计表", f"已提交，{scan}" if scan else "已提交", bool(scan),
                                   "declarations.statistics"))
    if not recommended:
        found.append(DocumentState("评委推荐表", "未推荐评委（建议推荐1至2名）", True, "declarations.recommendations"))
    else:
        scan = _scan_state(docs.get(DOC_RECOMMENDATION), hashes.get(DOC_RECOMMENDATION))
        found.append(DocumentState("评委推荐表", f"已推荐{recommended}名" + (f"，{scan}" if scan else ""),
                                   bool(scan), "declarations.recommendations"))
    return found


def for_units(period, unit_ids=None, exclude_unit_ids=(), known_units=None):
    """[(Unit, UnitState)] of every unit with a declaration in the period's year (or of `unit_ids`, whose
    Unit objects `known_units` may supply)."""
    query = (select(Declaration).where(Declaration.year == period.year)
             .options(db.joinedload(Declaration.unit), db.joinedload(Declaration.group_filing),
                      db.joinedload(Declaration.team_filing)).order_by(Declaration.unit_id, Declaration.id))
    if unit_ids is not None:
        query = query.where(Declaration.unit_id.in_(unit_ids))
    if exclude_unit_ids:
        query = query.where(Declaration.unit_id.not_in(exclude_unit_ids))
    declarations = db.session.scalars(query).unique().all()
    by_unit = defaultdict(list)
    units = dict(known_units or {})
    for declaration in declarations:
        by_unit[declaration.unit_id].append(declaration)
        units[declaration.unit_id] = declaration.unit
    ids = list(units) if unit_ids is None else list(unit_ids)
    editing = [d for d in declarations if d.status in (STATUS_DRAFT, STATUS_RETURNED)]
    files = declaration_files.files_by_declaration([d.id for d in editing])
    docs, reports, recommended = _unit_documents(ids, period.year)
    result = []
    for unit_id in ids:
        mine = by_unit.get(unit_id, [])
        counts = {kind: Counter(d.status for d in mine if d.kind == kind) for kind in KINDS}
        gaps = [_declaration_gap(d, files[d.id], period) for d in mine if d.id in files]
        state = UnitState(counts=counts, drafts=[d for d in mine if d.status == STATUS_DRAFT],
                          gaps=[g for g in gaps if g.items],
                          documents=_documents(units.get(unit_id), period.year, counts, docs[unit_id],
                                               reports.get(unit_id), recommended.get(unit_id, 0)))
        result.append((units.get(unit_id), state))
    return result


def _unit_documents(unit_ids, year):
    docs = defaultdict(dict)
    reports, recommended = {}, {}
    if not unit_ids:
        return docs, reports, recommended
    for row in db.session.scalars(select(UnitYearDocument).where(
            UnitYearDocument.unit_id.in_(unit_ids), UnitYearDocument.year == year)):
        docs[row.unit_id][row.doc] = row
    for row in db.session.scalars(select(UnitYearReport).where(
            UnitYearReport.unit_id.in_(unit_ids), UnitYearReport.year == year)):
        reports[row.unit_id] = row
    recommended = dict(db.session.execute(
        select(ExpertRecommendation.unit_id, func.count()).where(
            ExpertRecommendation.unit_id.in_(unit_ids), ExpertRecommendation.year == year)
        .group_by(ExpertRecommendation.unit_id)).all())
    return docs, reports, recommended


def for_unit(unit, period):
    """The UnitState of one unit (also when it has declared nothing yet)."""
    return for_units(period, unit_ids=[unit.id], known_units={unit.id: unit})[0][1]

"""评分矩阵 (spec B13, C-S9): per round and 专业组, each assigned declaration with every expert's submitted total
("回避" when avoided, "—" when not submitted), the stored mean (round_result) and the outlier flags.

A page reads a fixed number of queries whatever its size; the export walks the whole round in the same way.
"""
import tempfile
from copy import copy
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import func

from app.accounts.models import Unit
from app.core.extensions import db
from app.declarations.models import STATUS_ACCEPTED, Declaration
from app.filings.xlsx.export import SafeRowWriter
from app.review.avoided import pairs_within
from app.review.aggregation import OUTLIER_TITLE, outliers
from app.review.models import (
    SHEET_SUBMITTED,
    Expert,
    ReviewAssignment,
    ReviewGroup,
    ReviewGroupMember,
    ReviewRound,
    RoundResult,
    ScoreSheet,
)

PAGE_SIZE = 30  # as 申报总览: a row of the matrix is wide
AVOIDED = "回避"
MISSING = "—"
_CELL = '<td class="num">{}</td>'
_CELL_EMPTY = '<td class="num muted">{}</td>'
_CELL_OUTLIER = '<td class="num outlier" title="' + str(escape(OUTLIER_TITLE)) + '">{}</td>'


@dataclass(slots=True)
class Cell:
    """One expert's cell: the total in hundredths, or AVOIDED / MISSING; `outlier` flags a deviating total."""

    total_c: int | None
    label: str
    outlier: bool = False


@dataclass(slots=True)
class Row:
    """A declaration's line of the matrix."""

    seq: int
    declaration_id: int
    group_name: str
    decl_no: str
    title: str
    group_label: str  # 小组名称 / 班组名称
    topic_type: str
    enterprise_name: str
    unit_name: str
    main_contributors: str
    mean_c: int | None
    valid_count: int | None
    used_count: int | None
    status: str
    cells: list = field(default_factory=list)

    @property
    def mean_label(self):
        """平均分 with two decimals, or 暂无有效评分 / — (not computed yet)."""
        if self.valid_count is None:
            return MISSING
        return "暂无有效评分" if self.mean_c is None else f"{self.mean_c // 100}.{self.mean_c % 100:02d}"

    @property
    def cells_html(self):
        """The row's expert cells as the page's <td>s, built here once rather than by a template loop per cell.
        The labels are numbers, 回避 or —, escaped all the same so no later label can carry markup."""
        return Markup("".join((_CELL_OUTLIER if c.outlier else _CELL_EMPTY if c.total_c is None else _CELL)
                              .format(escape(c.label)) for c in self.cells))

    @property
    def counts_label(self):
        """有效评分数/参与计算数."""
        return MISSING if self.valid_count is None else f"{self.valid_count}/{self.used_count}"


@dataclass
class Block:
    """A 专业组's block: its experts (id, name) as columns and its rows."""

    group_id: int
    name: str
    experts: list
    rows: list = field(default_factory=list)


def round_choices(year):
    """The year's rounds for the round picker, by kind and stage (one query; no rubrics loaded)."""
    return db.session.execute(db.select(ReviewRound).where(ReviewRound.year == year)
                              .order_by(ReviewRound.kind, ReviewRound.stage)).scalars().all()


def groups(review_round):
    """The round's 专业组 as [(id, name)], in order (one query)."""
    return [tuple(r) for r in db.session.execute(
        db.select(ReviewGroup.id, ReviewGroup.name).where(ReviewGroup.round_id == review_round.id)
        .order_by(ReviewGroup.id)).all()]


def _members(review_round):
    """{group id: [(expert id, name, company, recommending unit id)]} in expert order (one query)."""
    members = {}
    for group_id, expert_id, name, company, unit_id in db.session.execute(
            db.select(ReviewGroupMember.group_id, Expert.id, Expert.name, Expert.company,
                      Expert.recommended_by_unit_id)
            .join(Expert, Expert.id == ReviewGroupMember.expert_id)
            .where(ReviewGroupMember.round_id == review_round.id).order_by(Expert.id)):
        members.setdefault(group_id, []).append((expert_id, name, company, unit_id))
    return members


# Assignments exist only for accepted declarations of the round's year and kind (分配到专业组 and 确认分组 place
# nothing else, and 已受理（参评） is final), so the page reads review_assignment alone where it only counts and
# orders: no join of 10,000 declarations per request. The export and recompute keep the status check.

def _detail_query(review_round):
    return (db.select(Declaration.id, ReviewAssignment.group_id, Declaration.decl_no, Declaration.title,
                      Declaration.group_name, Declaration.topic_type, Declaration.enterprise_name,
                      Unit.name.label("unit_name"), Declaration.main_contributors, Declaration.unit_id,
                      RoundResult.mean_c, RoundResult.valid_count, RoundResult.used_count,
                      RoundResult.expected_count)
            .join(Declaration, Declaration.id == ReviewAssignment.declaration_id)
            .join(Unit, Unit.id == Declaration.unit_id)
            .outerjoin(RoundResult, (RoundResult.round_id == ReviewAssignment.round_id)
                       & (RoundResult.declaration_id == ReviewAssignment.declaration_id))
            .where(ReviewAssignment.round_id == review_round.id))


def _counts(review_round, group_ids):
    """{group id: number of assigned declarations} over the index on group_id (one query)."""
    if not group_ids:
        return {}
    assignment = ReviewAssignment.__table__.c
    return dict(db.session.execute(
        db.select(assignment.group_id, func.count()).where(assignment.group_id.in_(group_ids))
        .group_by(assignment.group_id)).all())


def count(review_round, group_id=None):
    """How many declarations the matrix (or one group's block) holds (one query)."""
    group_ids = [group_id] if group_id else [g for g, _ in groups(review_round)]
    return sum(_counts(review_round, group_ids).values())


def _status(expected_count, valid_count):
    if valid_count is None:
        return "未计算"
    return "评分未完成" if valid_count < expected_count else "评分完成"


def _build(review_round, rows, members, names, start, declaration_ids):
    """Blocks of the rows (in order), with cells and flags; reads the sheets and 回避 of those declarations."""
    sheet = ScoreSheet.__table__.c  # Core columns: no ORM row processing for hundreds of rows
    sheets = db.select(sheet.declaration_id, sheet.expert_id, sheet.total_c).where(
        sheet.round_id == review_round.id, sheet.status == SHEET_SUBMITTED)
    if declaration_ids is not None:
        sheets = sheets.where(sheet.declaration_id.in_(declaration_ids))
    totals = {}
    for declaration_id, expert_id, total_c in db.session.execute(sheets).all():
        totals[(declaration_id, expert_id)] = total_c
    experts = [(e[0], e[2], e[3], e[1]) for group in members.values() for e in group]
    within = {r.id: [e[0] for e in members.get(r.group_id, ())] for r in rows}
    avoided = pairs_within(review_round, rows, experts, within)
    blocks = []
    for seq, r in enumerate(rows, start=start + 1):
        if not blocks or blocks[-1].group_id != r.group_id:
            group_experts = [(e[0], e[1]) for e in members.get(r.group_id, ())]
            blocks.append(Block(r.group_id, names.get(r.group_id, ""), group_experts))
        block = blocks[-1]
        cells, scored = [], []
        for expert_id, _name in block.experts:
            if (r.id, expert_id) in avoided:
                cells.append(Cell(None, AVOIDED))
                continue
            total = totals.get((r.id, expert_id))
            if total is None:
                cells.append(Cell(None, MISSING))
            else:
                scored.append(len(cells))
                cells.append(Cell(total, f"{total // 100}.{total % 100:02d}"))
        for i in outliers([cells[i].total_c for i in scored]):
            cells[scored[i]].outlier = True
        block.rows.append(Row(seq, r.id, block.name, r.decl_no, r.title, r.group_name or "", r.topic_type or "",
                              r.enterprise_name or "", r.unit_name, "、".join(r.main_contributors or ()),
                              r.mean_c, r.valid_count, r.used_count, _status(r.expected_count, r.valid_count),
                              cells))
    return blocks


def page(review_round, group_id=None, page_no=1, page_size=PAGE_SIZE, group_list=None):
    """One page of the matrix: (blocks, total) in a fixed number of queries (6, or 5 when the round's groups are
    given as `group_list`); group_id filters one 专业组.

    Counts per group say which groups the page spans; only their declarations are ordered, in a subquery that picks
    the page's ids before the wide columns are joined. Within a group the order is the declarations' id, which is
    the order their 申报编号 were given in (so no declaration row is read to sort).
    """
    group_list = groups(review_round) if group_list is None else group_list
    names = dict(group_list)
    members = _members(review_round)
    order = [group_id] if group_id else [g for g, _ in group_list]
    counts = _counts(review_round, order)
    total = sum(counts.values())
    start = (max(page_no, 1) - 1) * page_size
    spanned, offset, before = [], 0, 0
    for gid in order:
        size = counts.get(gid, 0)
        if size and before + size > start and before < start + page_size:
            if not spanned:
                offset = start - before
            spanned.append(gid)
        before += size
    if not spanned:
        return [], total
    assignment = ReviewAssignment.__table__.c
    ids = (db.select(assignment.declaration_id.label("id"))
           .where(assignment.group_id.in_(spanned), assignment.round_id == review_round.id)
           .order_by(assignment.group_id, assignment.declaration_id)
           .limit(page_size).offset(offset).subquery())
    rows = db.session.execute(
        _detail_query(review_round).join(ids, ids.c.id == Declaration.id)
        .order_by(ReviewAssignment.group_id, Declaration.id)).all()
    return _build(review_round, rows, members, names, start, [r.id for r in rows]), total


def whole(review_round, group_id=None):
    """Every block of the round (or of one 专业组), accepted declarations only, for the export."""
    names = dict(groups(review_round))
    members = _members(review_round)
    select = _detail_query(review_round).where(Declaration.status == STATUS_ACCEPTED)
    if group_id:
        select = select.where(ReviewAssignment.group_id == group_id)
    rows = db.session.execute(select.order_by(ReviewAssignment.group_id, Declaration.id)).all()
    return _build(review_round, rows, members, names, 0, None if group_id is None else [r.id for r in rows])


# ---- export (B13 评分矩阵) ----------------------------------------------------------------------------

def header(review_round, block):
    """The B13 columns of a block: the experts' names between 课题类型 and 平均分."""
    label = "班组名称" if review_round.kind == "team" else "小组名称"
    return ["序号", "分派专业组", "申报编号", "成果名称", label, "课题类型", *(name for _, name in block.experts),
            "平均分（小数点后两位）", "企业名称", "申报单位", "主要完成人"]


def export(review_round, group_id=None):
    """The 评分矩阵 of the round (or one 专业组) as xlsx, one block per group on one sheet, formula-safe; numbers
    with two decimals. Returns a rewound temporary file."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("评分矩阵")
    writer = SafeRowWriter(sheet)

    styled = WriteOnlyCell(sheet, value=0)
    styled.number_format = "0.00"  # registered once; each number cell copies the style (as SafeRowWriter does)

    def number(value_c):
        cell = WriteOnlyCell(sheet, value=value_c / 100)
        cell._style = copy(styled._style)
        return cell

    writer.row([f"{review_round.year}年度{review_round.kind_label}{review_round.stage_label} 评分矩阵"])
    for block in whole(review_round, group_id):
        writer.row([])
        writer.row([f"专业组：{block.name}（{len(block.rows)}项）"])
        writer.row(header(review_round, block))
        for r in block.rows:
            cells = [c.label if c.total_c is None else number(c.total_c) for c in r.cells]
            mean = number(r.mean_c) if r.mean_c is not None else r.mean_label
            writer.row([r.seq, block.name, r.decl_no, r.title, r.group_label, r.topic_type or MISSING, *cells, mean,
                        r.enterprise_name, r.unit_name, r.main_contributors])
    fileobj = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    book.save(fileobj)
    fileobj.seek(0)
    return fileobj

"""Declarations of filed groups and teams (spec A1, A2, A12): the window, create, save, submit, withdraw, delete,
and the queries of the list and the picker. Flushes, never commits; the view commits once.

- A declaration of year Y declares one of the unit's filings with ``year == Y`` (another unit's or another
  year's filing is a 404); the unique filing columns make it one per filing.
- 申报编号 QCSB-2027-0001 / BZSB-2027-0001 is reserved at the first save from the counter table and never reused.
- ``Declaration.version`` is the mapper's version column: a save, 提交 or 撤回 racing another change of the same
  declaration raises StaleDataError instead of overwriting it (the views say so and reload).
"""
from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from app.core import audit, clock
from app.core.extensions import db
from app.core.pagination import like_pattern
from app.core.settings import DeclarationPeriod, current_declaration_period, declaration_period
from app.core.template_helpers import china_date
from app.declarations import checks, mail
from app.declarations import files as declaration_files
from app.declarations.checksum import declaration_hash
from app.declarations.fields import KIND_LABELS, fields_for
from app.declarations.models import (
    KIND_GROUP,
    STATUS_DRAFT,
    STATUS_RETURNED,
    STATUS_SUBMITTED,
    Declaration,
    DeclarationExtension,
    FormalCheck,
)
from app.filings.fields import MODELS as FILING_MODELS
from app.filings.fields import NAME_FIELDS as FILING_NAME_FIELDS
from app.filings.regno import give_back_numbers, reserve_numbers

DECL_PREFIX = {"group": "QCSB", "team": "BZSB"}
EDITABLE = (STATUS_DRAFT, STATUS_RETURNED)


class DeclarationError(Exception):
    """A declaration that cannot be saved or submitted: .message for the page, .problems beside the fields."""

    def __init__(self, message, problems=None):
        super().__init__(message)
        self.message = message
        self.problems = dict(problems or {})


@dataclass(frozen=True)
class Window:
    """The declaration window of one unit and kind: the year's, or later when the secretariat extended it."""

    period: DeclarationPeriod
    until: date

    @property
    def is_open(self):
        """From 00:00 of the first day to the end of the last day (or extension), China time."""
        return self.period.start <= self.period.today <= self.until

    @property
    def closed_message(self):
        """Why nothing can be changed now (None while open)."""
        year, start, until = self.period.year, china_date(self.period.start), china_date(self.until)
        if self.is_open:
            return None
        if self.period.today < self.period.start:
            return f"{year}年度成果申报将于{start}开始（截止日期{until}），届时才能新增、修改和提交申报；现在可以查看。"
        return f"{year}年度成果申报已于{until}截止，申报信息仅供查看，不能再新增、修改或提交。"

    @property
    def refusal(self):
        """A12 #1: the message when 提交 is tried outside the window."""
        return (f"{self.period.year}年度成果申报时间为{china_date(self.period.start)}至{china_date(self.until)}，"
                "当前不在申报期内。")


def window_for(unit, kind, period=None):
    """The window of the unit for a kind in the 当前申报年度 (one primary-key read for the extension)."""
    period = period or current_declaration_period()
    extension = db.session.get(DeclarationExtension, (unit.id, period.year, kind))
    until = max(period.end, extension.until) if extension is not None else period.end
    return Window(period, until)


def period_of(declaration, current=None):
    """The calendar of the declaration's own year (the current one unless it is an older declaration)."""
    current = current or current_declaration_period()
    if declaration.year == current.year:
        return current
    return declaration_period(today=current.today, year=declaration.year)


def can_edit(declaration, window):
    """Drafts in the window of their year; 退回修改 until its deadline."""
    if declaration.status == STATUS_DRAFT:
        return declaration.year == window.period.year and window.is_open
    if declaration.status == STATUS_RETURNED:
        deadline = declaration.resubmit_deadline
        return window.period.today <= deadline if deadline else window.is_open
    return False


def can_withdraw(declaration, window, checked):
    """撤回: submitted, in the window, and no 形式审查 conclusion yet (`checked`)."""
    return (declaration.status == STATUS_SUBMITTED and declaration.year == window.period.year
            and window.is_open and not checked)


def has_formal_check(declaration):
    """True once the secretariat has recorded a 形式审查 of it."""
    return db.session.scalar(select(exists().where(FormalCheck.declaration_id == declaration.id)))


def duplicate_message(kind, decl_no):
    """A12 #3."""
    return f"该{KIND_LABELS[kind]}本年度已申报（申报编号{decl_no}），不能重复申报。"


def _filing_column(kind):
    return Declaration.group_filing_id if kind == KIND_GROUP else Declaration.team_filing_id


def declaration_of_filing(kind, filing_id):
    """The declaration of a filing, or None."""
    return db.session.scalar(select(Declaration).where(_filing_column(kind) == filing_id))


def _earlier_submit(unit, submission_key):
    """(declaration, key to store): the draft an earlier submit of the same form made, or None and the key
    (None when the key is another unit's: never reveal or reuse its record)."""
    if not submission_key:
        return None, None
    earlier = db.session.scalar(select(Declaration).where(Declaration.submission_key == submission_key))
    if earlier is None:
        return None, submission_key
    return (earlier, submission_key) if earlier.unit_id == unit.id else (None, None)


def create_declaration(kind, unit, filing, cleaned, *, submission_key=None):
    """A new draft of a filing with its 申报编号 (flushed); a repeated submission_key returns the first one, also
    when both submits are in flight at once (the second waits for the first's commit and gets its draft)."""
    earlier, submission_key = _earlier_submit(unit, submission_key)
    if earlier is not None:
        return earlier
    existing = declaration_of_filing(kind, filing.id)
    if existing is not None:
        earlier, _ = _earlier_submit(unit, submission_key)  # committed since the first look
        if earlier is not None:
            return earlier
        raise DeclarationError(duplicate_message(kind, existing.decl_no))
    decl_no = reserve_numbers(DECL_PREFIX[kind], filing.year, 1, digits=4)[0]
    if submission_key:
        # Taking the number waited for a racing submit's commit (the counter row's lock on PostgreSQL, the
        # write lock on SQLite): a draft it made with this key is visible now, and the number goes back.
        earlier, _ = _earlier_submit(unit, submission_key)
        if earlier is not None:
            give_back_numbers(DECL_PREFIX[kind], filing.year)
            return earlier
    declaration = Declaration(year=filing.year, kind=kind, unit_id=unit.id, decl_no=decl_no,
                              status=STATUS_DRAFT, submission_key=submission_key, **cleaned)
    if kind == KIND_GROUP:
        declaration.group_filing = filing
    else:
        declaration.team_filing = filing
    declaration.unit = unit
    try:
        # A concurrent first save of the same filing fails here alone: the row is added inside the savepoint
        # (begin_nested flushes what is pending before it starts).
        with db.session.begin_nested():
            db.session.add(declaration)
            db.session.flush()
    except IntegrityError:
        existing = declaration_of_filing(kind, filing.id)
        raise DeclarationError(duplicate_message(kind, existing.decl_no if existing else "")) from None
    declaration.data_hash = declaration_hash(declaration)
    db.session.flush()
    audit.record("declaration.create", f"新增{KIND_LABELS[kind]}成果申报 {decl_no}（{filing.reg_no}）",
                 target=declaration, detail={"filing": filing.reg_no})
    return declaration


def update_declaration(declaration, cleaned):
    """Save the form's values into a draft (or 退回修改) declaration; audited with the changed labels."""
    labels = {spec.column: spec.label for spec in fields_for(declaration.kind)}
    changed = [labels.get(column, column) for column, value in cleaned.items()
               if getattr(declaration, column) != value]
    for column, value in cleaned.items():
        setattr(declaration, column, value)
    declaration.data_hash = declaration_hash(declaration)
    if changed:
        declaration.updated_at = clock.utcnow()
    db.session.flush()
    if changed:
        audit.record("declaration.update", f"修改成果申报 {declaration.decl_no}", target=declaration,
                     detail={"changed": changed})
    return declaration


def submission_problems(declaration, window, period=None):
    """Every blocking problem of A12 as {key: message} (empty when it may be submitted)."""
    period = period or period_of(declaration, window.period)
    found = {}
    if not can_edit(declaration, window):
        found["window"] = (window.refusal if declaration.status == STATUS_DRAFT
                           else "修改截止日期已过，不能再提交。")
    found.update(checks.field_problems(declaration, period))
    found.update(declaration_files.problems(declaration_files.slots(declaration, declaration.files)))
    quota = checks.quota_problem(declaration, period)
    if quota:
        found["quota"] = quota
    return found


def submit_declaration(declaration, window):
    """草稿/退回修改 → 已提交（待形式审查）, with the receipt mail; returns False when it was already submitted."""
    if declaration.status == STATUS_SUBMITTED:
        return False  # a second click of 提交: one declaration, one receipt
    problems = submission_problems(declaration, window)
    if problems:
        raise DeclarationError("以下问题更正后才能提交申报：", problems)
    declaration.status = STATUS_SUBMITTED
    declaration.submitted_at = clock.utcnow()
    declaration.data_hash = declaration_hash(declaration)
    db.session.flush()
    mail.queue_receipt(declaration)
    audit.record("declaration.submit", f"提交成果申报 {declaration.decl_no}", target=declaration,
                 detail={"data_hash": declaration.data_hash})
    return True


def withdraw_declaration(declaration, window):
    """撤回: 已提交 → 草稿 while the window is open and no 形式审查 exists."""
    if not can_withdraw(declaration, window, has_formal_check(declaration)):
        raise DeclarationError("该申报已不能撤回（申报已截止或秘书处已开始形式审查）。")
    declaration.status = STATUS_DRAFT
    db.session.flush()
    audit.record("declaration.withdraw", f"撤回成果申报 {declaration.decl_no}", target=declaration)


def delete_declaration(declaration, window):
    """Delete a draft and its files (the 申报编号 is not issued again); returns stored names to delete."""
    if declaration.status != STATUS_DRAFT or not can_edit(declaration, window):
        raise DeclarationError("只能在申报期内删除草稿。")
    names = declaration_files.delete_all(declaration)
    audit.record("declaration.delete", f"删除成果申报草稿 {declaration.decl_no}（{declaration.title}）",
                 target=declaration)
    db.session.delete(declaration)
    db.session.flush()
    return names


def get_declaration_or_404(unit, declaration_id, lock=False):
    """The unit's declaration with that id, or 404 (another unit's id included); `lock` for changes (PostgreSQL)."""
    query = select(Declaration).where(Declaration.id == declaration_id)
    if lock:
        query = query.with_for_update()
    declaration = db.session.scalar(query)
    if declaration is None or declaration.unit_id != unit.id:
        abort(404)
    return declaration


def get_filing_or_404(kind, unit, year, filing_id):
    """The unit's filing of the declaration year (E2); another unit's or another year's is a 404."""
    filing = db.session.get(FILING_MODELS[kind], filing_id)
    if filing is None or filing.unit_id != unit.id or filing.year != year:
        abort(404)
    return filing


def declarations_query(unit, year, kind, search=None):
    """SELECT of the unit's declarations of a year and kind with their filings, newest first."""
    relation = Declaration.group_filing if kind == KIND_GROUP else Declaration.team_filing
    query = (select(Declaration).where(Declaration.unit_id == unit.id, Declaration.year == year,
                                       Declaration.kind == kind)
             .options(db.joinedload(relation)).order_by(Declaration.id.desc()))
    if search:
        pattern = like_pattern(search)
        query = query.where(or_(*(column.like(pattern, escape="\\") for column in (
            Declaration.decl_no, Declaration.title, Declaration.group_name, Declaration.enterprise_name))))
    return query


def picker_query(kind, unit, year, search=None, state=None):
    """SELECT of the unit's filings of the year for 新增申报 (C-U4); state 'todo' = 未申报, 'done' = 已申报."""
    model = FILING_MODELS[kind]
    declared = exists().where(_filing_column(kind) == model.id)
    query = select(model).where(model.unit_id == unit.id, model.year == year)
    if state == "todo":
        query = query.where(~declared)
    elif state == "done":
        query = query.where(declared)
    if search:
        pattern = like_pattern(search)
        columns = [model.reg_no, model.enterprise_name, getattr(model, FILING_NAME_FIELDS[kind])]
        if kind == KIND_GROUP:
            columns.append(model.topic)
        query = query.where(or_(*(column.like(pattern, escape="\\") for column in columns)))
    return query.order_by(model.id.desc())


def declarations_of_filings(kind, filing_ids):
    """{filing_id: Declaration} for the filings shown by the picker, in one query."""
    if not filing_ids:
        return {}
    column = _filing_column(kind)
    rows = db.session.execute(select(column, Declaration).where(column.in_(filing_ids))).all()
    return dict(rows)


def count_query(query):
    """SELECT count(*) with the WHERE of a list query."""
    return query.with_only_columns(func.count()).order_by(None)

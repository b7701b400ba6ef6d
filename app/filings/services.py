"""Group and team filings (登记备案): create, update, delete, list, summarize. Flushes, never commits.

API used by the unit pages (groups/teams) and by the invitation-link pages:

- ``kind`` is ``"group"`` (QcGroupFiling, 注册编号 QC-2027-000123) or ``"team"`` (TeamFiling, BZ-2027-000045).
- ``create_filing(kind, unit, year, data, *, invitation=None, source=SOURCE_FORM, submission_key=None)``
  → the new filing (flushed). ``data`` is a form's ``.data`` dict (extra keys ignored); every value is
  cleaned again with the field rules of ``app.filings.fields``. With ``invitation`` the record is
  linked to it and 企业名称 is forced to ``invitation.enterprise_name``. A repeated ``submission_key``
  returns the record created with it instead of a second one (also when both submits are in flight at once),
  provided it is the same unit and the same invitation. Raises ``FilingError`` (``.message``,
  ``.field_errors`` field → Chinese message) for invalid data, a duplicate name (same enterprise, unit
  and year: “…本年度已存在…”), or a closed filing period (``FilingClosed``, a FilingError).
- ``update_filing(filing, data)`` → filing; same rules (the year must still be open).
- ``delete_filing(filing)``; ``delete_filings_for_invitation(kind, invitation, year) -> int``; both raise
  FilingError when a declaration (成果申报) uses a filing.
- ``assert_filing_open(period=None, year=None)`` raises ``FilingClosed`` (“备案已截止…”) when the deadline
  has passed (or ``year`` is not the open year); ``filing_closed_message(period)`` gives the text.
- ``filings_query(kind, unit, year, *, invitation_id=None, enterprise=None, search=None)`` → a SELECT of
  the model, newest first (use ``db.paginate``; ``count_query(query)`` is its cheaper count);
  ``get_filing_or_404(kind, unit, filing_id)``.
- ``enterprise_summary(kind, unit, year, invitation_id=None)`` → rows (enterprise_name, records, members),
  ``enterprise_names(kind, unit, year)`` → sorted names,
  and ``count_by_invitation(kind, unit, year)`` → {invitation_id: count} in one query.
- ``get_year_stat`` / ``save_year_stat`` for 设置 (UnitYearStat).
Related: ``app.filings.xlsx.importer.import_filings`` (batch import),
``app.filings.xlsx.template.build_template``, ``app.filings.xlsx.export.export_summary``;
forms ``app.filings.forms.GroupFilingForm`` / ``TeamFilingForm``
(``locked_enterprise=`` makes 企业名称 read-only; ``filing_data()``, ``apply_errors()``); templates
``filings/_form.html`` (form, kind, action_url) and ``filings/_import.html`` (kind, template_url, action_url,
result). Every change of consequence is audited here, so change filings through these functions.
"""
from flask import abort
from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.exc import IntegrityError

from app.core import audit
from app.core.extensions import db
from app.core.pagination import like_pattern
from app.core.settings import current_filing_period
from app.filings.fields import (
    KIND_LABELS,
    MODELS,
    NAME_FIELDS,
    check_kind,
    clean_record,
    duplicate_message,
    fields_for,
)
from app.filings.models import SOURCE_FORM, QcGroupFiling, UnitYearStat
from app.filings.regno import give_back, next_reg_no

STAT_FIELDS = (
    ("group_total", "本单位当年开展活动的小组总数"),
    ("team_total", "班组总数"),
    ("staff_total", "职工总数"),
    ("qc_participants", "参加QC小组人数"),
)


class FilingError(Exception):
    """A filing that cannot be saved: .message for the page, .field_errors for the form fields."""

    def __init__(self, message, field_errors=None):
        super().__init__(message)
        self.message = message
        self.field_errors = dict(field_errors or {})


class FilingClosed(FilingError):
    """The filing deadline has passed (or the year is not the open one)."""


def filing_closed_message(period):
    """The 备案已截止 text with the year and deadline."""
    return f"{period.year}年度备案已截止（截止时间{period.deadline:%Y/%m/%d}），不能再添加、修改、删除、导入或设置。"


def assert_filing_open(period=None, year=None):
    """Raise FilingClosed when the period is closed, or when `year` is not the open filing year."""
    period = period or current_filing_period()
    if not period.is_open:
        raise FilingClosed(filing_closed_message(period))
    if year is not None and year != period.year:
        raise FilingClosed(f"当前只能备案{period.year}年度，{year}年度不在备案期内。")
    return period


def _validated(kind, data, invitation=None):
    raw = dict(data)
    if invitation is not None:
        raw["enterprise_name"] = invitation.enterprise_name
    cleaned, errors = clean_record(kind, raw)
    if errors:
        raise FilingError("请更正标出的项目。", errors)
    return cleaned


def _check_duplicate(kind, unit_id, year, cleaned, exclude_id=None):
    model = MODELS[kind]
    name_field = NAME_FIELDS[kind]
    query = select(model.id).where(
        model.unit_id == unit_id, model.year == year,
        model.enterprise_name == cleaned["enterprise_name"],
        getattr(model, name_field) == cleaned[name_field])
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    if db.session.execute(query.limit(1)).first():
        raise _duplicate_error(kind, cleaned)


def _duplicate_error(kind, cleaned):
    name_field = NAME_FIELDS[kind]
    message = duplicate_message(kind, cleaned["enterprise_name"], cleaned[name_field])
    return FilingError(message, {name_field: message})


def _flush_or_duplicate(kind, cleaned):
    """Flush in a savepoint so a concurrent duplicate becomes a FilingError, not a 500."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise _duplicate_error(kind, cleaned) from exc


def _earlier_submit(model, submission_key, unit, invitation):
    """(record, key to store): the record an earlier submit of the same form made, or None and the key.

    The key counts only for the same unit through the same way in (its own pages, or the same invitation
    link); anyone else's key is dropped (None): another unit's or link's record is never revealed or reused.
    """
    if not submission_key:
        return None, None
    existing = db.session.execute(
        select(model).where(model.submission_key == submission_key)).scalar_one_or_none()
    if existing is None:
        return None, submission_key
    invitation_id = invitation.id if invitation is not None else None
    if existing.unit_id == unit.id and existing.invitation_id == invitation_id:
        return existing, submission_key
    return None, None


def create_filing(kind, unit, year, data, *, invitation=None, source=SOURCE_FORM, submission_key=None):
    """Validate and add one filing with a new 注册编号; returns it (flushed).

    A submit racing an earlier one with the same key (a double click, a resent request) gets the record the
    other made, never a "已存在" error, and gives back the number it took.
    """
    check_kind(kind)
    model = MODELS[kind]
    earlier, submission_key = _earlier_submit(model, submission_key, unit, invitation)
    if earlier is not None:
        return earlier
    assert_filing_open(year=year)
    cleaned = _validated(kind, data, invitation)
    try:
        _check_duplicate(kind, unit.id, year, cleaned)
    except FilingError:
        # the other submit committed since the first look
        earlier, _ = _earlier_submit(model, submission_key, unit, invitation)
        if earlier is not None:
            return earlier
        raise
    reg_no = next_reg_no(kind, year)
    if submission_key:
        # Taking the number waited for a racing submit's commit (the counter row's lock on PostgreSQL, the
        # write lock on SQLite), so a record it made with this key is visible now.
        earlier, _ = _earlier_submit(model, submission_key, unit, invitation)
        if earlier is not None:
            give_back(kind, year)
            return earlier
    filing = model(unit_id=unit.id, year=year, reg_no=reg_no, source=source,
                   invitation_id=invitation.id if invitation is not None else None,
                   submission_key=submission_key, **cleaned)
    db.session.add(filing)
    _flush_or_duplicate(kind, cleaned)
    audit.record(f"{kind}_filing.create", f"备案{KIND_LABELS[kind]}“{getattr(filing, NAME_FIELDS[kind])}”"
                 f"（{filing.reg_no}，{filing.enterprise_name}）", target=filing,
                 detail={"source": source, "invitation_id": filing.invitation_id},
                 actor_name=link_actor_name(invitation))
    return filing


def link_actor_name(invitation):
    """操作人 of what an enterprise files through its invitation link (None: the logged-in user)."""
    return f"邀请链接：{invitation.enterprise_name}" if invitation is not None else None


def kind_of(filing):
    """"group" or "team" for a filing object."""
    return "group" if hasattr(filing, "group_name") else "team"


def update_filing(filing, data):
    """Change a filing's fields (not its 注册编号, year or unit); the year must still be open."""
    kind = kind_of(filing)
    assert_filing_open(year=filing.year)
    invitation = filing.invitation if filing.invitation_id else None
    cleaned = _validated(kind, data)
    if invitation is not None and not cleaned.get("enterprise_name"):
        cleaned["enterprise_name"] = invitation.enterprise_name
    _check_duplicate(kind, filing.unit_id, filing.year, cleaned, exclude_id=filing.id)
    for key, value in cleaned.items():
        setattr(filing, key, value)
    _flush_or_duplicate(kind, cleaned)
    audit.record(f"{kind}_filing.update", f"修改{KIND_LABELS[kind]}备案 {filing.reg_no}", target=filing)
    return filing


DECLARED_MESSAGE = "已有成果申报使用该{label}备案记录（见“成果申报”），不能删除。"
DECLARED_BULK_MESSAGE = "其中有已用于成果申报的{label}备案记录（见“成果申报”），不能删除。"


def delete_filing(filing):
    """Delete one filing (its 注册编号 is never issued again); audited. Closed after the deadline; a filing a
    declaration uses stays (the database refuses: FilingError)."""
    kind = kind_of(filing)
    assert_filing_open(year=filing.year)
    audit.record(f"{kind}_filing.delete",
                 f"删除{KIND_LABELS[kind]}备案 {filing.reg_no}（{filing.enterprise_name} "
                 f"{getattr(filing, NAME_FIELDS[kind])}）", target=filing)
    try:
        with db.session.begin_nested():
            db.session.delete(filing)
            db.session.flush()
    except IntegrityError as exc:
        raise FilingError(DECLARED_MESSAGE.format(label=KIND_LABELS[kind])) from exc


def delete_filings_for_invitation(kind, invitation, year):
    """Delete every filing of `kind` made through an invitation for a year; returns how many."""
    check_kind(kind)
    model = MODELS[kind]
    try:
        with db.session.begin_nested():
            result = db.session.execute(
                delete(model).where(model.invitation_id == invitation.id, model.unit_id == invitation.unit_id,
                                    model.year == year).execution_options(synchronize_session=False))
    except IntegrityError as exc:
        raise FilingError(DECLARED_BULK_MESSAGE.format(label=KIND_LABELS[kind])) from exc
    count = result.rowcount or 0
    audit.record(f"{kind}_filing.delete_for_invitation",
                 f"删除被邀企业“{invitation.enterprise_name}”的{year}年{KIND_LABELS[kind]}备案 {count} 条",
                 target=invitation, detail={"count": count, "year": year})
    return count


def get_invitation(invitation_id):
    """The invitation a filing list is filtered by, or None (the invitations area builds on this one, so its
    model is reached through the filing's relationship rather than imported)."""
    return db.session.get(QcGroupFiling.invitation.property.mapper.class_, invitation_id)


def filings_query(kind, unit, year, *, invitation_id=None, enterprise=None, search=None):
    """SELECT of the unit's filings of a year (own and invited), newest first, optionally filtered."""
    check_kind(kind)
    model = MODELS[kind]
    query = select(model).where(model.unit_id == unit.id, model.year == year)
    if invitation_id is not None:
        query = query.where(model.invitation_id == invitation_id)
    if enterprise:
        query = query.where(model.enterprise_name == enterprise)
    if search:
        pattern = like_pattern(search.strip())
        name_col = getattr(model, NAME_FIELDS[kind])
        if db.session.get_bind().dialect.name == "sqlite":
            # SQLite's LIKE already ignores ASCII case (its lower() knows no more than ASCII either), and
            # ilike's lower(column) on every row made the search about 2x slower
            match = or_(model.enterprise_name.like(pattern, escape="\\"), name_col.like(pattern, escape="\\"))
        else:
            match = or_(model.enterprise_name.ilike(pattern, escape="\\"), name_col.ilike(pattern, escape="\\"))
        query = query.where(match)
    return query.order_by(model.id.desc())


def count_query(query):
    """SELECT count(*) with the WHERE of a filings_query: no subquery of every column, so SQLite can
    count over a covering index (the search counted ~2x faster with 50,000 rows)."""
    return query.with_only_columns(func.count()).order_by(None)


def get_filing_or_404(kind, unit, filing_id):
    """The unit's filing with that id, or 404 (another unit's id included)."""
    check_kind(kind)
    filing = db.session.get(MODELS[kind], filing_id)
    if filing is None or filing.unit_id != unit.id:
        abort(404)
    return filing


def enterprise_summary(kind, unit, year, invitation_id=None):
    """Per enterprise: (enterprise_name, records, members), by name; one query."""
    check_kind(kind)
    model = MODELS[kind]
    query = (select(model.enterprise_name, func.count().label("records"),
                    func.coalesce(func.sum(model.member_count), 0).label("members"))
             .where(model.unit_id == unit.id, model.year == year)
             .group_by(model.enterprise_name).order_by(model.enterprise_name))
    if invitation_id is not None:
        query = query.where(model.invitation_id == invitation_id)
    return db.session.execute(query).all()


PRINT_FIELDS = {"group": ("enterprise_name", "group_name", "topic", "topic_type", "founded_on", "leader",
                          "member_count"),
                "team": ("enterprise_name", "team_name", "department", "leader", "member_count",
                         "started_on")}


def print_columns(kind):
    """(label, column) of the printed record list: 注册编号 and the fields that fit a sheet of paper."""
    model = MODELS[kind]
    labels = {spec.name: spec.label for spec in fields_for(kind)}
    return [("注册编号", model.reg_no)] + [(labels[name], getattr(model, name)) for name in PRINT_FIELDS[kind]]


def print_query(kind, unit, year):
    """Every record of the year for the printed 汇总表, by enterprise then 注册编号."""
    model = MODELS[kind]
    return (select(*[column for _, column in print_columns(kind)])
            .where(model.unit_id == unit.id, model.year == year)
            .order_by(model.enterprise_name, model.reg_no))


def enterprise_names(kind, unit, year):
    """The enterprise names of a unit's filings for a year, sorted (the list page's filter); one query.

    A loose index scan: one index seek per distinct name on (unit_id, year, enterprise_name, ...)
    instead of reading every row's entry — with 50,000 filings in 400 enterprises about 5x faster
    than SELECT DISTINCT on SQLite and PostgreSQL alike.
    """
    check_kind(kind)
    table = MODELS[kind].__tablename__  # a fixed table name, never user input
    sql = text(f"""
        WITH RECURSIVE names(name) AS (
            SELECT MIN(enterprise_name) FROM {table} WHERE unit_id = :unit AND year = :year
            UNION ALL
            SELECT (SELECT MIN(enterprise_name) FROM {table}
                    WHERE unit_id = :unit AND year = :year AND enterprise_name > names.name)
            FROM names WHERE names.name IS NOT NULL
        )
        SELECT name FROM names WHERE name IS NOT NULL""")
    return list(db.session.scalars(sql, {"unit": unit.id, "year": year}))


def count_by_invitation(kind, unit, year):
    """{invitation_id: number of filings} for a unit and year, in one query."""
    check_kind(kind)
    model = MODELS[kind]
    rows = db.session.execute(
        select(model.invitation_id, func.count())
        .where(model.unit_id == unit.id, model.year == year, model.invitation_id.is_not(None))
        .group_by(model.invitation_id)).all()
    return dict(rows)


def get_year_stat(unit, year):
    """The unit's 设置 figures for a year, or None."""
    return db.session.get(UnitYearStat, (unit.id, year))


def save_year_stat(unit, year, data):
    """Create or update the 设置 figures (four non-negative integers); audited."""
    stat = get_year_stat(unit, year)
    if stat is None:
        stat = UnitYearStat(unit_id=unit.id, year=year)
        db.session.add(stat)
    for name, _label in STAT_FIELDS:
        setattr(stat, name, int(data[name]))
    db.session.flush()
    audit.record("unit_year_stat.save", f"{year}年度设置：" + "，".join(
        f"{label}{data[name]}" for name, label in STAT_FIELDS), detail={"year": year})
    return stat

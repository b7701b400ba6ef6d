"""形式审查 checklist F1–F13 (spec A13): the items, their 依据, and the results the system finds by itself.

Automatic items are filled in from the data (filing, dates, counts, files, the unit's documents); the clerk sees
them marked 系统核对 and may still change a result where the item also needs a person's eye (封面日期, 公章).
"""
import functools
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, func
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import Unit, User
from app.core.extensions import db
from app.core.validators import TEAM_NAME_SUFFIXES
from app.declarations import unit_documents
from app.declarations.checksum import PRINTED_FIELDS, data_hash, declaration_hash, printed_values
from app.declarations.models import (
    DOC_STATISTICS,
    DOC_SUMMARY_GROUP,
    DOC_SUMMARY_TEAM,
    FILE_RECORDS,
    FILE_REPORT,
    FILE_STAMPED_FORM,
    KIND_GROUP,
    TOPIC_TYPES,
    Declaration,
    DeclarationFile,
    FormalCheck,
    UnitYearDocument,
    UnitYearReport,
)
from app.filings.models import QcGroupFiling, TeamFiling

PASS = "符合"
FAIL = "不符合"
NOT_APPLICABLE = "不适用"
RESULTS = (PASS, FAIL, NOT_APPLICABLE)
MAX_CONTRIBUTORS = {"group": 10, "team": 15}
FILING_TOPIC_TYPES = {"问题解决型（自定目标）": "问题解决型", "问题解决型（指令性目标）": "问题解决型", "创新型": "创新型"}


@dataclass(frozen=True)
class CheckItem:
    """One line of the checklist: code, 审查项目, 依据, and whether the system checks it (fully or in part)."""

    code: str
    label: str
    basis: str
    auto: bool
    manual: bool


ITEMS = (
    CheckItem("F1", "小组/班组已在上年登记备案（注册编号）", "通知第二条：在上年已登记备案的小组和/或班组中推荐", True, False),
    CheckItem("F2", "成果为{earliest}以后完成（核对报告书封面日期）", "通知第二条：成果均要求是{earliest}以后完成的", True, True),
    CheckItem("F3", "申报信息与备案一致（企业名称、小组/班组名称、课题名称、课题类型）", "通知第二条；登记备案信息", True, False),
    CheckItem("F4", "企业名称为全称、以公章为准，未挂上级部门", "附件2、附件3 注2", False, True),
    CheckItem("F5", "班组名称以正式组织单元名称为准（**班/**组/**工段/**室），且为企业最基础的正式组织单元",
              "附件1（二）1；附件3 注2", True, True),
    CheckItem("F6", "主要完成人不超过10人/15人，按顺序填写", "附件2、附件3 主要完成人；注3", True, False),
    CheckItem("F7", "课题类型为问题解决型或创新型，且与报告书活动程序一致", "附件2 注4；附件8", True, True),
    CheckItem("F8", "申报表已加盖申报单位公章和所在企业公章", "附件2、附件3 申报单位（盖章）、所在企业（盖章）", True, True),
    CheckItem("F9", "成果报告书（Word）已提交，内容按附件8/9要求（封面、概况、成员情况、活动程序）", "附件2、附件3 注1；附件8、附件9",
              True, True),
    CheckItem("F10", "活动记录已提交", "附件2、附件3 注1", True, True),
    CheckItem("F11", "汇总表已盖章上传且包含本成果", "附件4、附件5", True, True),
    CheckItem("F12", "统计表已盖章上传", "通知第三条；附件6", True, True),
    CheckItem("F13", "班组：近三年无质量、安全、环保事故", "附件1（二）5", True, True),
)
ITEM_CODES = tuple(item.code for item in ITEMS)
AUTO_CODES = tuple(item.code for item in ITEMS if item.auto)


def item_rows(earliest):
    """The checklist with the year's earliest completion date written into F2."""
    text = f"{earliest.year}年{earliest.month}月{earliest.day}日"
    return [CheckItem(i.code, i.label.format(earliest=text), i.basis.format(earliest=text), i.auto, i.manual)
            for i in ITEMS]


def load_for_check(ids):
    """Declarations with what the automatic items read (unit, filing, files), in three queries."""
    if not ids:
        return []
    return db.session.execute(
        db.select(Declaration).where(Declaration.id.in_(list(ids)))
        .options(joinedload(Declaration.unit), joinedload(Declaration.group_filing),
                 joinedload(Declaration.team_filing), selectinload(Declaration.files))
    ).unique().scalars().all()


def _filing_differences(declaration, filing):
    diffs = []
    pairs = [("企业名称", declaration.enterprise_name, filing.enterprise_name)]
    if declaration.kind == KIND_GROUP:
        pairs += [("小组名称", declaration.group_name, filing.group_name),
                  ("课题名称", declaration.title, filing.topic),
                  ("课题类型", declaration.topic_type, FILING_TOPIC_TYPES.get(filing.topic_type, filing.topic_type))]
    else:
        pairs.append(("班组名称", declaration.group_name, filing.team_name))
    for label, ours, filed in pairs:
        if (ours or "") != (filed or ""):
            diffs.append(f"{label}（备案：{filed or '空'}）")
    return diffs


@dataclass(frozen=True)
class FileFacts:
    """What the automatic items read of a declaration's files: how many of each kind and the 校验码 of the
    newest stamped scan."""

    stamped: int
    stamped_hash: str | None
    reports: int
    records: int

    @classmethod
    def of(cls, files):
        """The facts of loaded DeclarationFile objects (in upload order)."""
        stamped = [file for file in files if file.purpose == FILE_STAMPED_FORM]
        return cls(stamped=len(stamped), stamped_hash=stamped[-1].data_hash if stamped else None,
                   reports=sum(1 for file in files if file.purpose == FILE_REPORT),
                   records=sum(1 for file in files if file.purpose == FILE_RECORDS))


def auto_results(declaration, documents, earliest):
    """{code: (result, note)} of the automatic items of one declaration.

    `documents` is the unit's UnitDocuments (unit_documents.document_states); `earliest` the earliest completion.
    """
    return _results(declaration, declaration.filing, FileFacts.of(declaration.files),
                    lambda: declaration_hash(declaration),
                    documents.state(unit_documents.SUMMARY_DOCS[declaration.kind]),
                    documents.state(unit_documents.DOC_STATISTICS), earliest)


def _results(declaration, filing, files, current_hash, summary_state, statistics_state, earliest):
    """The automatic items from the facts they read, whether loaded as ORM objects or read as plain rows.

    `declaration` has the declaration's columns as attributes, `filing` the filing's (or is None), `files`
    is a FileFacts, `current_hash()` gives the 校验码 of what the 申报表 prints now (asked only when there is
    a scan)."""
    team = declaration.kind != KIND_GROUP
    results = {}
    if filing is not None and filing.unit_id == declaration.unit_id and filing.year == declaration.year:
        results["F1"] = (PASS, f"注册编号 {filing.reg_no}")
    else:
        results["F1"] = (FAIL, "未找到本单位该年度的登记备案")
    completed = declaration.completed_on
    if completed is None:
        results["F2"] = (FAIL, "未填写成果完成日期")
    elif completed < earliest:
        results["F2"] = (FAIL, f"成果完成日期 {completed.isoformat()} 早于 {earliest.isoformat()}")
    else:
        results["F2"] = (PASS, f"成果完成日期 {completed.isoformat()}，请核对报告书封面")
    diffs = _filing_differences(declaration, filing) if filing is not None else ["无备案"]
    results["F3"] = (FAIL, "与备案不一致：" + "；".join(diffs)) if diffs else (PASS, "")
    if team:
        name_ok = (declaration.group_name or "").endswith(TEAM_NAME_SUFFIXES)
        results["F5"] = (PASS, "名称以班/组/工段/室结尾") if name_ok else (FAIL, "班组名称不以班/组/工段/室结尾")
    else:
        results["F5"] = (NOT_APPLICABLE, "")
    people = list(declaration.main_contributors or [])
    limit = MAX_CONTRIBUTORS["team" if team else "group"]
    if not people:
        results["F6"] = (FAIL, "未填写主要完成人")
    elif len(people) > limit:
        results["F6"] = (FAIL, f"主要完成人{len(people)}人，超过{limit}人")
    elif len(set(people)) != len(people):
        results["F6"] = (FAIL, "主要完成人有重复")
    else:
        results["F6"] = (PASS, f"{len(people)}人")
    if team:
        results["F7"] = (NOT_APPLICABLE, "")
    else:
        ok = declaration.topic_type in TOPIC_TYPES
        results["F7"] = (PASS, declaration.topic_type) if ok else (FAIL, "课题类型应为问题解决型或创新型")
    if not files.stamped:
        results["F8"] = (FAIL, "未上传申报表盖章扫描件")
    elif files.stamped_hash != current_hash():
        results["F8"] = (FAIL, "盖章扫描件需重新上传（信息已修改）")
    else:
        results["F8"] = (PASS, "盖章扫描件已上传且与申报信息一致，请核对公章")
    results["F9"] = (PASS, "已上传，请核对格式") if files.reports else (FAIL, "未上传成果报告书（Word文档）")
    results["F10"] = (PASS, f"{files.records}个文件") if files.records else (FAIL, "未上传活动记录")
    if summary_state == unit_documents.UPLOADED:
        results["F11"] = (PASS, "")
    elif summary_state == unit_documents.UNCHECKED:
        results["F11"] = (PASS, "汇总表已上传，是否为最新在审查时核对")
    else:
        results["F11"] = (FAIL, f"汇总表{summary_state}")
    results["F12"] = (PASS, "") if statistics_state == unit_documents.UPLOADED else (FAIL, f"统计表{statistics_state}")
    if team:
        ok = declaration.accidents == 0 and declaration.no_accident_pledge
        results["F13"] = (PASS, "年质量、安全事故数为0，已承诺") if ok else (FAIL, "事故数不为0或未承诺")
    else:
        results["F13"] = (NOT_APPLICABLE, "")
    return results


def auto_passes(results):
    """True when no automatic item failed (the condition of 批量参评)."""
    return all(result != FAIL for result, _ in results.values())


def failed_items(results):
    """The codes of the automatic items that failed, in checklist order."""
    return [code for code in AUTO_CODES if results.get(code, (PASS, ""))[0] == FAIL]


def evaluate(declarations, year, earliest, summaries=True):
    """{declaration id: auto results} for loaded declarations (five more queries for the units' documents).

    summaries=False (the list page) only checks that each 汇总表 scan is there, not that it is current."""
    documents = unit_documents.document_states(year, {d.unit_id for d in declarations}, summaries=summaries)
    return {d.id: auto_results(d, documents[d.unit_id], earliest) for d in declarations}


class ListFindings:
    """One row of the 形式审查 list: the automatic results, the failed items (codes in checklist order, and
    "F3：…；F8：…；" with their notes as the list's tooltip shows them) and the newest conclusion (or None)."""

    __slots__ = ("results", "failed", "failed_notes", "conclusion")

    def __init__(self, results, conclusion):
        self.results = results
        self.failed = [code for code in AUTO_CODES if results[code][0] == FAIL]
        self.failed_notes = "".join(f"{code}：{results[code][1]}；" for code in self.failed)
        self.conclusion = conclusion


_GROUP_FILING = ("unit_id", "year", "reg_no", "enterprise_name", "group_name", "topic", "topic_type")
_TEAM_FILING = ("unit_id", "year", "reg_no", "enterprise_name", "team_name")
_READ = ("id", "kind", "unit_id", "year", "completed_on", "no_accident_pledge")
_PRINTED = tuple(sorted(set(PRINTED_FIELDS["group"]) | set(PRINTED_FIELDS["team"])
                        | {"topic_type", "accidents"}))
_REPORT_KEYS = tuple(column.key for column in UnitYearReport.__table__.columns)


@functools.cache
def _list_statement():
    """One Core select (tables, not ORM entities) of everything the list's automatic items read, for the
    declarations of `:ids`; built once, since constructing it costs more than running it."""
    declaration, files = Declaration.__table__.c, DeclarationFile.__table__
    group, team = QcGroupFiling.__table__.alias("g"), TeamFiling.__table__.alias("t")
    summary, statistics = UnitYearDocument.__table__.alias("s"), UnitYearDocument.__table__.alias("st")
    report, unit, check = UnitYearReport.__table__, Unit.__table__, FormalCheck.__table__

    def of_files(purpose, column=None):
        select = db.select(func.count() if column is None else column).where(
            files.c.declaration_id == declaration.id, files.c.purpose == purpose)
        return (select if column is None else select.order_by(files.c.id.desc()).limit(1)).scalar_subquery()

    summary_doc = db.case((declaration.kind == KIND_GROUP, DOC_SUMMARY_GROUP), else_=DOC_SUMMARY_TEAM)
    newest_check = (db.select(check.c.conclusion).where(check.c.declaration_id == declaration.id)
                    .order_by(check.c.id.desc()).limit(1).scalar_subquery())
    return (
        db.select(*(declaration[name] for name in _READ + _PRINTED), unit.c.name.label("unit_name"),
                  group.c.id.label("g_id"), *(group.c[name].label("g_" + name) for name in _GROUP_FILING),
                  team.c.id.label("t_id"), *(team.c[name].label("t_" + name) for name in _TEAM_FILING),
                  of_files(FILE_STAMPED_FORM).label("stamped"),
                  of_files(FILE_STAMPED_FORM, files.c.data_hash).label("stamped_hash"),
                  of_files(FILE_REPORT).label("reports"), of_files(FILE_RECORDS).label("records"),
                  summary.c.stored_file_id.label("summary_file"),
                  statistics.c.stored_file_id.label("statistics_file"),
                  statistics.c.data_hash.label("statistics_hash"), report.c.unit_id.label("report_unit"),
                  *(report.c[key].label("report_" + key) for key in _REPORT_KEYS),
                  newest_check.label("conclusion"))
        .select_from(Declaration.__table__)
        .join(unit, unit.c.id == declaration.unit_id)
        .outerjoin(group, group.c.id == declaration.group_filing_id)
        .outerjoin(team, team.c.id == declaration.team_filing_id)
        .outerjoin(summary, and_(summary.c.unit_id == declaration.unit_id, summary.c.year == declaration.year,
                                 summary.c.doc == summary_doc))
        .outerjoin(statistics, and_(statistics.c.unit_id == declaration.unit_id,
                                    statistics.c.year == declaration.year,
                                    statistics.c.doc == DOC_STATISTICS))
        .outerjoin(report, and_(report.c.unit_id == declaration.unit_id, report.c.year == declaration.year))
        .where(declaration.id.in_(bindparam("ids", expanding=True))))


def list_findings(ids, earliest):
    """{declaration id: ListFindings} for one page of the 形式审查 list, in one statement of plain rows.

    The same items as `evaluate(..., summaries=False)` gives (tests/secretariat/test_formal_check_list.py
    compares them), without building ORM objects: the declaration with its unit name, filing, file counts,
    newest scan's 校验码, the unit's 汇总表 and 统计表 scans and 统计表 data, and the newest conclusion,
    joined in SQL.
    """
    if not ids:
        return {}
    found, statistics = {}, {}
    result = db.session.execute(_list_statement(), {"ids": list(ids)})
    keys = list(result.keys())
    for values in result:
        row = SimpleNamespace(**dict(zip(keys, values)))  # plain attributes: read many times below
        prefix, names = ("g_", _GROUP_FILING) if row.kind == KIND_GROUP else ("t_", _TEAM_FILING)
        filing = (SimpleNamespace(**{name: getattr(row, prefix + name) for name in names})
                  if getattr(row, prefix + "id") is not None else None)
        files = FileFacts(stamped=row.stamped, stamped_hash=row.stamped_hash, reports=row.reports,
                          records=row.records)
        if row.unit_id not in statistics:
            statistics[row.unit_id] = _statistics_state(row)

        def current_hash(row=row, filing=filing):
            return data_hash(printed_values(row, row.kind, row.unit_name, filing.reg_no if filing else ""))

        summary_state = unit_documents.UNCHECKED if row.summary_file is not None else unit_documents.MISSING
        results = _results(row, filing, files, current_hash, summary_state, statistics[row.unit_id], earliest)
        found[row.id] = ListFindings(results, row.conclusion)
    return found


def _statistics_state(row):
    """The 统计表 scan's state as unit_documents.document_states finds it, from the joined columns."""
    if row.statistics_file is None:
        return unit_documents.MISSING
    if row.report_unit is None:
        return unit_documents.STALE
    current = unit_documents.statistics_hash(SimpleNamespace(**{key: getattr(row, "report_" + key)
                                                                for key in _REPORT_KEYS}), row.unit_name)
    return unit_documents.UPLOADED if current is not None and row.statistics_hash == current else unit_documents.STALE


def latest_check(declaration):
    """The newest 形式审查 of a declaration (the one that counts), or None."""
    declaration_id = getattr(declaration, "id", declaration)
    return db.session.execute(
        db.select(FormalCheck).where(FormalCheck.declaration_id == declaration_id)
        .order_by(FormalCheck.id.desc()).limit(1)).scalar_one_or_none()


def latest_checks(ids):
    """{declaration id: newest FormalCheck} for many declarations (one query)."""
    if not ids:
        return {}
    newest = (db.select(db.func.max(FormalCheck.id).label("id")).where(FormalCheck.declaration_id.in_(list(ids)))
              .group_by(FormalCheck.declaration_id).subquery())
    rows = db.session.execute(db.select(FormalCheck).join(newest, newest.c.id == FormalCheck.id)).scalars()
    return {row.declaration_id: row for row in rows}


def history(declaration_id):
    """Every 形式审查 of a declaration, newest first, with the checker's name (one query)."""
    return db.session.execute(
        db.select(FormalCheck, User.display_name, User.username)
        .outerjoin(User, User.id == FormalCheck.checker_id)
        .where(FormalCheck.declaration_id == declaration_id)
        .order_by(FormalCheck.id.desc())).all()

"""活动统计表 附件6 (spec A8): the 15 rows, prefills from filings and 设置, exact rates, submission, and the
industry rollup (sums, rates recomputed from the sums, never averaged)."""
from dataclasses import dataclass

from sqlalchemy import func, select

from app.core.clock import utcnow
from app.core.extensions import db
from app.declarations.checksum import data_hash
from app.declarations.hundredths import format_hundredths, format_rate, rate
from app.declarations.models import UnitYearReport
from app.filings.models import QcGroupFiling, UnitYearStat

STATUS_EMPTY = "empty"
STATUS_SAVED = "saved"
STATUS_SUBMITTED = "submitted"
STATUS_LABELS = {STATUS_EMPTY: "未填写", STATUS_SAVED: "已保存", STATUS_SUBMITTED: "已提交"}
PREFILL_HINT = "来自备案数据，可修改"
REVIEW_FORMS = ("发表评审", "现场评审", "与QC小组合并开", "单独举办")
TITLE = "质量管理小组/质量信得过班组建设活动统计表"
PARTICIPANTS_ERROR = "参加QC小组人数不能多于职工总数。"


@dataclass(frozen=True)
class Row:
    """One 统计项目 of 附件6: number, label (exactly), unit, field, type (int, money, rate, forms, text)."""

    number: int
    label: str
    unit: str
    field: str
    type: str


ROWS = (
    Row(1, "历年来已登记注册QC小组累计数", "个", "qc_registered_total", "int"),
    Row(2, "本年度已登记注册QC小组数", "个", "qc_registered_year", "int"),
    Row(3, "本年度QC小组普及率=参加QC小组人数/职工总数×100%", "百分数", "popularity", "rate"),
    Row(4, "本年度坚持活动的QC小组数", "个", "qc_active", "int"),
    Row(5, "本年度QC小组创可计算的经济效益", "万元", "qc_benefit_c", "money"),
    Row(6, "本年度QC小组成果率=取得成果小组数/QC小组注册数×100%", "百分数", "results", "rate"),
    Row(7, "本年度企业对QC小组活动经费投入（培训、交流、书籍等费用）", "万元", "qc_funding_c", "money"),
    Row(8, "本年度企业对QC小组活动奖励费用", "万元", "qc_rewards_c", "money"),
    Row(9, "本年度开展质量信得过班组建设活动班组数", "个", "team_active", "int"),
    Row(10, "历年开展质量信得过班组建设活动班组累计数", "个", "team_total_hist", "int"),
    Row(11, "本年度参与质量信得过班组建设活动员工数", "人次", "team_participants", "int"),
    Row(12, "本年度对质量信得过班组建设活动投入费用（培训、交流、规范化等）", "万元", "team_funding_c", "money"),
    Row(13, "本年度对质量信得过班组建设活动奖励费用", "万元", "team_rewards_c", "money"),
    Row(14, "质量信得过班组评审及交流形式", "", "team_review_forms", "forms"),
    Row(15, "本年度开展质量管理小组活动、质量信得过班组建设活动主要特点、存在问题及建议", "", "remarks", "text"),
)
# The inputs behind the two rates (C-U10): 参加QC小组人数 · 职工总数 · 取得成果小组数.
RATE_INPUTS = (("qc_participants", "参加QC小组人数", "人"), ("staff_total", "职工总数", "人"),
               ("qc_with_results", "取得成果小组数", "个"))
COUNT_FIELDS = tuple(r.field for r in ROWS if r.type == "int") + ("qc_participants", "staff_total",
                                                                  "qc_with_results")
MONEY_FIELDS = tuple(r.field for r in ROWS if r.type == "money")
CONTACT_FIELDS = (("responsible_dept", "现质量管理小组/质量信得过班组工作归口部门及负责人："),
                  ("contact", "联 系 人："), ("phone", "联系电话："), ("address", "通讯地址："),
                  ("postcode", "邮编："), ("email", "电子邮箱："))
TEXT_FIELDS = ("remarks",) + tuple(name for name, _ in CONTACT_FIELDS)
REQUIRED_MESSAGES = {
    "remarks": "请填写主要特点、存在问题及建议。",
    "responsible_dept": "请填写工作归口部门及负责人。",
    "contact": "请填写联系人。",
    "phone": "请填写联系电话。",
    "address": "请填写通讯地址。",
    "postcode": "请填写邮编。",
    "email": "请填写电子邮箱。",
}


def period_text(year):
    """（2023年5月至2024年4月） for year 2024."""
    return f"（{year - 1}年5月至{year}年4月）"


def get_report(unit, year):
    """The unit's 统计表 of a year, or None (未填写)."""
    return db.session.get(UnitYearReport, (unit.id, year))


def status_of(report):
    """未填写 / 已保存 / 已提交 as a code."""
    if report is None:
        return STATUS_EMPTY
    return STATUS_SUBMITTED if report.status == STATUS_SUBMITTED else STATUS_SAVED


def prefill(unit, year):
    """Values taken from the filings and the unit's 设置 of the year (spec A8, D11); all editable."""
    registered = db.session.scalar(select(func.count()).select_from(QcGroupFiling).where(
        QcGroupFiling.unit_id == unit.id, QcGroupFiling.year == year))
    values = {"qc_registered_year": registered}
    stat = db.session.get(UnitYearStat, (unit.id, year))
    if stat is not None:
        values.update(qc_participants=stat.qc_participants, staff_total=stat.staff_total,
                      qc_active=stat.group_total, team_active=stat.team_total)
    values.update(contact=unit.contact, phone=unit.mobile, address=unit.address, postcode=unit.postcode,
                  email=unit.email)
    return values


def rates(values):
    """The two computed rows: 普及率 = 3a / 3b, 成果率 = 6a / row 2 (Decimal or None)."""
    return {"popularity": rate(values.get("qc_participants"), values.get("staff_total")),
            "results": rate(values.get("qc_with_results"), values.get("qc_registered_year"))}


def consistency_errors(values):
    """Rules between rows that hold whenever both values are present (checked at every save)."""
    errors = {}
    participants, staff = values.get("qc_participants"), values.get("staff_total")
    if participants is not None and staff is not None and participants > staff:
        errors["qc_participants"] = PARTICIPANTS_ERROR
    total, this_year = values.get("qc_registered_total"), values.get("qc_registered_year")
    if total is not None and this_year is not None and total < this_year:
        errors["qc_registered_total"] = "历年来已登记注册QC小组累计数不能少于本年度已登记注册QC小组数。"
    active, history = values.get("team_active"), values.get("team_total_hist")
    if active is not None and history is not None and active > history:
        errors["team_active"] = "本年度开展质量信得过班组建设活动班组数不能多于历年累计数。"
    return errors


def completeness_errors(values):
    """What 提交 needs beyond consistency: every figure (0 allowed), the texts, row 14 when teams are active."""
    errors = {}
    for name in COUNT_FIELDS + MONEY_FIELDS:
        if values.get(name) is None:
            errors[name] = "请填写数量（没有请填0）。"
    for name in TEXT_FIELDS:
        if not (values.get(name) or "").strip():
            errors[name] = REQUIRED_MESSAGES[name]
    if (values.get("team_active") or 0) > 0 and not values.get("team_review_forms"):
        errors["team_review_forms"] = "开展了质量信得过班组建设活动时，请至少选择一种评审及交流形式。"
    return errors


def warnings(values):
    """Shown, not blocking: 坚持活动 more than registered in all years; 成果率 above 100%."""
    found = []
    active, total = values.get("qc_active"), values.get("qc_registered_total")
    if active is not None and total is not None and active > total:
        found.append("本年度坚持活动的QC小组数多于历年来已登记注册QC小组累计数，请核对。")
    results = rates(values)["results"]
    if results is not None and results > 100:
        found.append("本年度QC小组成果率超过100%，请核对取得成果小组数和本年度已登记注册QC小组数。")
    return found


def values_of(report):
    """A saved report's values as a dict keyed like the form."""
    names = COUNT_FIELDS + MONEY_FIELDS + TEXT_FIELDS + ("team_review_forms", "row_notes")
    return {name: getattr(report, name) for name in names}


def save_report(unit, year, values):
    """Create or update the unit's 统计表 (flushes only). A change of printed data after 提交 takes the table
    back to 已保存: it must be printed, stamped and submitted again."""
    report = get_report(unit, year)
    if report is None:
        report = UnitYearReport(unit_id=unit.id, year=year, status=STATUS_SAVED)
        db.session.add(report)
    before = data_hash(printed_data(unit, year, report)) if report.status == STATUS_SUBMITTED else None
    for name, value in values.items():
        setattr(report, name, value)
    if before is not None and before != data_hash(printed_data(unit, year, report)):
        report.status = STATUS_SAVED
        report.submitted_at = None
    db.session.flush()
    return report


def submit_report(report):
    """Mark the saved table 已提交 (the caller has checked completeness and the fresh scan)."""
    report.status = STATUS_SUBMITTED
    report.submitted_at = utcnow()
    db.session.flush()


def printed_data(unit, year, report):
    """Every printed value of the 统计表 (for its 校验码), as the print shows it."""
    values = values_of(report)
    shown = {}
    for name in COUNT_FIELDS:
        shown[name] = values[name]
    for name in MONEY_FIELDS:
        shown[name] = format_hundredths(values[name])
    shown.update({name: format_rate(value) for name, value in rates(values).items()})
    shown.update({name: values[name] or "" for name in TEXT_FIELDS})
    shown["team_review_forms"] = list(values["team_review_forms"] or [])
    shown["row_notes"] = {str(k): v for k, v in (values["row_notes"] or {}).items() if v}
    return {"doc": "statistics", "year": year, "unit_name": unit.name, "values": shown}


def statistics_hash(unit, year, report):
    """校验码 of what the printed 统计表 shows (None before the first save)."""
    return data_hash(printed_data(unit, year, report)) if report is not None else None


@dataclass(frozen=True)
class Rollup:
    """The industry's sums over many units' tables, with rates recomputed from the sums."""

    units: int
    sums: dict
    popularity: object
    results: object
    review_forms: dict


def rollup(reports):
    """Sum every count and amount over the reports; 普及率 = Σ参加人数 / Σ职工总数, 成果率 = Σ取得成果小组数 /
    Σ本年度注册数 (never an average of the units' rates); tallies of the row 14 options; number of units."""
    reports = list(reports)
    sums = {name: sum(getattr(r, name) or 0 for r in reports) for name in COUNT_FIELDS + MONEY_FIELDS}
    tallies = {option: sum(option in (r.team_review_forms or []) for r in reports) for option in REVIEW_FORMS}
    computed = rates(sums)
    return Rollup(units=len(reports), sums=sums, popularity=computed["popularity"],
                  results=computed["results"], review_forms=tallies)

"""申报汇总 export (spec B13): every field of every declaration matching the 申报总览 filters, formula-safe.

The B13 columns come first in their order; the remaining fields of 附件2/附件3 follow. openpyxl's write-only mode
streams the rows (flat memory); SafeRowWriter keeps any text starting with = + - @ from becoming a formula.
"""
import tempfile

from openpyxl import Workbook
from sqlalchemy import func

from app.accounts.models import Unit
from app.core.extensions import db
from app.core.models import Industry, Province
from app.core.template_helpers import china_time
from app.declarations.conclusions import CONCLUSIONS
from app.declarations.models import STATUS_LABELS, Declaration, FormalCheck
from app.declarations.overview import KIND_LABELS, filtered
from app.filings.models import QcGroupFiling, TeamFiling
from app.filings.xlsx.export import SafeRowWriter

HEADER = ("申报编号", "注册编号", "申报单位", "省份", "行业", "企业名称", "通讯地址", "邮编", "直接联系人", "手机",
          "小组/班组名称", "成果名称", "课题类型", "主要完成人", "经济效益（万元）", "状态", "形式审查结论",
          "类型", "年度", "座机", "小组联系部门/主管部门", "小组活动指导者", "小组长/班组长", "小组/班组人数", "目标类型",
          "班组工作完成率（%）", "产品/服务满意度（％）", "产品/服务合格率（％）", "质量考核合格率（%）",
          "质量改进活动参与率（%）", "质量成本（万元/年）", "年培训参与人数（人次）", "年顾客投诉数（个）",
          "年质量、安全事故数（个）", "近三年无质量、安全、环保事故（承诺）", "简介", "成果完成日期", "活动开始日期",
          "发表人", "提交时间", "修改截止日期", "形式审查意见", "形式审查时间")
FETCH_BATCH = 2000
HUNDREDTHS = ("economic_benefit_c", "rate_work_completion_c", "rate_satisfaction_c", "rate_pass_c",
              "rate_quality_assessment_c", "rate_improvement_participation_c", "quality_cost_c")


def export_query(filters):
    """Every column of the export in one statement (filings, unit, province, industry, newest check joined)."""
    newest = (db.select(FormalCheck.declaration_id, func.max(FormalCheck.id).label("id"))
              .group_by(FormalCheck.declaration_id).subquery())
    d = Declaration
    return filtered(
        db.select(d.decl_no, func.coalesce(QcGroupFiling.reg_no, TeamFiling.reg_no), Unit.name, Province.name,
                  Industry.name, d.enterprise_name, d.address, d.postcode, d.contact, d.mobile, d.group_name,
                  d.title, d.topic_type, d.main_contributors, *(getattr(d, name) for name in HUNDREDTHS[:1]),
                  d.status, FormalCheck.conclusion, d.kind, d.year, d.landline,
                  func.coalesce(d.contact_department, d.department), d.advisor, d.leader, d.member_count,
                  d.topic_subtype, *(getattr(d, name) for name in HUNDREDTHS[1:]), d.training_attendance,
                  d.complaints, d.accidents, d.no_accident_pledge, d.summary, d.completed_on, d.started_on,
                  d.presenter, d.submitted_at, d.resubmit_deadline, FormalCheck.opinion, FormalCheck.created_at)
        .join(Unit, Unit.id == d.unit_id)
        .join(Province, Province.code == Unit.province_code)
        .join(Industry, Industry.code == Unit.industry_code)
        .outerjoin(QcGroupFiling, QcGroupFiling.id == d.group_filing_id)
        .outerjoin(TeamFiling, TeamFiling.id == d.team_filing_id)
        .outerjoin(newest, newest.c.declaration_id == d.id)
        .outerjoin(FormalCheck, FormalCheck.id == newest.c.id),
        filters).order_by(d.decl_no)


def _money(value):
    return None if value is None else value / 100


def rows_of(result):
    """Export rows from the query's rows: hundredths as numbers, lists joined, times in China time."""
    statuses, conclusions, kinds = STATUS_LABELS, CONCLUSIONS, KIND_LABELS
    for r in result:
        yield (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
               "，".join(r[13] or ()), _money(r[14]), statuses.get(r[15], r[15]), conclusions.get(r[16], ""),
               kinds.get(r[17], r[17]), r[18], r[19], r[20], r[21], r[22], r[23], r[24],
               _money(r[25]), _money(r[26]), _money(r[27]), _money(r[28]), _money(r[29]), _money(r[30]),
               r[31], r[32], r[33], ("是" if r[34] else "否") if r[17] == "team" else None, r[35],
               r[36].isoformat() if r[36] else None, r[37].isoformat() if r[37] else None, r[38],
               china_time(r[39]) if r[39] else None, r[40].isoformat() if r[40] else None, r[41],
               china_time(r[42]) if r[42] else None)


def export(filters):
    """The declarations matching the filters as an xlsx file (a spooled temporary file, rewound)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"{filters.year}年申报汇总")
    writer = SafeRowWriter(sheet)
    writer.row(HEADER)
    result = db.session.execute(export_query(filters).execution_options(yield_per=FETCH_BATCH))
    for row in rows_of(result):
        writer.row(row)
    fileobj = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    book.save(fileobj)
    fileobj.seek(0)
    return fileobj

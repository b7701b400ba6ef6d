"""评审结果 exports (spec B13): 专家组意见表 and 成果得分 as xlsx, formula-safe (SafeRowWriter quotes any text
starting with = + - @ and drops control characters)."""
import tempfile

from openpyxl import Workbook

from app.filings.xlsx.export import SafeRowWriter

OPINION_HEADER = ("序号", "专业组", "申报编号", "成果名称", "小组名称", "企业名称", "申报单位", "成果类型", "等级分",
                  "决赛分", "排名", "建议等级", "专家组意见")
SCORE_HEADER = ("序号", "专业组", "申报编号", "成果名称", "小组名称", "企业名称", "有效评分数", "参与计算数", "平均分",
                "排名", "组内排名", "建议等级", "评定等级", "状态", "决赛入围", "决赛分", "调整原因")


def _number(value):
    return None if value is None else float(value)


def _save(book):
    fileobj = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    book.save(fileobj)
    fileobj.seek(0)
    return fileobj


def _header(kind, header):
    return tuple("班组名称" if kind == "team" and h == "小组名称" else h for h in header)


def opinion_sheet(the_board, group_id=None):
    """专家组意见表 (B10, B13): per 专业组 (all, or the one given), by rank within the group."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"{the_board.year}年{the_board.kind_label}专家组意见表")
    writer = SafeRowWriter(sheet)
    writer.row(_header(the_board.kind, OPINION_HEADER))
    chosen = [r for r in the_board.rows if group_id is None or r.group_id == group_id]
    rows = sorted(chosen, key=lambda r: (r.review_group is None, r.review_group or "",
                                         r.group_rank is None, r.group_rank or 0, r.decl_no))
    for n, r in enumerate(rows, start=1):
        writer.row((n, r.review_group or "未分组", r.decl_no, r.title, r.group_name, r.enterprise_name,
                    r.unit_name, r.type_label, _number(r.level_score), _number(r.final_score), r.rank, r.suggested_level,
                    r.group_opinion))
    return _save(book)


def score_sheet(the_board):
    """成果得分 (C-S9) in ranking order."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"{the_board.year}年{the_board.kind_label}成果得分")
    writer = SafeRowWriter(sheet)
    writer.row(_header(the_board.kind, SCORE_HEADER))
    for n, r in enumerate(the_board.rows, start=1):
        writer.row((n, r.review_group or "未分组", r.decl_no, r.title, r.group_name, r.enterprise_name,
                    r.valid_count, r.used_count, _number(r.level_score), r.rank, r.group_rank, r.suggested_level, r.level,
                    r.status, "入围" if r.is_finalist else "", _number(r.final_score), r.override_reason))
    return _save(book)

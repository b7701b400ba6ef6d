"""申报汇总表 附件4 (小组) / 附件5 (班组), spec A7: generated from the unit's declarations, header inputs kept
per unit/kind/year, 校验码 over header and rows, and an xlsx export that never holds a live formula."""
import io
from dataclasses import dataclass

from openpyxl import Workbook
from sqlalchemy import select

from app.core.clock import china_today
from app.core.extensions import db
from app.declarations.checksum import data_hash
from app.declarations.documents import document_for_update, get_document
from app.declarations.models import (
    DOC_SUMMARY_GROUP,
    DOC_SUMMARY_TEAM,
    KIND_GROUP,
    STATUS_ACCEPTED,
    STATUS_DEFERRED,
    STATUS_RETURNED,
    STATUS_SUBMITTED,
    Declaration,
)
from app.filings.xlsx.export import SafeRowWriter

LISTED_STATUSES = (STATUS_SUBMITTED, STATUS_RETURNED, STATUS_ACCEPTED, STATUS_DEFERRED)
DOCS = {"group": DOC_SUMMARY_GROUP, "team": DOC_SUMMARY_TEAM}
KIND_LABELS = {"group": "小组", "team": "班组"}
COMMON = (("企业名称", "enterprise_name"), ("通讯地址", "address"), ("邮编", "postcode"),
          ("直接联系人", "contact"), ("手机", "mobile"))
COLUMNS = {
    "group": COMMON + (("小组名称", "group_name"), ("成果名称", "title"), ("课题类型", "topic_type")),
    "team": COMMON + (("班组名称", "group_name"), ("成果名称", "title")),
}
HEADER_FIELDS = ("contact", "phone", "mobile")
NOTE = "注：申报单位名称以公章为准，填写内容应简明扼要，准确无误。"


def title(year):
    """2024年全国石油和化工行业优秀成果申报汇总表."""
    return f"{year}年全国石油和化工行业优秀成果申报汇总表"


def subtitle(kind):
    """（小组用样表） / （班组用样表）."""
    return f"（{KIND_LABELS[kind]}用样表）"


@dataclass
class SummaryTable:
    """Everything a 汇总表 shows: header, rows (lists of cell texts), and its 校验码."""

    kind: str
    year: int
    unit_name: str
    header: dict
    rows: list
    document: object

    @property
    def labels(self):
        """序号 then the column labels of 附件4 or 附件5."""
        return ["序号"] + [label for label, _ in COLUMNS[self.kind]]

    def printed_data(self):
        """What the print shows except the 填报日期 (the day it is printed, which alone must not stale a scan)."""
        return {"doc": DOCS[self.kind], "year": self.year, "unit_name": self.unit_name,
                "header": {name: self.header.get(name, "") for name in HEADER_FIELDS}, "rows": self.rows}

    @property
    def data_hash(self):
        """校验码 of header and rows."""
        return data_hash(self.printed_data())


def rows_of(unit, year, kind):
    """The listed declarations' cells, ordered by 企业名称 then 申报编号 (in Python: code-point order on
    every database, so the 校验码 does not depend on a collation)."""
    names = [name for _, name in COLUMNS[kind]]
    columns = [getattr(Declaration, name) for name in names]
    found = db.session.execute(
        select(Declaration.decl_no, *columns).where(
            Declaration.unit_id == unit.id, Declaration.year == year, Declaration.kind == kind,
            Declaration.status.in_(LISTED_STATUSES))).all()
    found.sort(key=lambda row: (row[1] or "", row[0]))
    return [[value or "" for value in row[1:]] for row in found]


def default_header(unit):
    """The header before the unit saves its own: 联系人 and 手机 from the registration."""
    return {"contact": unit.contact, "phone": "", "mobile": unit.mobile}


def summary_table(unit, year, kind):
    """The 汇总表 of a unit, year and kind, as it is now."""
    document = get_document(unit, year, DOCS[kind])
    header = dict(default_header(unit), **(document.header if document and document.header else {}))
    return SummaryTable(kind=kind, year=year, unit_name=unit.name, header=header,
                        rows=rows_of(unit, year, kind), document=document)


def export_filename(table):
    """2024年申报汇总表（小组）.xlsx."""
    return f"{table.year}年申报汇总表（{KIND_LABELS[table.kind]}）.xlsx"


def export_xlsx(table):
    """The 汇总表 as an xlsx workbook (bytes): title, header line, columns, rows, note."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"申报汇总表（{KIND_LABELS[table.kind]}）")
    writer = SafeRowWriter(sheet)
    writer.row([title(table.year) + subtitle(table.kind)])
    writer.row([f"申报单位：{table.unit_name}（盖章）", f"联系人：{table.header.get('contact', '')}",
                f"电话：{table.header.get('phone', '')}", f"手机：{table.header.get('mobile', '')}",
                f"填报日期：{china_today():%Y-%m-%d}"])
    writer.row(table.labels)
    for index, row in enumerate(table.rows, start=1):
        writer.row([index, *row])
    writer.row([NOTE])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def save_header(unit, year, kind, values):
    """Keep the header inputs of a unit's 汇总表 for its kind and year; flushes only."""
    document = document_for_update(unit, year, DOCS[kind])
    document.header = {name: values.get(name) or "" for name in HEADER_FIELDS}
    db.session.flush()
    return document

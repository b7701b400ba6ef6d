"""打包下载 of declaration files: one declaration, one unit, or every declaration of a filter, as one zip.

The zip is streamed (app/core/storedzip.py): files are read from disk in 1 MiB chunks as the client receives them,
stored as they are (scans, PDFs and Office files are compressed already) with the CRC-32 computed at upload, so memory
stays flat for any size and no file is inspected on the way out.
Folders are 单位/申报编号-成果名称/ with the unit's stamped documents in 单位/单位材料/, and 清单.xlsx at the root
lists every file. The list of files is read before streaming starts; streaming itself needs no database.
"""
import io
import os
import re
from dataclasses import dataclass

from pathlib import Path

from flask import current_app
from openpyxl import Workbook

from app.accounts.models import Unit
from app.core.clock import to_china, utcnow
from app.core.extensions import db
from app.core.models import StoredFile
from app.core.storedzip import StoredZip
from app.declarations.models import (
    DOC_RECOMMENDATION,
    DOC_STATISTICS,
    DOC_SUMMARY_GROUP,
    DOC_SUMMARY_TEAM,
    FILE_RECORDS,
    FILE_REPORT,
    FILE_REPORT_PDF,
    FILE_SLIDES,
    FILE_STAMPED_FORM,
    STATUS_DRAFT,
    Declaration,
    DeclarationFile,
    UnitYearDocument,
)
from app.declarations.overview import filtered
from app.filings.xlsx.export import SafeRowWriter

PURPOSE_LABELS = {FILE_REPORT: "成果报告书", FILE_REPORT_PDF: "成果报告书PDF版", FILE_RECORDS: "活动记录",
                  FILE_STAMPED_FORM: "申报表盖章件", FILE_SLIDES: "发表材料"}
PURPOSE_ORDER = {purpose: i for i, purpose in enumerate(PURPOSE_LABELS)}
DOC_LABELS = {DOC_SUMMARY_GROUP: "小组申报汇总表盖章件", DOC_SUMMARY_TEAM: "班组申报汇总表盖章件",
              DOC_STATISTICS: "活动统计表盖章件", DOC_RECOMMENDATION: "评委推荐表盖章件"}
UNIT_FOLDER = "单位材料"
MANIFEST = "清单.xlsx"
MANIFEST_HEADER = ("序号", "申报单位", "申报编号", "成果名称", "材料", "原文件名", "大小（字节）", "压缩包内路径")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f\\/:*?"<>|]')


@dataclass
class Entry:
    """One file of the archive: where it is on disk and where it goes in the zip."""

    path: str
    size: int
    crc32: int | None
    arcname: str
    unit_name: str
    decl_no: str
    title: str
    material: str
    original_name: str


def safe_component(text, limit=60):
    """A folder or file name valid on Windows, macOS and Linux: no separators, no control characters."""
    cleaned = _UNSAFE.sub("_", text or "").strip().strip(".").strip()
    if len(cleaned) > limit:
        stem, ext = os.path.splitext(cleaned)
        ext = ext if len(ext) <= 10 else ""
        cleaned = stem[:limit - len(ext)].rstrip() + ext
    return cleaned or "_"


def _unique(arcname, taken):
    """The name itself, or “name (2).ext” when an equal name (ignoring case) is already in the archive."""
    key, n = arcname.lower(), 1
    stem, ext = os.path.splitext(arcname)
    while key in taken:
        n += 1
        arcname = f"{stem} ({n}){ext}"
        key = arcname.lower()
    taken.add(key)
    return arcname


def declaration_ids(filters=None, unit_id=None, declaration_id=None, year=None):
    """A select of the ids to pack: one declaration, a unit's non-draft ones, or a filter's.

    Drafts are the unit's work in progress: they are packed only when the filter asks for 草稿 explicitly.
    """
    select = db.select(Declaration.id).join(Unit, Unit.id == Declaration.unit_id)
    if declaration_id is not None:
        return select.where(Declaration.id == declaration_id)
    if unit_id is not None:
        return select.where(Declaration.unit_id == unit_id, Declaration.year == year,
                            Declaration.status != STATUS_DRAFT)
    select = filtered(select, filters)
    if filters.status != STATUS_DRAFT:
        select = select.where(Declaration.status != STATUS_DRAFT)
    return select


def collect(ids_select, year, with_unit_documents=True):
    """The archive's entries, in order: per unit, its declarations (by 申报编号) and then its documents."""
    rows = db.session.execute(
        db.select(Unit.id, Unit.name, Declaration.decl_no, Declaration.title, DeclarationFile.purpose,
                  StoredFile.stored_name, StoredFile.original_name, StoredFile.id, StoredFile.crc32)
        .join(Declaration, Declaration.id == DeclarationFile.declaration_id)
        .join(Unit, Unit.id == Declaration.unit_id)
        .join(StoredFile, StoredFile.id == DeclarationFile.stored_file_id)
        .where(Declaration.id.in_(ids_select))).all()
    rows.sort(key=lambda r: (r[1], r[0], r[2], PURPOSE_ORDER.get(r[4], 99), r[7]))
    unit_docs = []
    if with_unit_documents:
        units = db.select(Declaration.unit_id).where(Declaration.id.in_(ids_select))
        unit_docs = db.session.execute(
            db.select(Unit.id, Unit.name, UnitYearDocument.doc, StoredFile.stored_name, StoredFile.original_name,
                      StoredFile.crc32)
            .join(UnitYearDocument, UnitYearDocument.unit_id == Unit.id)
            .join(StoredFile, StoredFile.id == UnitYearDocument.stored_file_id)
            .where(UnitYearDocument.year == year, Unit.id.in_(units))).all()
    docs_by_unit = {}
    for unit_id, unit_name, doc, stored_name, original, crc in unit_docs:
        docs_by_unit.setdefault(unit_id, []).append((unit_name, doc, stored_name, original, crc))

    entries, taken, seen_units, counters = [], set(), [], {}
    folder = Path(current_app.config["UPLOAD_DIR"])

    def add(stored_name, crc, arcname, unit_name, decl_no, title, material, original):
        path = folder / stored_name
        try:
            size = os.stat(path).st_size
        except OSError:
            return  # a file missing on disk is listed nowhere rather than breaking the stream half-way
        entries.append(Entry(str(path), size, crc, _unique(arcname, taken), unit_name, decl_no, title, material,
                             original))

    def add_unit_documents(unit_id):
        for unit_name, doc, stored_name, original, crc in sorted(docs_by_unit.pop(unit_id, []), key=lambda d: d[1]):
            label = DOC_LABELS.get(doc, doc)
            add(stored_name, crc, f"{safe_component(unit_name)}/{UNIT_FOLDER}/{safe_component(label + '-' + original)}",
                unit_name, "", "", label, original)

    for unit_id, unit_name, decl_no, title, purpose, stored_name, original, _, crc in rows:
        if seen_units and seen_units[-1] != unit_id:
            add_unit_documents(seen_units[-1])
        if not seen_units or seen_units[-1] != unit_id:
            seen_units.append(unit_id)
        label = PURPOSE_LABELS.get(purpose, purpose)
        if purpose == FILE_RECORDS:
            counters[decl_no] = counters.get(decl_no, 0) + 1
            label = f"{label}{counters[decl_no]}"
        folder_name = f"{safe_component(unit_name)}/{safe_component(f'{decl_no}-{title}', 80)}"
        add(stored_name, crc, f"{folder_name}/{safe_component(label + '-' + original)}", unit_name, decl_no, title,
            label, original)
    if seen_units:
        add_unit_documents(seen_units[-1])
    for unit_id in sorted(docs_by_unit, key=lambda u: docs_by_unit[u][0][0]):
        add_unit_documents(unit_id)
    return entries


def manifest(entries):
    """清单.xlsx: one row per file of the archive (formula-safe)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("清单")
    writer = SafeRowWriter(sheet)
    writer.row(MANIFEST_HEADER)
    for index, e in enumerate(entries, start=1):
        writer.row((index, e.unit_name, e.decl_no, e.title, e.material, e.original_name, e.size, e.arcname))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def archive(entries):
    """A StoredZip of 清单.xlsx and the entries; iterate it to send, len() is the Content-Length."""
    stream = StoredZip(to_china(utcnow()))
    stream.add_bytes(MANIFEST, manifest(entries))
    for entry in entries:
        stream.add_file(entry.arcname, entry.path, entry.size, entry.crc32)
    return stream

"""The unit's yearly documents (附件4–7): their stamped scans (spec A6) and when they may be changed.

A scan is stored with the 校验码 of the data it shows; `scan_state` compares it with the 校验码 of the data now,
so any later change of a printed field makes the scan 需重新上传 without anyone having to remember it.
"""
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from app.core.clock import utcnow
from app.core.extensions import db
from app.core.models import StoredFile
from app.core.uploads import UploadError, check_image, path_of, sniff_kind, store
from app.declarations.models import (
    DOC_RECOMMENDATION,
    DOC_STATISTICS,
    DOC_SUMMARY_GROUP,
    DOC_SUMMARY_TEAM,
    STATUS_RETURNED,
    Declaration,
    DeclarationExtension,
    UnitYearDocument,
)

DOC_LABELS = {
    DOC_SUMMARY_GROUP: "申报汇总表（小组）",
    DOC_SUMMARY_TEAM: "申报汇总表（班组）",
    DOC_STATISTICS: "活动统计表",
    DOC_RECOMMENDATION: "评委推荐表",
}
SCAN_MISSING = "missing"
SCAN_FRESH = "fresh"
SCAN_STALE = "stale"
SCAN_LABELS = {SCAN_MISSING: "未上传", SCAN_FRESH: "已上传", SCAN_STALE: "需重新上传"}
STALE_MESSAGE = "信息已修改，请重新打印、盖章后上传。"
SCAN_MAX_BYTES = 10 * 1024 * 1024  # spec A5/D5: stamped scans ≤ 10 MB
SCAN_HINT = "文件类型：PDF、JPG、PNG，大小不超过10M。"


@dataclass(frozen=True)
class Scan:
    """What the page shows about a document's stamped scan."""

    state: str
    current_hash: str
    document: UnitYearDocument | None

    @property
    def label(self):
        """未上传 / 已上传 / 需重新上传."""
        return SCAN_LABELS[self.state]

    @property
    def is_fresh(self):
        """True when a scan of exactly the current data is stored."""
        return self.state == SCAN_FRESH


def get_document(unit, year, doc):
    """The unit's document row of a year, or None."""
    return db.session.get(UnitYearDocument, (unit.id, year, doc))


def document_for_update(unit, year, doc):
    """The document row, created when missing (a concurrent first save is absorbed by the primary key)."""
    document = get_document(unit, year, doc)
    if document is not None:
        return document
    try:
        with db.session.begin_nested():
            document = UnitYearDocument(unit_id=unit.id, year=year, doc=doc, header={})
            db.session.add(document)
    except IntegrityError:
        document = get_document(unit, year, doc)
    return document


def scan_of(document, current_hash):
    """The scan's state against the 校验码 of the data as it is now."""
    if document is None or document.stored_file_id is None:
        state = SCAN_MISSING
    elif document.data_hash == current_hash:
        state = SCAN_FRESH
    else:
        state = SCAN_STALE
    return Scan(state=state, current_hash=current_hash, document=document)


def read_scan(file_storage, max_bytes=SCAN_MAX_BYTES, what="盖章扫描件"):
    """Read an uploaded scan or proof file (bounded); returns (bytes, kind), the kind found in the content."""
    if file_storage is None or not file_storage.filename:
        raise UploadError("请先点击“浏览...”选择文件。")
    data = file_storage.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(f"{what}大小不能超过{max_bytes // (1024 * 1024)}M。")
    if not data:
        raise UploadError("上传的文件是空的。")
    kind = sniff_kind(data)
    if kind is None:
        raise UploadError(f"{what}只能是PDF、JPG或PNG文件（按文件内容识别）。")
    if kind in ("jpeg", "png"):
        check_image(data)
    elif b"%%EOF" not in data[-2048:]:
        raise UploadError("PDF文件不完整或已损坏，请重新导出后上传。")
    return data, kind


def attach_scan(unit, year, doc, file_storage, current_hash):
    """Store a stamped scan of the data whose 校验码 is current_hash; returns the replaced StoredFile (or None)
    so the caller can remove its bytes once the transaction has committed. Flushes only."""
    data, kind = read_scan(file_storage)
    stored = store(data, kind, file_storage.filename, f"scan_{doc}"[:32], unit_id=unit.id)
    document = document_for_update(unit, year, doc)
    replaced = document.stored_file
    document.stored_file = stored
    document.data_hash = current_hash
    document.uploaded_at = utcnow()
    if replaced is not None:
        db.session.delete(replaced)
    db.session.flush()
    return replaced


def remove_bytes(stored_file):
    """Delete a stored file's bytes (after the commit that dropped its row)."""
    if stored_file is not None:
        path_of(stored_file).unlink(missing_ok=True)


def scan_file_or_none(unit, year, doc):
    """The stored scan of the unit's document, or None."""
    return db.session.execute(
        select(StoredFile).join(UnitYearDocument, UnitYearDocument.stored_file_id == StoredFile.id)
        .where(UnitYearDocument.unit_id == unit.id, UnitYearDocument.year == year,
               UnitYearDocument.doc == doc)
    ).scalar_one_or_none()


def documents_open(unit, period):
    """True while the unit may change its documents: in the window, before its extension date, or while one of
    its declarations is 退回修改 before its deadline (the 汇总表 then changes and needs a new scan)."""
    if period.is_open:
        return True
    if period.not_yet_open:
        return False
    extended = db.session.scalar(select(func.max(DeclarationExtension.until)).where(
        DeclarationExtension.unit_id == unit.id, DeclarationExtension.year == period.year))
    if extended is not None and period.today <= extended:
        return True
    return bool(db.session.scalar(select(exists().where(
        Declaration.unit_id == unit.id, Declaration.year == period.year,
        Declaration.status == STATUS_RETURNED,
        Declaration.resubmit_deadline >= period.today))))


def closed_message(period):
    """Why the documents cannot be changed now (None while they can)."""
    if period.not_yet_open:
        return (f"{period.year}年度成果申报将于{period.start.year}年{period.start.month}月{period.start.day}日开始，"
                "届时可填写和上传；现在可以查看。")
    return (f"{period.year}年度成果申报已于{period.end.year}年{period.end.month}月{period.end.day}日截止，"
            "本页内容仅供查看和打印。")

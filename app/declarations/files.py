"""The files of one declaration (spec A5, C-U7): what each purpose accepts, their states, upload and delete.

Content decides (app.core.documents), never the name; uploads stream to disk (app.core.uploads.receive), so a
20 MB report is never held in memory. A 申报表盖章扫描件 keeps the 校验码 of the data it shows: when a printed
field changes afterwards the scan is 需重新上传. Flushes, never commits; functions that remove files return
the stored names to delete from disk after the commit (uploads.delete_files).
"""
from dataclasses import dataclass, field

from flask import abort
from sqlalchemy import select

from app.core import audit, clock, documents, uploads
from app.core.extensions import db
from app.core.uploads import MB, UploadError
from app.declarations.checksum import declaration_hash
from app.declarations.fields import KIND_LABELS
from app.declarations.models import (
    FILE_RECORDS,
    FILE_REPORT,
    FILE_REPORT_PDF,
    FILE_SLIDES,
    FILE_STAMPED_FORM,
    DeclarationFile,
)

STATE_UPLOADED = "已上传"
STATE_MISSING = "未上传"
STATE_STALE = "需重新上传"
STALE_MESSAGE = "信息已修改，请重新打印、盖章后上传。"


@dataclass(frozen=True)
class Purpose:
    """One kind of file of a declaration."""

    code: str
    label: str  # {kind} is 小组 or 班组
    kinds: frozenset
    max_bytes: int
    max_count: int
    required: bool
    types_text: str

    def label_for(self, kind):
        """The label with 小组/班组 filled in."""
        return self.label.format(kind=KIND_LABELS[kind])

    @property
    def hint(self):
        """文件类型：… 大小不超过…M (C-U7)."""
        each = "每个" if self.max_count > 1 else ""
        more = f"，最多{self.max_count}个" if self.max_count > 1 else ""
        return f"文件类型：{self.types_text}，{each}大小不超过{self.max_bytes // MB}M{more}"

    @property
    def accept(self):
        """The <input accept> list (a convenience for the file picker; the server decides by content)."""
        return ",".join(documents.ACCEPT[kind] for kind in sorted(self.kinds))


def _p(code, label, kinds, mb, count, required, types_text):
    return Purpose(code, label, frozenset(kinds), mb * MB, count, required, types_text)


PURPOSES = {
    FILE_REPORT: _p(FILE_REPORT, "成果报告书（Word文档）", ("docx", "doc"), 20, 1, True, "Word文档（.docx或.doc）"),
    FILE_REPORT_PDF: _p(FILE_REPORT_PDF, "成果报告书（PDF版，可选）", ("pdf",), 20, 1, False, "PDF"),
    FILE_RECORDS: _p(FILE_RECORDS, "{kind}活动记录", ("pdf", "jpeg", "png"), 20, 10, True, "PDF、JPG或PNG"),
    FILE_STAMPED_FORM: _p(FILE_STAMPED_FORM, "申报表盖章扫描件", ("pdf", "jpeg", "png"), 10, 1, True,
                          "PDF（可多页）、JPG或PNG"),
    FILE_SLIDES: _p(FILE_SLIDES, "发表材料（PPT）", ("pptx", "ppt", "pdf"), 50, 1, False, "PowerPoint（.pptx或.ppt）或PDF"),
}
# 发表材料 is asked only of the finalists of the 决赛 round (review, Part B).
UNIT_PURPOSES = (FILE_REPORT, FILE_REPORT_PDF, FILE_RECORDS, FILE_STAMPED_FORM)
REQUIRED_MESSAGES = {FILE_REPORT: "请上传成果报告书（Word文档）。", FILE_RECORDS: "请上传活动记录。",
                     FILE_STAMPED_FORM: "请上传申报表盖章扫描件。"}


def purpose_limit(view_args):
    """The body limit of an upload route: its purpose's file size (unknown purposes: the smallest)."""
    purpose = PURPOSES.get(view_args.get("purpose"))
    return purpose.max_bytes if purpose else 10 * MB


@dataclass
class FileSlot:
    """One purpose of one declaration as the page shows it: its files and state."""

    purpose: Purpose
    label: str
    files: list = field(default_factory=list)
    state: str = STATE_MISSING

    @property
    def full(self):
        """True when no more files of this purpose may be added (single files are replaced instead)."""
        return self.purpose.max_count > 1 and len(self.files) >= self.purpose.max_count


def files_by_declaration(declaration_ids):
    """{declaration_id: [DeclarationFile with stored_file]} for many declarations, in one query."""
    found = {declaration_id: [] for declaration_id in declaration_ids}
    if not declaration_ids:
        return found
    rows = db.session.scalars(
        select(DeclarationFile).where(DeclarationFile.declaration_id.in_(declaration_ids))
        .options(db.joinedload(DeclarationFile.stored_file)).order_by(DeclarationFile.id))
    for row in rows:
        found[row.declaration_id].append(row)
    return found


def stamped_hashes(declaration_ids):
    """{declaration_id: 校验码 of its latest 申报表盖章扫描件} in one light query (the list shows only this state)."""
    if not declaration_ids:
        return {}
    rows = db.session.execute(
        select(DeclarationFile.declaration_id, DeclarationFile.data_hash)
        .where(DeclarationFile.declaration_id.in_(declaration_ids), DeclarationFile.purpose == FILE_STAMPED_FORM)
        .order_by(DeclarationFile.id)).all()
    return dict(rows)  # the newest scan of a declaration comes last and wins


def scan_state(declaration, stamped_hash):
    """已上传 / 未上传 / 需重新上传 of the stamped scan, from its stored 校验码 (None: no scan)."""
    if stamped_hash is None:
        return STATE_MISSING
    return STATE_UPLOADED if stamped_hash == declaration_hash(declaration) else STATE_STALE


def slots(declaration, files, current_hash=None):
    """The FileSlots of a declaration from its files (current_hash: its 校验码, computed when not given)."""
    current_hash = current_hash or declaration_hash(declaration)
    result = []
    for code in UNIT_PURPOSES:
        purpose = PURPOSES[code]
        mine = [f for f in files if f.purpose == code]
        state = STATE_UPLOADED if mine else STATE_MISSING
        if code == FILE_STAMPED_FORM and mine and mine[-1].data_hash != current_hash:
            state = STATE_STALE
        result.append(FileSlot(purpose, purpose.label_for(declaration.kind), mine, state))
    return result


def problems(declaration_slots):
    """{"file_<purpose>": message} of what stops 提交: a missing required file, a stale scan."""
    found = {}
    for slot in declaration_slots:
        if slot.state == STATE_STALE:
            found[f"file_{slot.purpose.code}"] = STALE_MESSAGE
        elif slot.state == STATE_MISSING and slot.purpose.required:
            found[f"file_{slot.purpose.code}"] = REQUIRED_MESSAGES[slot.purpose.code]
    return found


def upload(declaration, code, file_storage):
    """Check and store one uploaded file of a purpose; a single-file purpose replaces its file.

    Returns (DeclarationFile, stored names to delete after commit); raises UploadError (Chinese message).
    """
    purpose = PURPOSES[code]
    label = purpose.label_for(declaration.kind)
    existing = [f for f in declaration.files if f.purpose == code]
    if purpose.max_count > 1 and len(existing) >= purpose.max_count:
        raise UploadError(f"{label}最多上传{purpose.max_count}个文件，请先删除不需要的文件。")
    received = uploads.receive(file_storage, purpose.max_bytes)
    try:
        kind = documents.identify(received, purpose.kinds, label)
        stored = uploads.keep(received, kind, f"declaration_{code}", unit_id=declaration.unit_id,
                              stem_default=label)
    except BaseException:
        uploads.discard(received)
        raise
    row = DeclarationFile(purpose=code, stored_file=stored,
                          data_hash=declaration_hash(declaration) if code == FILE_STAMPED_FORM else None)
    declaration.files.append(row)
    removed = []
    if purpose.max_count == 1:
        for old in existing:
            removed.append(_remove(declaration, old))
    declaration.updated_at = clock.utcnow()  # a new version: a racing 提交 or save sees the change
    db.session.flush()
    audit.record("declaration.file_upload", f"上传{label}“{stored.original_name}”（{declaration.decl_no}）",
                 target=declaration, detail={"purpose": code, "sha256": stored.sha256, "size": stored.size,
                                             "data_hash": row.data_hash, "replaced": len(removed)})
    return row, removed


def _remove(declaration, row):
    name = row.stored_file.stored_name
    declaration.files.remove(row)
    db.session.delete(row.stored_file)
    return name


def get_file_or_404(declaration, file_id):
    """A file of this declaration, or 404."""
    row = db.session.get(DeclarationFile, file_id)
    if row is None or row.declaration_id != declaration.id:
        abort(404)
    return row


def delete(declaration, row):
    """Remove one file; returns the stored names to delete after commit."""
    label = PURPOSES[row.purpose].label_for(declaration.kind)
    original = row.stored_file.original_name
    names = [_remove(declaration, row)]
    declaration.updated_at = clock.utcnow()
    db.session.flush()
    audit.record("declaration.file_delete", f"删除{label}“{original}”（{declaration.decl_no}）", target=declaration,
                 detail={"purpose": row.purpose})
    return names


def delete_all(declaration):
    """Remove every file of a declaration (before deleting it); returns the stored names."""
    names = []
    for row in list(declaration.files):
        names.append(_remove(declaration, row))
    db.session.flush()
    return names

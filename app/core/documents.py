"""What an uploaded file really is, from its content (never its name), and whether it is safe to keep.

Kinds: jpeg, png, pdf, docx, doc, pptx, ppt. ZIP-based Office files pass the bounded zip guard (entry count,
inflated size, ratio) and are refused when macro-enabled; OLE2 files (.doc/.ppt) are told apart by the names
of their directory entries, and refused when they carry a VBA project or are encrypted; PDFs must open
(pypdf) without a password; images must parse within the pixel limit. Everything reads the file from disk in
bounded chunks.
"""
import logging

from app.core.uploads import UploadError, check_image, sniff_kind
from app.core.zipguard import OLE_MAGIC, ZIP_MAGIC, UnsafeFile, ZipLimits, inflate_all, open_archive

KIND_NAMES = {"pdf": "PDF", "jpeg": "JPG", "png": "PNG", "docx": "Word（.docx）", "doc": "Word（.doc）",
              "pptx": "PowerPoint（.pptx）", "ppt": "PowerPoint（.ppt）"}
ACCEPT = {"jpeg": ".jpg,.jpeg", "png": ".png", "pdf": ".pdf", "docx": ".docx", "doc": ".doc", "pptx": ".pptx",
          "ppt": ".ppt"}
# A report with a few hundred pictures has a few hundred parts; its XML compresses 10–50×.
OFFICE_LIMITS = ZipLimits(max_entries=3000, max_total=400 * 1024 * 1024, max_entry=200 * 1024 * 1024,
                          verb="上传", resave="请用Word/WPS重新保存后再上传")
MACRO_MESSAGE = ("文件包含宏（VBA代码），为安全起见不能上传。请在Word/WPS中另存为不含宏的格式"
                 "（Word文档*.docx 或 PowerPoint演示文稿*.pptx）后再上传。")
OLE_SCAN_CHUNK = 1024 * 1024
OLE_ENTRY = 128  # directory entries are 128-byte records: a UTF-16LE name, then its byte length at offset 64


def sniff(head):
    """The container of the content: 'jpeg', 'png', 'pdf', 'zip', 'ole' or None."""
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    return sniff_kind(head)


def _ole_name(name):
    """The bytes of a directory entry's name as stored: UTF-16LE with its NUL, and its length field."""
    encoded = (name + "\0").encode("utf-16-le")
    return encoded, len(encoded).to_bytes(2, "little")


OLE_NAMES = {name: _ole_name(name) for name in (
    "WordDocument", "PowerPoint Document", "Workbook", "EncryptedPackage", "_VBA_PROJECT", "Macros", "VBA")}


def ole_entry_names(path):
    """Which of OLE_NAMES are directory entries of an OLE2 file (a name at a 128-byte boundary, followed by
    its own length): text inside the document never matches both conditions."""
    found = set()
    overlap = OLE_ENTRY  # an entry cut by a chunk's end lies whole in the next window
    with open(path, "rb") as fh:
        offset, previous = 0, b""
        while chunk := fh.read(OLE_SCAN_CHUNK):
            window = previous + chunk
            base = offset - len(previous)
            for name, (encoded, length) in OLE_NAMES.items():
                if name in found:
                    continue
                start = window.find(encoded)
                while start != -1:
                    absolute = base + start
                    if absolute % OLE_ENTRY == 0 and window[start + 64:start + 66] == length:
                        found.add(name)
                        break
                    start = window.find(encoded, start + 1)
            offset += len(chunk)
            previous = window[-overlap:]
    return found


def _check_ole(path):
    names = ole_entry_names(path)
    if "EncryptedPackage" in names:
        raise UploadError("文件已加密（设置了打开密码），请去掉密码后再上传。")
    if names & {"_VBA_PROJECT", "Macros", "VBA"}:
        raise UploadError(MACRO_MESSAGE)
    if "WordDocument" in names:
        return "doc"
    if "PowerPoint Document" in names:
        return "ppt"
    return "ole"


def _check_zip(path):
    try:
        archive = open_archive(path, OFFICE_LIMITS, "文件已损坏，或不是Word/PowerPoint文档。")
        with archive:
            names = {info.filename for info in archive.infolist()}
            lowered = {name.lower() for name in names}
            if any(name.endswith("vbaproject.bin") or name.endswith("vbadata.xml") for name in lowered):
                raise UploadError(MACRO_MESSAGE)
            if "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as handle:
                    content_types = handle.read(OFFICE_LIMITS.ratio_floor)
                if b"macroenabled" in content_types.lower():
                    raise UploadError(MACRO_MESSAGE)
            inflate_all(archive, OFFICE_LIMITS)
    except UnsafeFile as refused:
        raise UploadError(str(refused)) from None
    if "word/document.xml" in names:
        return "docx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    return "zip"


def _check_pdf(path):
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    try:
        logging.getLogger("pypdf").setLevel(logging.ERROR)  # broken-but-readable files are not our log's news
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise UploadError("PDF文件设置了打开密码，请去掉密码后再上传。")
            except DependencyError:
                return  # AES with an empty user password: viewers open it without asking
        if len(reader.pages) == 0:
            raise UploadError("PDF文件没有任何页面，请重新生成后再上传。")
    except UploadError:
        raise
    except Exception:
        raise UploadError("PDF文件已损坏，无法打开；请重新生成或扫描后再上传。") from None


def identify(received, allowed, label):
    """The kind of a received file among `allowed` (checked for safety), or UploadError naming `label`."""
    wanted = "、".join(KIND_NAMES[kind] for kind in KIND_NAMES if kind in allowed)
    refusal = f"{label}只接受{wanted}文件，所选文件的内容不符（系统按文件内容判断，与扩展名无关）。"
    container = sniff(received.head)
    if container in ("jpeg", "png"):
        kind = container if container in allowed else None
        if kind:
            check_image(received.path)
    elif container == "pdf":
        kind = "pdf" if "pdf" in allowed else None
        if kind:
            _check_pdf(received.path)
    elif container == "zip" and allowed & {"docx", "pptx"}:
        kind = _check_zip(received.path)
    elif container == "ole" and allowed & {"doc", "ppt"}:
        kind = _check_ole(received.path)
    else:
        kind = None
    if kind not in allowed:
        raise UploadError(refusal)
    return kind

"""证书 (spec B12, D29): one A4 landscape PDF per award, rendered by WeasyPrint from an HTML template.

The four names are printed exactly as the declaration holds them (after an approved 证书信息更正, which
changes the declaration itself); the secretariat's background image of the year lies behind the text. Long
names never break the page: `fit_size` picks the largest type size with which each value fits its box.
Rendering fetches nothing but the background image, which the fetcher hands over from memory.

Units and the secretariat get a certificate only after 正式发布 of its year and kind
(`award_plan.published_at`) and once it has a 证书编号. Zips are streamed: each PDF is rendered when the
archive reaches it, so memory stays flat.
"""
import io
import threading
import unicodedata
import zipfile
from dataclasses import dataclass, field
from urllib.parse import quote

from flask import Response, current_app, render_template
from PIL import Image
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.accounts.models import Unit
from app.core import audit, uploads
from app.core.clock import to_china, utcnow
from app.core.extensions import db
from app.core.models import StoredFile
from app.declarations.models import Declaration
from app.review.certificate_numbers import AWARDED
from app.review.models import AwardPlan, AwardResult, CertificateSetting

PDF_MIME = "application/pdf"
ZIP_MIME = "application/zip"
TEMPLATE = "review/certificate/certificate.html"
HEADINGS = {"group": "{year}年全国石油和化工行业优秀质量管理小组活动成果",
            "team": "{year}年全国石油和化工行业优秀质量信得过班组建设活动成果"}
NAME_LABELS = {"group": "小组名称", "team": "班组名称"}
ISSUER = "中国石油和化学工业联合会"
CONTRIBUTOR_SEPARATOR = "、"
# The value boxes of the four fields (mm, inside the frame) and their largest type size (pt).
VALUE_WIDTH_MM = 191
BOXES = (("成果名称", 34, 16), ("name", 14, 15), ("企业名称", 14, 15), ("主要完成人", 24, 15))
SMALLEST_PT = 5.0
LINE_HEIGHT = 1.35
PT_MM = 25.4 / 72
BACKGROUND_URL = "https://certificate.invalid/background/{sha}"
# The background is reduced to 150 dpi over the A4 landscape page and stored as JPEG, which a PDF embeds
# as it is: every certificate carries the image, so its size is what a zip of 3,000 certificates multiplies.
BACKGROUND_PIXELS = (1754, 1240)
BACKGROUND_MAX_BYTES = 10 * 1024 * 1024


class FetchRefused(ValueError):
    """A certificate asked for something other than its background image."""


@dataclass
class Certificate:
    """What one certificate prints (plain values, so a batch needs no database while it renders)."""

    declaration_id: int
    unit_id: int
    year: int
    kind: str
    level: str
    certificate_no: str
    title: str
    group_name: str
    enterprise_name: str
    contributors: list
    published_at: object
    unit_name: str = ""
    fields: list = field(default_factory=list)

    @property
    def heading(self):
        """The year's title by kind."""
        return HEADINGS[self.kind].format(year=self.year)

    @property
    def date_text(self):
        """The date of 发布, China time: 2027年5月20日."""
        day = to_china(self.published_at or utcnow()).date()
        return f"{day.year}年{day.month}月{day.day}日"

    @property
    def filename(self):
        """证书-CPCIF-QC-2027-0001.pdf."""
        return f"证书-{self.certificate_no or '预览-' + str(self.declaration_id)}.pdf"


def _char_width(ch):
    """A character's advance in em: full width for CJK and full-width forms, a conservative 0.6 otherwise."""
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.6


def fit_size(units, width_mm, height_mm, largest, smallest=SMALLEST_PT):
    """The largest size (pt, in half points) at which `units` (a text, broken anywhere, or a list of pieces
    that never break: 主要完成人's names) wrapped in a box of width × height fit.

    Lines are filled greedily with one em kept free per line, since line breaking may move a character (a
    closing bracket) to the next line; below `smallest` the smallest size is used (the box is then the limit).
    """
    widths = [sum(_char_width(ch) for ch in unit) for unit in units] or [1.0]
    size = largest
    while size > smallest:
        per_line = width_mm / (size * PT_MM) - 1
        lines, used = 1, 0.0
        for w in widths:
            if used + w > per_line and used:
                lines, used = lines + 1, 0.0
            used += w
        if lines * size * LINE_HEIGHT * PT_MM <= height_mm:
            return size
        size -= 0.5
    return smallest


def _with_fields(cert):
    """Fill cert.fields: (label, value, size in pt, box height in mm, names or None) in print order.

    主要完成人 is printed name by name, each unbroken, joined by 、 (the value holds the joined text)."""
    names = [name + (CONTRIBUTOR_SEPARATOR if i < len(cert.contributors) - 1 else "")
             for i, name in enumerate(cert.contributors)]
    values = ((cert.title, cert.title, None), (cert.group_name, cert.group_name, None),
              (cert.enterprise_name, cert.enterprise_name, None), ("".join(names), names, names))
    cert.fields = []
    for (label, height, largest), (value, units, pieces) in zip(BOXES, values):
        label = NAME_LABELS[cert.kind] if label == "name" else label
        cert.fields.append((label, value, fit_size(units, VALUE_WIDTH_MM, height, largest), height, pieces))
    return cert


def is_published(year, kind):
    """正式发布 of the year and kind has happened."""
    return db.session.scalar(db.select(AwardPlan.published_at).where(
        AwardPlan.year == year, AwardPlan.kind == kind)) is not None


def certificate_select(year=None, unit_id=None, declaration_id=None, kind=None, published=True):
    """The rows behind certificates: awarded results with a 证书编号 (and, with published, after 发布)."""
    select = (db.select(AwardResult.declaration_id, Declaration.unit_id, AwardResult.year, AwardResult.kind,
                        AwardResult.level, AwardResult.certificate_no, Declaration.title,
                        Declaration.group_name,
                        Declaration.enterprise_name, Declaration.main_contributors,
                        db.func.coalesce(AwardResult.published_at, AwardPlan.published_at), Unit.name)
              .join(Declaration, Declaration.id == AwardResult.declaration_id)
              .join(Unit, Unit.id == Declaration.unit_id)
              .outerjoin(AwardPlan, (AwardPlan.year == AwardResult.year)
                         & (AwardPlan.kind == AwardResult.kind))
              .where(AwardResult.level.in_(AWARDED)))
    if published:
        select = select.where(AwardPlan.published_at.is_not(None), AwardResult.certificate_no.is_not(None))
    if year is not None:
        select = select.where(AwardResult.year == year)
    if kind is not None:
        select = select.where(AwardResult.kind == kind)
    if unit_id is not None:
        select = select.where(Declaration.unit_id == unit_id)
    if declaration_id is not None:
        select = select.where(AwardResult.declaration_id == declaration_id)
    return select.order_by(AwardResult.kind, AwardResult.certificate_no, AwardResult.declaration_id)


def certificates(select):
    """The certificates of a certificate_select, each with its fitted fields."""
    return [_with_fields(Certificate(*row[:10], published_at=row[10], unit_name=row[11]))
            for row in db.session.execute(select)]


def certificate_or_none(declaration_id, unit_id=None, published=True):
    """One declaration's certificate (a unit's own when unit_id is given), or None."""
    found = certificates(certificate_select(unit_id=unit_id, declaration_id=declaration_id,
                                            published=published))
    return found[0] if found else None


# ---- the background image ----------------------------------------------------------------------------

@dataclass
class Background:
    """The year's background image in memory, handed to WeasyPrint by the fetcher."""

    url: str
    data: bytes
    mime: str


def background_of(year):
    """The background image of the year, or None when the secretariat has uploaded none."""
    stored = background_file(year)
    if stored is None:
        return None
    try:
        data = uploads.path_of(stored).read_bytes()
    except OSError:
        return None
    return Background(BACKGROUND_URL.format(sha=stored.sha256), data, stored.content_type)


def prepared_background(data):
    """An uploaded PNG or JPEG reduced to the page's 150 dpi, as JPEG (white behind transparency)."""
    with Image.open(io.BytesIO(data)) as img:
        img.draft("RGB", BACKGROUND_PIXELS)
        img = img.convert("RGBA") if img.mode in ("RGBA", "LA", "P") else img.convert("RGB")
        if img.mode == "RGBA":
            flat = Image.new("RGB", img.size, "white")
            flat.paste(img, mask=img.getchannel("A"))
            img = flat
        img.thumbnail(BACKGROUND_PIXELS)
        out = io.BytesIO()
        img.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def set_background(year, file_storage):
    """上传证书背景图 of the year (PNG or JPEG, checked by content); flushes, audited. Raises UploadError.

    The replaced image stays on disk: certificates already sent were printed on it.
    """
    data, kind = uploads.read_upload(file_storage)
    if kind not in ("png", "jpeg"):
        raise uploads.UploadError("证书背景图应为JPG或PNG图片。")
    stored = uploads.store(prepared_background(data), "jpeg", file_storage.filename, "certificate_background")
    setting = db.session.get(CertificateSetting, year)
    if setting is None:
        setting = CertificateSetting(year=year)
        db.session.add(setting)
    setting.background_file_id = stored.id
    audit.record("certificate.background", f"上传{year}年证书背景图", target=stored,
                 detail={"year": year, "file": stored.original_name, "sha256": stored.sha256})
    db.session.flush()
    return stored


def background_file(year):
    """The StoredFile of the year's background, or None."""
    return db.session.execute(db.select(StoredFile).join(
        CertificateSetting, CertificateSetting.background_file_id == StoredFile.id)
        .where(CertificateSetting.year == year)).scalar()


class _Fetcher(URLFetcher):
    """Hands over the background image from memory and refuses every other URL (a value cannot add one: the
    template escapes them, this is the second lock)."""

    def __init__(self, background):
        super().__init__(fail_on_errors=True)
        self._background = background

    def fetch(self, url, headers=None):
        if self._background is not None and url == self._background.url:
            return URLFetcherResponse(url, self._background.data, {"Content-Type": self._background.mime})
        raise FetchRefused(url)


# ---- rendering -------------------------------------------------------------------------------------

_local = threading.local()


def font_config():
    """This thread's WeasyPrint font configuration, made once: a new one per PDF loads the fonts again and
    leaves about 4 MB behind each time (RSS grew by 250 MB over 20 certificates); reused, a batch stays flat
    and each PDF is ~10 % faster. Pango's font map is not shared between threads."""
    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
    return config


def certificate_html(cert, background=None, template=None):
    """The HTML page WeasyPrint renders (the bench renders the same template with plain Jinja); `template` (the
    compiled one) lets a zip render without a request context."""
    url = background.url if background else None
    if template is not None:
        return template.render(c=cert, background_url=url)
    return render_template(TEMPLATE, c=cert, background_url=url)


def html_to_pdf(html, background=None, cache=None):
    """PDF bytes of a certificate page; `cache` (a dict) keeps the decoded background across a batch."""
    page = HTML(string=html, url_fetcher=_Fetcher(background))
    return page.write_pdf(cache=cache, font_config=font_config())


def certificate_pdf(cert, background=None, cache=None, template=None):
    """The certificate's PDF bytes."""
    return html_to_pdf(certificate_html(cert, background, template), background, cache)


class _Sink:
    """A write-only buffer zipfile writes to (no tell/seek, so zipfile writes data descriptors)."""

    def __init__(self):
        self.parts = []

    def write(self, data):
        self.parts.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data, self.parts = b"".join(self.parts), []
        return data


def zip_stream(certs, background=None, template=None):
    """Yield a zip of one PDF per certificate, rendering each when the archive reaches it (stored: PDFs are
    compressed already); names are 证书-<证书编号>.pdf.

    It needs no request, application context or database: the certificates are plain values read before, the
    template is the compiled one (so a client that stops reading leaves no context pushed)."""
    sink = _Sink()
    cache = {}
    moment = to_china(utcnow()).timetuple()[:6]
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for cert in certs:
            info = zipfile.ZipInfo(cert.filename, date_time=moment)
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, certificate_pdf(cert, background, cache, template))
            yield sink.take()
    yield sink.take()


def zip_name(year, label):
    """证书-2027年-测试化工有限公司.zip."""
    return f"证书-{year}年-{label}.zip"



def _attachment_headers(response, ascii_name, name, inline=False):
    kind = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = (f"{kind}; filename=\"{ascii_name}\"; "
                                               f"filename*=UTF-8''{quote(name)}")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def pdf_response(cert, background=None, inline=False):
    """One certificate as a PDF response (预览 inline, 下载 as an attachment); nothing in it may load or run."""
    response = Response(certificate_pdf(cert, background), mimetype=PDF_MIME)
    if inline:
        response.headers["Content-Security-Policy"] = ("default-src 'none'; img-src 'self' data:; "
                                                       "style-src 'unsafe-inline'; frame-ancestors 'none'")
    return _attachment_headers(response, "certificate.pdf", cert.filename, inline)


def zip_response(certs, background, name):
    """The certificates as one streamed zip (rendered one by one while the client receives it)."""
    template = current_app.jinja_env.get_template(TEMPLATE)
    response = Response(zip_stream(certs, background, template), mimetype=ZIP_MIME, direct_passthrough=True)
    return _attachment_headers(response, "certificates.zip", name)

"""统计汇总 (spec A8 industry rollup, B13): the 活动统计表 of every unit summed, by province and for the industry.

Counts and amounts are summed exactly (amounts are integers of hundredths); the two rates are recomputed from the
summed numerators and denominators, never averaged over units, with exact decimals rounded half up to 2 places;
the 评审及交流形式 options are tallied (how many units chose each); the number of units is given.
"""
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from openpyxl import Workbook

from app.accounts.models import Unit
from app.core.extensions import db
from app.core.models import Province
from app.declarations.models import UnitYearReport
from app.filings.xlsx.export import SafeRowWriter

SUBMITTED = "submitted"
REVIEW_FORMS = ("发表评审", "现场评审", "与QC小组合并开", "单独举办")
COUNTS = ("qc_registered_total", "qc_registered_year", "qc_participants", "staff_total", "qc_active",
          "qc_with_results", "team_active", "team_total_hist", "team_participants")
AMOUNTS = ("qc_benefit_c", "qc_funding_c", "qc_rewards_c", "team_funding_c", "team_rewards_c")
RATES = {"qc_popularity": ("qc_participants", "staff_total"),
         "qc_result_rate": ("qc_with_results", "qc_registered_year")}
# The rows of 附件6 as printed (统计项目 · 单位), with what each shows: a sum, a rate or the tallies.
ROWS = (
    ("1", "历年来已登记注册QC小组累计数", "个", "qc_registered_total"),
    ("2", "本年度已登记注册QC小组数", "个", "qc_registered_year"),
    ("3", "本年度QC小组普及率=参加QC小组人数/职工总数×100%", "百分数", "qc_popularity"),
    ("", "其中：参加QC小组人数", "人", "qc_participants"),
    ("", "其中：职工总数", "人", "staff_total"),
    ("4", "本年度坚持活动的QC小组数", "个", "qc_active"),
    ("5", "本年度QC小组创可计算的经济效益", "万元", "qc_benefit_c"),
    ("6", "本年度QC小组成果率=取得成果小组数/QC小组注册数×100%", "百分数", "qc_result_rate"),
    ("", "其中：取得成果小组数", "个", "qc_with_results"),
    ("7", "本年度企业对QC小组活动经费投入（培训、交流、书籍等费用）", "万元", "qc_funding_c"),
    ("8", "本年度企业对QC小组活动奖励费用", "万元", "qc_rewards_c"),
    ("9", "本年度开展质量信得过班组建设活动班组数", "个", "team_active"),
    ("10", "历年开展质量信得过班组建设活动班组累计数", "个", "team_total_hist"),
    ("11", "本年度参与质量信得过班组建设活动员工数", "人次", "team_participants"),
    ("12", "本年度对质量信得过班组建设活动投入费用（培训、交流、规范化等）", "万元", "team_funding_c"),
    ("13", "本年度对质量信得过班组建设活动奖励费用", "万元", "team_rewards_c"),
    ("14", "质量信得过班组评审及交流形式", "家", "review_forms"),
)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def rate(numerator, denominator):
    """numerator / denominator × 100, exact, half up to 2 places; None when the denominator is 0."""
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Totals:
    """Sums of one set of 统计表: counts, amounts (hundredths), recomputed rates, tallies, number of units."""

    name: str = "合计"
    units: int = 0
    sums: dict = field(default_factory=lambda: dict.fromkeys(COUNTS + AMOUNTS, 0))
    tallies: dict = field(default_factory=lambda: dict.fromkeys(REVIEW_FORMS, 0))

    def add(self, report):
        """Add one unit's 统计表 (empty values count as 0)."""
        self.units += 1
        for name in COUNTS + AMOUNTS:
            self.sums[name] += getattr(report, name) or 0
        for option in set(report.team_review_forms or ()):
            if option in self.tallies:
                self.tallies[option] += 1

    @property
    def rates(self):
        """{rate name: Decimal or None}, from the summed numerator and denominator."""
        return {name: rate(self.sums[num], self.sums[den]) for name, (num, den) in RATES.items()}

    def value(self, key):
        """What a row of ROWS shows: an int, a Decimal (万元 or %), or the tallies as text."""
        if key in RATES:
            return self.rates[key]
        if key in AMOUNTS:
            return Decimal(self.sums[key]) / HUNDRED
        if key == "review_forms":
            return "；".join(f"{option} {count}" for option, count in self.tallies.items())
        return self.sums[key]


def rollup(reports, name="合计"):
    """Totals of an iterable of 统计表 (UnitYearReport or anything with the same attributes)."""
    totals = Totals(name=name)
    for report in reports:
        totals.add(report)
    return totals


@dataclass
class Rollup:
    """The industry total, one Totals per province (by code), and every unit's own row."""

    year: int
    total: Totals
    provinces: list
    units: list  # (unit name, province name, UnitYearReport)


def industry_rollup(year):
    """Every submitted 统计表 of the year, rolled up by province and in total (one query)."""
    rows = db.session.execute(
        db.select(UnitYearReport, Unit.name, Province.code, Province.name)
        .join(Unit, Unit.id == UnitYearReport.unit_id)
        .join(Province, Province.code == Unit.province_code)
        .where(UnitYearReport.year == year, UnitYearReport.status == SUBMITTED)
        .order_by(Province.code, Unit.name)).all()
    total, by_province = Totals(), {}
    for report, _unit_name, code, province in rows:
        total.add(report)
        by_province.setdefault(code, Totals(name=province)).add(report)
    return Rollup(year=year, total=total, provinces=[by_province[c] for c in sorted(by_province)],
                  units=[(unit_name, province, report) for report, unit_name, _c, province in rows])


def _cell(value):
    if isinstance(value, Decimal):
        return float(value)
    return "—" if value is None else value


def export(result):
    """统计汇总 as xlsx bytes: 行业合计 in the layout of 附件6, then 按省份 and 按单位 with one column per row."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("行业合计")
    writer = SafeRowWriter(sheet)
    writer.row((f"{result.year}年质量管理小组/质量信得过班组建设活动统计汇总（{result.total.units}家单位）",))
    writer.row(("序号", "统计项目", "单位", "数量"))
    for number, label, unit, key in ROWS:
        writer.row((number, label, unit, _cell(result.total.value(key))))
    items = [f"{number} {label}（{unit}）".strip() for number, label, unit, key in ROWS if key != "review_forms"]
    header = ["省份", "单位数"] + items + list(REVIEW_FORMS)
    sheet = book.create_sheet("按省份")
    writer = SafeRowWriter(sheet)
    writer.row(header)
    for totals in result.provinces + [result.total]:
        writer.row([totals.name, totals.units] + [_cell(totals.value(key)) for *_, key in ROWS
                                                  if key != "review_forms"] + list(totals.tallies.values()))
    sheet = book.create_sheet("按单位")
    writer = SafeRowWriter(sheet)
    writer.row(["申报单位", "省份"] + header[2:])
    for unit_name, province, report in result.units:
        single = rollup([report])
        writer.row([unit_name, province] + [_cell(single.value(key)) for *_, key in ROWS if key != "review_forms"]
                   + list(single.tallies.values()))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

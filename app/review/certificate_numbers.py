"""证书编号 (spec B12): `CPCIF-QC-2027-0001` / `CPCIF-BZ-2027-0001`, allocated at 发布 in order of level then score,
continuing after the last number ever given for the year and kind (kept in site_setting, locked while allocating),
so a number taken back from a result is never given again."""
from app.core.extensions import db
from app.core.models import SiteSetting
from app.review.models import AWARD_LEVELS, AwardResult

PREFIXES = {"group": "QC", "team": "BZ"}
AWARDED = AWARD_LEVELS[:-1]  # 未获奖 gets no certificate


def prefix(year, kind):
    """CPCIF-QC-2027- …"""
    return f"CPCIF-{PREFIXES[kind]}-{year}-"


def allocate_numbers(year, kind):
    """Give every awarded result of the year and kind without a number the next ones (flushes); returns how many."""
    start = prefix(year, kind)
    key = f"certificate_no:{start}"
    counter = db.session.execute(db.select(SiteSetting).where(SiteSetting.key == key).with_for_update()).scalar()
    if counter is None:
        counter = SiteSetting(key=key, value="0")
        db.session.add(counter)
    last = int(counter.value)
    rows = db.session.execute(db.select(AwardResult).where(
        AwardResult.year == year, AwardResult.kind == kind, AwardResult.level.in_(AWARDED),
        AwardResult.certificate_no.is_(None))).scalars().all()
    rows.sort(key=lambda r: (AWARD_LEVELS.index(r.level), -(r.level_score_c or 0), r.declaration_id))
    for offset, row in enumerate(rows, start=1):
        row.certificate_no = f"{start}{last + offset:04d}"
    counter.value = str(last + len(rows))
    db.session.flush()
    return len(rows)

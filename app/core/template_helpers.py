"""Template filters and globals: China time, labels, the secretariat's contact."""
from datetime import datetime

from app.core import settings as settings_service
from app.core.clock import to_china


def china_time(value, fmt="%Y/%m/%d %H:%M:%S"):
    """Format a stored UTC datetime in China time, like 2026/11/23 15:28:21."""
    local = to_china(value)
    if local is None:
        return ""
    if fmt == "%Y/%m/%d %H:%M:%S":  # the manual's style has no leading zeros in month/day
        return f"{local.year}/{local.month}/{local.day} {local:%H:%M:%S}"
    return local.strftime(fmt)


def china_date(value):
    """Format a date as 2024年12月31日."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_china(value)
    return f"{value.year}年{value.month}月{value.day}日"


def register(app):
    """Install filters and context globals."""
    app.jinja_env.filters["china_time"] = china_time
    app.jinja_env.filters["china_date"] = china_date
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def inject_globals():
        return {
            "contact": app.config["SECRETARIAT_CONTACT"],
            "system_name": "石油和化工行业质量管理小组活动成果和质量信得过班组建设活动成果网上申报与评审系统",
            "filing_period": settings_service.current_filing_period,
            "declaration_period": settings_service.current_declaration_period,
        }

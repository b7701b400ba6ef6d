"""工作台: the secretariat's first page — counts at a glance and charts."""
from app.core.htmx import render
from app.core.permissions import secretariat_required
from app.secretariat import charts
from app.secretariat import dashboard as dashboard_service
from app.secretariat.views import bp


@bp.get("/", endpoint="dashboard")
@secretariat_required
def dashboard():
    """Counts and charts for the open filing year."""
    data = dashboard_service.figures()
    year = data["year"]
    return render("admin/dashboard.html", "admin/dashboard.html", **data,
                  province_chart=charts.stacked_bars(data["by_province"], f"{year}年各省份备案数", "chart-province"),
                  industry_chart=charts.stacked_bars(data["by_industry"], f"{year}年各行业备案数", "chart-industry"),
                  daily_chart=charts.daily_columns(data["per_day"], f"{year}年每日备案数", "chart-daily"))

"""Units and experts never reach the secretariat's 申报 pages or files, not even of their own declarations
(every admin.* route is also covered by test_permissions.py with dummy ids; here with real ones)."""
import pytest

from tests.secretariat.declaration_factory import PDF


@pytest.fixture
def owned(make, decl):
    unit = make.unit()
    declaration_id = decl.declaration(unit)
    decl.documents(unit, docs=("statistics",))
    rec = decl.recommendation(unit)
    return unit, declaration_id, rec


def _urls(app, unit, declaration_id, rec):
    from app.core.extensions import db
    from app.declarations.models import DeclarationFile, ExpertRecommendationFile

    with app.app_context():
        file_id = db.session.scalar(
            db.select(DeclarationFile.id).where(DeclarationFile.declaration_id == declaration_id))
        proof = db.session.scalar(db.select(ExpertRecommendationFile.id))
    return [f"/admin/declarations/{declaration_id}", f"/admin/declarations/{declaration_id}/files/{file_id}",
            f"/admin/declarations/{declaration_id}/download.zip", "/admin/declarations/download.zip",
            f"/admin/declarations/units/{unit.id}/download.zip",
            f"/admin/declarations/units/{unit.id}/documents/statistics", "/admin/declarations/export",
            "/admin/declarations/statistics/export", f"/admin/formal-checks/{declaration_id}",
            f"/admin/experts/recommendations/files/{proof}", "/admin/experts"]


@pytest.mark.parametrize("role", ["owner", "expert"])
def test_units_and_experts_are_refused(app, client, auth, make, owned, role):
    unit, declaration_id, rec = owned
    auth.login(client, unit.user if role == "owner" else make.expert())
    for url in _urls(app, unit, declaration_id, rec):
        response = client.get(url)
        assert response.status_code == 403, url
        assert PDF not in response.data and "没有权限" in response.text
    for url in (f"/admin/formal-checks/{declaration_id}", "/admin/formal-checks/bulk",
                f"/admin/experts/recommendations/{rec}/select"):
        assert client.post(url, data={"conclusion": "accepted", "version": "1", "selected": f"{declaration_id}:1"}
                           ).status_code == 403


def test_anonymous_is_sent_to_login(app, client, owned):
    unit, declaration_id, rec = owned
    for url in _urls(app, unit, declaration_id, rec):
        response = client.get(url)
        assert response.status_code in (302, 303) and "next=" in response.headers["Location"], url

"""Who may see what (STYLE habit 6, spec B15 for later): another unit's declarations and files are 404; experts,
the secretariat (on the unit pages) and visitors get nothing."""
import pytest

from app.core.extensions import db
from app.models import Declaration, DeclarationFile
from tests.declarations.conftest import HX, complete, create


@pytest.fixture
def owned(unit_client, group_filing, app):
    """The unit's submitted-ready draft with its three files: (declaration id, file id)."""
    declaration_id = create(unit_client, group_filing)
    complete(unit_client, declaration_id)
    with app.app_context():
        return declaration_id, db.session.scalar(db.select(DeclarationFile.id))


def _urls(declaration_id, file_id, filing_id):
    return [("GET", f"/declarations/{declaration_id}"), ("GET", f"/declarations/{declaration_id}/edit"),
            ("POST", f"/declarations/{declaration_id}/edit"), ("POST", f"/declarations/{declaration_id}/submit"),
            ("POST", f"/declarations/{declaration_id}/withdraw"), ("POST", f"/declarations/{declaration_id}/delete"),
            ("POST", f"/declarations/{declaration_id}/files/report"),
            ("GET", f"/declarations/{declaration_id}/files/{file_id}"),
            ("POST", f"/declarations/{declaration_id}/files/{file_id}/delete"),
            ("GET", f"/declarations/{declaration_id}/print"),
            ("GET", f"/declarations/{declaration_id}/report-template.docx"),
            ("GET", f"/declarations/group/new/{filing_id}"), ("POST", f"/declarations/group/new/{filing_id}")]


def _state(app):
    with app.app_context():
        return [(d.status, d.title, d.version, len(d.files)) for d in db.session.scalars(db.select(Declaration))]


def test_another_unit_gets_404_and_changes_nothing(app, make, auth, owned, group_filing):
    declaration_id, file_id = owned
    intruder = app.test_client()
    auth.login(intruder, make.unit().user)
    before = _state(app)
    for method, url in _urls(declaration_id, file_id, group_filing.id):
        for headers in ({}, HX):
            response = intruder.open(url, method=method, headers=headers, data={"title": "改了"})
            assert response.status_code == 404, (method, url, response.status_code)
    assert _state(app) == before
    assert "QCSB-2024-0001" not in intruder.get("/declarations/group/").text


@pytest.mark.parametrize("who", ["expert", "secretariat", "pending"])
def test_other_roles_are_refused(app, make, auth, owned, group_filing, who):
    declaration_id, file_id = owned
    user = {"expert": lambda: make.expert(), "secretariat": lambda: make.secretariat(),
            "pending": lambda: make.unit(status="pending").user}[who]()
    client = app.test_client()
    auth.login(client, user)
    before = _state(app)
    urls = _urls(declaration_id, file_id, group_filing.id) + [
        ("GET", "/declarations/"), ("GET", "/declarations/group/"), ("GET", "/declarations/team/new")]
    for method, url in urls:
        response = client.open(url, method=method, data={"title": "改了"})
        assert response.status_code == 403, (method, url, response.status_code)
    assert _state(app) == before


def test_visitors_are_sent_to_the_login(app, owned, group_filing):
    declaration_id, file_id = owned
    visitor = app.test_client()
    for method, url in _urls(declaration_id, file_id, group_filing.id) + [("GET", "/declarations/")]:
        plain = visitor.open(url, method=method)
        if method == "GET":
            assert plain.status_code in (302, 303) and "next=" in plain.headers["Location"], url
        else:  # a plain POST without a session is refused outright (sessions.unauthorized)
            assert plain.status_code == 403, url
        htmx = visitor.open(url, method=method, headers=HX)
        assert htmx.status_code == 204 and "next=" in htmx.headers["HX-Redirect"], url


def test_csrf_is_required_for_every_change(unit_client, app, owned):
    declaration_id, file_id = owned
    before = _state(app)
    for url in (f"/declarations/{declaration_id}/submit", f"/declarations/{declaration_id}/delete",
                f"/declarations/{declaration_id}/files/{file_id}/delete", f"/declarations/{declaration_id}/edit"):
        response = unit_client.post(url, data={"title": "改了"}, csrf=False)
        assert response.status_code == 400 and "安全令牌" in response.text
    assert _state(app) == before

"""申报编号 under concurrent first saves: each client its own session and connection (threads on the live app),
numbers never repeat; racing saves of one filing make one declaration."""
import threading

from app.core.extensions import db
from app.models import Declaration
from tests.declarations.conftest import GROUP_FORM, HX


def _race(app, auth, unit, posts):
    """Send (url, data) posts at once from separate logged-in clients; returns their status codes."""
    clients = []
    for _ in posts:
        client = app.test_client()
        auth.login(client, unit.user)
        clients.append(client)
    barrier = threading.Barrier(len(posts))
    codes, errors = [], []

    def send(client, url, data):
        try:
            barrier.wait()
            codes.append(client.post(url, data=data, headers=HX).status_code)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(client, *post)) for client, post in zip(clients, posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return codes


def test_concurrent_first_saves_get_distinct_numbers(app, auth, unit, make, declaring):
    filings = [make.group(unit, year=2024, group_name=f"并发QC小组{i}") for i in range(6)]
    codes = _race(app, auth, unit, [(f"/declarations/group/new/{f.id}", dict(GROUP_FORM, submission_key=f"key{i}"))
                                    for i, f in enumerate(filings)])
    assert codes == [204] * 6
    with app.app_context():
        numbers = sorted(db.session.scalars(db.select(Declaration.decl_no)))
    assert numbers == [f"QCSB-2024-{i:04d}" for i in range(1, 7)]


def test_racing_saves_of_one_filing_make_one_declaration(app, auth, unit, group_filing, declaring):
    url = f"/declarations/group/new/{group_filing.id}"
    codes = _race(app, auth, unit, [(url, dict(GROUP_FORM, submission_key=f"tab{i}")) for i in range(4)])
    assert sorted(codes) == [204, 422, 422, 422]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Declaration)) == 1


def test_racing_submits_send_one_receipt(app, auth, unit, unit_client, group_filing, declaring):
    from app.models import OutboxMail
    from tests.declarations.conftest import complete, create

    declaration_id = create(unit_client, group_filing)
    complete(unit_client, declaration_id)
    codes = _race(app, auth, unit, [(f"/declarations/{declaration_id}/submit", {}) for _ in range(3)])
    assert codes == [204] * 3  # htmx: every click lands on the list
    with app.app_context():
        assert db.session.get(Declaration, declaration_id).status == "submitted"
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMail)) == 1


def test_racing_saves_of_one_form_all_land_on_its_draft(app, auth, unit, group_filing, declaring):
    """Issue 11 item 5: the same form sent twice at once (one submission key) makes one draft, both told 已保存
    and sent to it, and the 申报编号 the second took goes back."""
    from app.filings.models import RegNoCounter

    url = f"/declarations/group/new/{group_filing.id}"
    clients = []
    for _ in range(4):
        client = app.test_client()
        auth.login(client, unit.user)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    responses = []

    def send(client):
        barrier.wait()
        responses.append(client.post(url, data=dict(GROUP_FORM, submission_key="one-form-key"), headers=HX))

    threads = [threading.Thread(target=send, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        declaration = db.session.scalars(db.select(Declaration)).one()
        assert declaration.decl_no == "QCSB-2024-0001"
        assert db.session.scalar(db.select(RegNoCounter.last_value).where(RegNoCounter.kind == "QCSB")) == 1
    assert [r.status_code for r in responses] == [204] * 4, [r.get_data(as_text=True)[:200]
                                                             for r in responses]
    assert {r.headers["HX-Redirect"] for r in responses} == {f"/declarations/{declaration.id}/edit"}

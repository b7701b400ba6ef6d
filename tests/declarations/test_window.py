"""The 2024 window (spec 1, A12 #1, Part F 1): 00:00 of 25 March and 23:59 of 30 April China time are inside;
outside, the pages say when it opens or that it closed, and stay readable; only the unit's 2024 filings count."""
from datetime import date

from app.core.extensions import db
from app.models import Declaration, DeclarationExtension
from tests.declarations.conftest import GROUP_FORM, HX, YEAR, complete, create


def _new(client, filing):
    return client.post(f"/declarations/group/new/{filing.id}", headers=HX,
                       data=dict(GROUP_FORM, submission_key=f"k{filing.id}"))


def test_first_minute_of_the_window_is_inside_and_the_minute_before_is_not(unit_client, group_filing, clock, app):
    clock(2024, 3, 24, 23, 59)
    early = _new(unit_client, group_filing)
    assert early.status_code == 422
    assert "2024年度成果申报时间为2024年3月25日至2024年4月30日，当前不在申报期内。" in early.text
    page = unit_client.get("/declarations/group/")
    assert page.status_code == 200 and "将于2024年3月25日开始" in page.text and "申报未开始" in page.text
    assert unit_client.get("/declarations/group/new").status_code == 200  # readable, 选择 not offered
    assert "不在申报期" in unit_client.get("/declarations/group/new").text
    clock(2024, 3, 25, 0, 0)
    assert _new(unit_client, group_filing).status_code == 204
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Declaration)) == 1


def test_last_minute_of_the_window_is_inside_and_the_next_day_is_not(unit_client, group_filing, clock, app):
    declaration_id = create(unit_client, group_filing)
    complete(unit_client, declaration_id)
    clock(2024, 5, 1, 0, 0)
    late = unit_client.post(f"/declarations/{declaration_id}/submit")
    assert late.status_code == 303
    with app.app_context():
        assert db.session.get(Declaration, declaration_id).status == "draft"
    edit = unit_client.get(f"/declarations/{declaration_id}/edit")
    assert edit.status_code == 303 and edit.headers["Location"].endswith(f"/declarations/{declaration_id}")
    shown = unit_client.get(f"/declarations/{declaration_id}")
    assert shown.status_code == 200 and "已于2024年4月30日截止" in shown.text and "申报已截止" in shown.text
    assert "编辑" not in shown.text.split('<div class="toolbar">', 1)[1].split("</div>", 1)[0]
    clock(2024, 4, 30, 23, 59)
    assert unit_client.post(f"/declarations/{declaration_id}/submit").status_code == 303
    with app.app_context():
        assert db.session.get(Declaration, declaration_id).status == "submitted"


def test_outside_the_window_nothing_changes(unit_client, group_filing, clock, app):
    declaration_id = create(unit_client, group_filing)
    clock(2024, 5, 1, 8, 0)
    for response in (unit_client.post(f"/declarations/{declaration_id}/edit", data=dict(GROUP_FORM, title="改了"),
                                      headers=HX),
                     unit_client.post(f"/declarations/{declaration_id}/delete")):
        assert response.status_code in (204, 303)
    upload = unit_client.post(f"/declarations/{declaration_id}/files/report", headers=HX,
                              data={"file": (__import__("io").BytesIO(b"x"), "a.docx")},
                              content_type="multipart/form-data")
    assert upload.status_code == 422 and "已于2024年4月30日截止" in upload.text
    with app.app_context():
        declaration = db.session.get(Declaration, declaration_id)
        assert declaration.title == GROUP_FORM["title"] and not declaration.files


def test_an_extension_keeps_the_window_open_for_that_unit_and_kind(unit_client, unit, group_filing, clock, app):
    with app.app_context():
        db.session.add(DeclarationExtension(unit_id=unit.id, year=YEAR, kind="group", until=date(2024, 5, 6),
                                            reason="补报"))
        db.session.commit()
    clock(2024, 5, 6, 23, 59)
    assert _new(unit_client, group_filing).status_code == 204
    clock(2024, 5, 7, 0, 0)
    assert "已于2024年5月6日截止" in unit_client.get("/declarations/group/").text


def test_only_the_units_own_filings_of_the_declaration_year(unit_client, unit, make, group_filing):
    last_year = make.group(unit, year=YEAR - 1, group_name="去年的小组")
    other = make.group(make.unit(), year=YEAR, group_name="别人的小组")
    team = make.team(unit, year=YEAR)
    picker = unit_client.get("/declarations/group/new").text
    assert group_filing.group_name in picker and "去年的小组" not in picker and "别人的小组" not in picker
    for filing in (last_year, other):
        assert unit_client.get(f"/declarations/group/new/{filing.id}").status_code == 404
        assert _new(unit_client, filing).status_code == 404
    assert unit_client.get(f"/declarations/team/new/{team.id}").status_code == 200

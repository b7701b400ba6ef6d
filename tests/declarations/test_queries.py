"""The list and the picker run a fixed number of SQL statements with 3 and with 300 rows (STYLE habit 9)."""
from datetime import date

import pytest
from sqlalchemy import insert

from app.core.extensions import db
from app.models import Declaration, DeclarationFile, QcGroupFiling, StoredFile
from tests.declarations.conftest import YEAR


def populate(app, unit, filings, declarations, start=0):
    """`filings` group filings of 2024, the first `declarations` of them declared with a stamped scan."""
    with app.app_context():
        db.session.execute(insert(QcGroupFiling), [dict(
            unit_id=unit.id, year=YEAR, reg_no=f"QC-{YEAR}-{start + i:06d}", enterprise_name=unit.name,
            group_name=f"小组{start + i}", topic="课题", topic_type="创新型", founded_on=date(2023, 1, 1),
            leader="王五", member_count=5, contact="王五", mobile="13912345678") for i in range(filings)])
        declared = db.select(Declaration.group_filing_id).where(Declaration.group_filing_id.is_not(None))
        ids = db.session.scalars(db.select(QcGroupFiling.id).where(
            QcGroupFiling.unit_id == unit.id, QcGroupFiling.id.not_in(declared))
            .order_by(QcGroupFiling.id).limit(declarations)).all()
        db.session.execute(insert(Declaration), [dict(
            year=YEAR, kind="group", unit_id=unit.id, group_filing_id=filing_id, decl_no=f"QCSB-{YEAR}-{start + i:04d}",
            status="draft" if i % 2 else "submitted", title=f"成果{i}", group_name=f"小组{i}", main_contributors=["王五"],
            version=1) for i, filing_id in enumerate(ids)])
        declaration_ids = db.session.scalars(db.select(Declaration.id).where(
            Declaration.group_filing_id.in_(ids))).all()
        for declaration_id in declaration_ids:
            stored = StoredFile(stored_name=f"scan{start}-{declaration_id}.png", original_name="盖章.png",
                                content_type="image/png", size=10, sha256="0" * 64, purpose="declaration_stamped_form",
                                unit_id=unit.id)
            db.session.add(DeclarationFile(declaration_id=declaration_id, purpose="stamped_form", stored_file=stored,
                                           data_hash="ABCDEF01"))
        db.session.commit()


@pytest.mark.parametrize("path", ["/declarations/group/", "/declarations/group/?q=成果", "/declarations/group/new",
                                  "/declarations/group/new?state=todo&q=小组", "/declarations/"])
def test_statement_count_does_not_grow_with_rows(unit_client, unit, app, count_queries, make, path):
    populate(app, unit, filings=3, declarations=3)
    unit_client.get(path)  # warm: the session's unit and settings
    with count_queries() as few:
        assert unit_client.get(path).status_code == 200
    populate(app, unit, filings=300, declarations=300, start=1000)
    with count_queries() as many:
        response = unit_client.get(path)
    assert response.status_code == 200
    assert len(many) == len(few), (len(few), len(many), many[len(few):])
    if path.startswith("/declarations/group/?"):
        assert "共 303 条" in response.text and "第 1/16 页" in response.text

"""Small factories of the secretariat's 申报 tests: declarations with files, unit documents, 统计表, 评委推荐.

They write rows directly (the unit side's pages are built elsewhere) and return plain ids or detached rows.
"""
import hashlib
import itertools
import os
import secrets
from datetime import date
from pathlib import Path

from flask import current_app

from app.core.extensions import db
from app.core.models import StoredFile
from app.core.settings import open_declaration_year
from app.declarations import statistics, unit_documents
from app.declarations.checksum import declaration_hash
from app.declarations.models import (
    Declaration,
    DeclarationFile,
    ExpertRecommendation,
    ExpertRecommendationFile,
    UnitYearDocument,
    UnitYearReport,
)
from app.filings.models import QcGroupFiling, TeamFiling

_seq = itertools.count(1)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
      b"trailer<</Root 1 0 R>>\n%%EOF\n"
DOCX = b"PK\x03\x04" + b"word/document.xml" + b"\x00" * 64
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def stored_file(data, name, content_type, purpose="declaration", unit_id=None):
    """Write bytes to UPLOAD_DIR and describe them (inside an app context; flushes)."""
    stored_name = secrets.token_hex(16) + os.path.splitext(name)[1]
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored_name).write_bytes(data)
    row = StoredFile(stored_name=stored_name, original_name=name, content_type=content_type, size=len(data),
                     sha256=hashlib.sha256(data).hexdigest(), purpose=purpose, unit_id=unit_id)
    db.session.add(row)
    db.session.flush()
    return row


class DeclarationFactory:
    """Declarations and unit documents of the 当前申报年度 (or a given year)."""

    def __init__(self, app):
        self.app = app

    def year(self):
        with self.app.app_context():
            return open_declaration_year()

    def declaration(self, unit, kind="group", status="submitted", year=None, complete=True, **fields):
        """A declaration with a filing of the same year; `complete` adds report, records and a fresh scan."""
        with self.app.app_context():
            year = year or open_declaration_year()
            n = next(_seq)
            if kind == "group":
                filing = QcGroupFiling(unit_id=unit.id, year=year, reg_no=f"QC-{year}-{900000 + n:06d}",
                                       enterprise_name=fields.get("enterprise_name", unit.name),
                                       group_name=fields.get("group_name", f"攻关QC小组{n}"),
                                       topic=fields.get("title", f"降低装置能耗{n}"), topic_type="创新型",
                                       founded_on=date(year - 3, 3, 1), leader="王五", member_count=7,
                                       contact="王五", mobile="13912345678")
            else:
                filing = TeamFiling(unit_id=unit.id, year=year, reg_no=f"BZ-{year}-{900000 + n:06d}",
                                    enterprise_name=fields.get("enterprise_name", unit.name),
                                    team_name=fields.get("group_name", f"常减压{n}班"), department="炼油一部",
                                    leader="赵六", member_count=12, contact="赵六", mobile="13912345678")
            db.session.add(filing)
            db.session.flush()
            values = dict(year=year, kind=kind, unit_id=unit.id, status=status,
                          decl_no=f"{'QCSB' if kind == 'group' else 'BZSB'}-{year}-{n:04d}",
                          title=f"降低装置能耗{n}", group_name=filing.group_name if kind == "group"
                          else filing.team_name, enterprise_name=filing.enterprise_name,
                          address="北京市朝阳区安慧里四区16号楼", postcode="100723", contact="王五",
                          mobile="13912345678", leader=filing.leader, member_count=filing.member_count,
                          main_contributors=["王五", "李四", "张三"], summary="简介" * 30,
                          completed_on=date(year - 1, 9, 1))
            if kind == "group":
                values.update(group_filing_id=filing.id, topic_type="创新型", economic_benefit_c=123456,
                              contact_department="生产技术部")
            else:
                values.update(team_filing_id=filing.id, department="炼油一部", accidents=0, no_accident_pledge=True,
                              rate_work_completion_c=9850, rate_satisfaction_c=9900, rate_pass_c=10000,
                              rate_quality_assessment_c=9600, rate_improvement_participation_c=10000,
                              quality_cost_c=1250, training_attendance=48, complaints=0)
            if status != "draft":
                from app.core.clock import utcnow

                values["submitted_at"] = utcnow()
            values.update(fields)
            declaration = Declaration(**values)
            db.session.add(declaration)
            db.session.flush()
            if complete:
                self._files(declaration)
            db.session.commit()
            return declaration.id

    def _files(self, declaration):
        report = stored_file(DOCX, "成果报告书.docx", DOCX_TYPE, unit_id=declaration.unit_id)
        records = stored_file(PDF, "活动记录.pdf", "application/pdf", unit_id=declaration.unit_id)
        scan = stored_file(PDF, "申报表盖章件.pdf", "application/pdf", unit_id=declaration.unit_id)
        db.session.add_all([
            DeclarationFile(declaration_id=declaration.id, purpose="report", stored_file_id=report.id),
            DeclarationFile(declaration_id=declaration.id, purpose="records", stored_file_id=records.id),
            DeclarationFile(declaration_id=declaration.id, purpose="stamped_form", stored_file_id=scan.id,
                            data_hash=declaration_hash(declaration))])
        db.session.flush()

    def add_file(self, declaration_id, purpose, data, name, content_type):
        """One more file of a declaration; returns the DeclarationFile id."""
        with self.app.app_context():
            declaration = db.session.get(Declaration, declaration_id)
            stored = stored_file(data, name, content_type, unit_id=declaration.unit_id)
            row = DeclarationFile(declaration_id=declaration_id, purpose=purpose, stored_file_id=stored.id)
            db.session.add(row)
            db.session.commit()
            return row.id

    def update(self, declaration_id, **values):
        """Change columns of a declaration (as the unit side would)."""
        with self.app.app_context():
            declaration = db.session.get(Declaration, declaration_id)
            for name, value in values.items():
                setattr(declaration, name, value)
            db.session.commit()

    def get(self, declaration_id):
        """The declaration's row (detached, columns loaded)."""
        with self.app.app_context():
            row = db.session.get(Declaration, declaration_id)
            for column in row.__table__.columns:
                getattr(row, column.key)
            db.session.expunge(row)
            return row

    def report(self, unit, year=None, status="submitted", **values):
        """A 活动统计表 of the unit."""
        with self.app.app_context():
            row = UnitYearReport(unit_id=unit.id, year=year or open_declaration_year(), status=status,
                                 responsible_dept="质量管理部", contact="张三", phone="010-84885418",
                                 address="北京", postcode="100723", email="a@example.com", remarks="特点",
                                 **values)
            db.session.add(row)
            db.session.commit()

    def documents(self, unit, year=None, fresh=True, docs=("summary_group", "summary_team", "statistics")):
        """Stamped scans of the unit's documents, fresh (matching today's data) or stale."""
        with self.app.app_context():
            year = year or open_declaration_year()
            if "statistics" in docs and db.session.get(UnitYearReport, (unit.id, year)) is None:
                db.session.add(UnitYearReport(unit_id=unit.id, year=year, status="submitted",
                                              qc_registered_year=1, staff_total=10, qc_participants=2))
                db.session.flush()
            for doc in docs:
                scan = stored_file(PDF, f"{doc}.pdf", "application/pdf", unit_id=unit.id)
                row = db.session.get(UnitYearDocument, (unit.id, year, doc)) or UnitYearDocument(
                    unit_id=unit.id, year=year, doc=doc, header={})
                row.stored_file_id = scan.id
                row.data_hash = "STALE000"
                db.session.add(row)
            db.session.flush()
            if fresh:
                self.refresh_documents(unit.id, year, docs)
            db.session.commit()

    def refresh_documents(self, unit_id, year, docs):
        """Give the unit's scans the 校验码 of the data as it is now (as an upload would)."""
        from app.accounts.models import Unit

        unit = db.session.get(Unit, unit_id)
        for doc in docs:
            row = db.session.get(UnitYearDocument, (unit_id, year, doc))
            row.data_hash = current_hash(unit, year, doc)
        db.session.commit()

    def recommendation(self, unit, year=None, seq=1, files=1, **values):
        """A recommended expert (附件7) with proof files; returns its id."""
        with self.app.app_context():
            n = next(_seq)
            values = dict(dict(name=f"专家{n}", company_dept="中国石化质量管理部 主任", address="北京",
                               postcode="100723", mobile=f"139{n:08d}", email=f"expert{n}@example.com",
                               experience="从事质量管理工作二十年", kinds=["group"]), **values)
            row = ExpertRecommendation(unit_id=unit.id, year=year or open_declaration_year(), seq=seq, **values)
            db.session.add(row)
            db.session.flush()
            for i in range(files):
                proof = stored_file(PDF, f"证书{i + 1}.pdf", "application/pdf", unit_id=unit.id)
                db.session.add(ExpertRecommendationFile(recommendation_id=row.id, stored_file_id=proof.id))
            db.session.commit()
            return row.id


def current_hash(unit, year, doc):
    """The 校验码 a document of the unit would carry if uploaded now."""
    if doc == "statistics":
        return statistics.statistics_hash(unit, year, db.session.get(UnitYearReport, (unit.id, year)))
    if doc == "recommendation":
        recs = db.session.execute(db.select(ExpertRecommendation).where(
            ExpertRecommendation.unit_id == unit.id, ExpertRecommendation.year == year)).scalars().all()
        return unit_documents.recommendation_hash(unit.name, recs)
    kind = "group" if doc == "summary_group" else "team"
    rows = db.session.execute(
        db.select(*[getattr(Declaration, c) for c in unit_documents.SUMMARY_COLUMNS])
        .where(Declaration.unit_id == unit.id, Declaration.year == year, Declaration.kind == kind,
               Declaration.status.in_(unit_documents.SUMMARY_STATUSES))
        .order_by(Declaration.enterprise_name, Declaration.decl_no)).mappings().all()
    document = db.session.get(UnitYearDocument, (unit.id, year, doc))
    return unit_documents.summary_hash(unit.name, kind, document.header if document else {},
                                       [unit_documents.summary_row(r, kind) for r in rows])


def bulk_declarations(app, unit_ids, year, count, start=0, status="submitted"):
    """Insert `count` group filings and their declarations in two statements (for query-count tests)."""
    from sqlalchemy import insert

    from app.core.clock import utcnow
    from tests.secretariat.conftest import group_rows

    with app.app_context():
        rows = group_rows(unit_ids, year, count, start=start + 200000)
        db.session.execute(insert(QcGroupFiling), rows)
        filings = db.session.execute(db.select(QcGroupFiling.id, QcGroupFiling.unit_id, QcGroupFiling.group_name)
                                     .where(QcGroupFiling.reg_no.in_([r["reg_no"] for r in rows]))).all()
        now = utcnow()
        db.session.execute(insert(Declaration), [
            dict(year=year, kind="group", unit_id=unit_id, group_filing_id=filing_id, status=status,
                 decl_no=f"QCSB-{year}-{start + i + 5000:05d}", title=f"批量成果{start + i}", group_name=name,
                 enterprise_name=f"企业{i}", address="地址", postcode="100000", contact="甲", mobile="13900000000",
                 leader="甲", member_count=5, main_contributors=["甲"], topic_type="创新型", summary="",
                 completed_on=date(year - 1, 6, 1), submitted_at=now, version=1, created_at=now, updated_at=now,
                 no_accident_pledge=False)
            for i, (filing_id, unit_id, name) in enumerate(filings)])
        db.session.commit()

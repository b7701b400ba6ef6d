"""The backup drill: fill the system, back up while another thread keeps writing, restore into an
empty instance (new SQLite file / new PostgreSQL database), find every record and every file."""
import hashlib
import io
import os
import tarfile
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app import create_app
from app.commands import load_reference_data
from app.core.extensions import db
from app.models import StoredFile, TeamFiling
from app.secretariat import backup

WRITER_UNIT_NAME = "并发写入单位"


def _snapshot(app):
    """Every row of every table, as sets of tuples per table."""
    with app.app_context():
        return {t.name: set(tuple(r) for r in db.session.execute(t.select()).all())
                for t in db.metadata.sorted_tables}


def _fill(app, make, admin_client):
    units = [make.unit(province_code=p) for p in ("11", "32", "37")]
    make.unit(status="pending")
    for i, unit in enumerate(units):
        make.invitation(unit)
        for _ in range(3):
            make.group(unit, year=2025)
        make.team(unit, year=2025)
    files = {"附件1 申报要求.docx": os.urandom(50_000), "附件2 空白表.xlsx": b"PK\x03\x04" + os.urandom(2000)}
    response = admin_client.post(
        "/admin/notices/new", content_type="multipart/form-data",
        data={"title": "2024年活动通知", "is_published": "1",
              "attachments": [(io.BytesIO(data), name) for name, data in files.items()]})
    assert response.status_code == 303
    admin_client.post("/admin/settings", data={
        "year": "2025", "theme": "绿色低碳•创新赋能•提升效能", "filing_deadline": "2024-12-31",
        "declaration_start": "2025-03-25", "declaration_end": "2025-04-30",
        "earliest_completion": "2024-05-01", "set_filing_year": "1", "declaration_year": "2025"})
    return units[0]


class Writer(threading.Thread):
    """Keeps filing teams and uploading files (file first, then its row) until stopped."""

    def __init__(self, app, unit_id):
        super().__init__(daemon=True)
        self.app, self.unit_id = app, unit_id
        self.stop = threading.Event()
        self.written = 0
        self.error = None

    def run(self):
        try:
            with self.app.app_context():
                upload_dir = Path(self.app.config["UPLOAD_DIR"])
                while not self.stop.is_set():
                    n = self.written
                    data = f"并发文件{n}".encode() * 50
                    name = f"drill-{os.getpid()}-{n}.bin"
                    (upload_dir / name).write_bytes(data)
                    db.session.add(StoredFile(stored_name=name, original_name=name, content_type="x/y",
                                              size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                                              purpose="drill"))
                    db.session.add(TeamFiling(unit_id=self.unit_id, year=2025, reg_no=f"BZ-2025-9{n:05d}",
                                              enterprise_name="并发企业", team_name=f"并发{n}班", department="部",
                                              leader="甲", member_count=5, contact="甲", mobile="13900000000"))
                    db.session.commit()
                    self.written += 1
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


@pytest.fixture
def empty_instance(app, tmp_path):
    """A second app on an empty database (new SQLite file or a new PostgreSQL database) and upload dir."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    created = None
    if url.get_backend_name() == "sqlite":
        new_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    else:
        import psycopg

        created = f"{url.database}_restore_{os.getpid()}"
        admin_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{created}"')
        new_url = url.set(database=created).render_as_string(hide_password=False)
    restored = create_app("testing", SQLALCHEMY_DATABASE_URI=new_url, SECRET_KEY="test-secret-key",
                          UPLOAD_DIR=str(tmp_path / "restored-uploads"))
    with restored.app_context():  # like `make run` on a new machine: schema and reference data, no records
        db.create_all()
        load_reference_data()
    yield restored
    with restored.app_context():
        db.session.remove()
        db.engine.dispose()
    if created:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')


def test_backup_under_concurrent_writes_restores_every_record_and_file(
        app, make, admin_client, empty_instance, tmp_path):
    writer_unit = _fill(app, make, admin_client)
    upload_dir = Path(app.config["UPLOAD_DIR"])
    files_before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in upload_dir.iterdir()}
    writer = Writer(app, writer_unit.id)
    writer.start()
    try:
        while writer.written < 5 and writer.is_alive():
            threading.Event().wait(0.01)
        before = _snapshot(app)
        written_before = writer.written
        result = app.test_cli_runner().invoke(args=["backup", "--output", str(tmp_path / "backups")])
        written_during = writer.written - written_before
        threading.Event().wait(0.1)
    finally:
        writer.stop.set()
        writer.join(10)
    assert writer.error is None, writer.error
    assert result.exit_code == 0, result.output
    assert "已备份" in result.output
    assert written_during > 0 or writer.written > written_before  # the writer really ran alongside
    archives = list((tmp_path / "backups").glob("qc-backup-*.tar.gz"))
    assert len(archives) == 1
    with tarfile.open(archives[0]) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and any(n.startswith("uploads/") for n in names)

    result = empty_instance.test_cli_runner().invoke(args=["restore", str(archives[0])])
    assert result.exit_code == 0, result.output
    assert "核对一致" in result.output

    after = _snapshot(empty_instance)
    for table, rows in before.items():
        missing = rows - after[table]
        assert not missing, f"{table}: {len(missing)} rows missing, e.g. {sorted(missing)[:1]}"
    restored_dir = Path(empty_instance.config["UPLOAD_DIR"])
    for name, digest in files_before.items():
        path = restored_dir / name
        assert path.is_file(), name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    # Consistent: every file row restored (also rows written during the backup) has its complete file.
    with empty_instance.app_context():
        stored_rows = db.session.execute(db.select(StoredFile)).scalars().all()
        assert len(stored_rows) >= len(before["stored_file"]) > 2
        for stored in stored_rows:
            path = restored_dir / stored.stored_name
            assert hashlib.sha256(path.read_bytes()).hexdigest() == stored.sha256, stored.stored_name

    # The restored instance works: the home page shows the restored notice and theme.
    home = empty_instance.test_client().get("/").text
    assert "2024年活动通知" in home and "绿色低碳•创新赋能•提升效能" in home

    # Restoring again over data is refused.
    again = empty_instance.test_cli_runner().invoke(args=["restore", str(archives[0])])
    assert again.exit_code != 0 and "已有数据" in again.output


def test_an_instance_that_only_served_pages_still_counts_as_empty(empty_instance):
    """Opening pages writes the housekeeping claim, rate-limit slices and captchas: a restore is still allowed."""
    from app.secretariat.backup import instance_is_empty

    client = empty_instance.test_client()
    assert client.get("/").status_code == 200 and client.get("/login").status_code == 200
    with empty_instance.app_context():
        from app.core import jobs

        jobs.claim("housekeeping", 600)
        db.session.commit()
        assert instance_is_empty()


def test_restore_refuses_a_damaged_archive(app, empty_instance, tmp_path, admin_client):
    admin_client.post("/admin/notices/new", content_type="multipart/form-data",
                      data={"title": "损坏测试", "attachments": [(io.BytesIO(b"abc"), "a.pdf")]})
    with app.app_context():
        archive = backup.create_backup(tmp_path / "b")
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("uploads/"):
                data = b"tampered" + data
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    result = empty_instance.test_cli_runner().invoke(args=["restore", str(damaged)])
    assert result.exit_code != 0 and "损坏" in result.output


def test_backup_keep_prunes_old_archives(app, tmp_path):
    out = tmp_path / "keep"
    out.mkdir()
    for stamp in ("20240101-000000", "20240102-000000", "20240103-000000"):
        (out / f"qc-backup-{stamp}.tar.gz").write_bytes(b"old")
    result = app.test_cli_runner().invoke(args=["backup", "--output", str(out), "--keep", "2"])
    assert result.exit_code == 0, result.output
    left = sorted(p.name for p in out.glob("qc-backup-*.tar.gz"))
    assert len(left) == 2 and "qc-backup-20240103-000000.tar.gz" in left
    assert "qc-backup-20240102-000000.tar.gz" not in left and "qc-backup-20240101-000000.tar.gz" not in left


def test_a_file_written_during_the_backup_cannot_break_the_restore(app, empty_instance, tmp_path, monkeypatch):
    """An upload still being written (its row not committed yet) grows right after the backup lists it:
    the archive and its manifest must agree about it, so the restore goes through."""
    upload_dir = Path(app.config["UPLOAD_DIR"])
    upload_dir.mkdir(parents=True, exist_ok=True)
    growing = upload_dir / "growing-upload.bin"
    growing.write_bytes(b"first half ")
    listed = backup._upload_files

    def listing_then_writer_appends():
        for rel, path in listed():
            yield rel, path
            if path == growing:
                with open(path, "ab") as fh:
                    fh.write(b"second half")

    monkeypatch.setattr(backup, "_upload_files", listing_then_writer_appends)
    with app.app_context():
        archive = backup.create_backup(tmp_path / "b")
    result = empty_instance.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    restored = Path(empty_instance.config["UPLOAD_DIR"]) / "growing-upload.bin"
    assert restored.read_bytes() == b"first half "

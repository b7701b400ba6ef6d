"""Backups: one .tar.gz with a consistent database copy, the uploaded files and a manifest.

SQLite is copied with the online backup API (a consistent snapshot while others keep writing);
PostgreSQL with pg_dump (custom format) inside an exported snapshot, so the row counts written to
the manifest describe exactly what the dump holds. `restore_backup` brings an archive back into an
empty instance and checks every count and every file's SHA-256.
"""
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from app.core.extensions import db

FORMAT_VERSION = 1
SQLITE_NAME = "database.sqlite3"
PG_NAME = "database.pgdump"
# Reference data is reloaded by `flask load-reference`, and the bookkeeping of a running server (the housekeeping
# claim, rate-limit slices, captchas shown to visitors) is written as soon as anyone opens a page: neither makes an
# instance "non-empty".
REFERENCE_TABLES = {"province", "industry", "alembic_version", "job_claim", "rate_limit_bucket", "captcha_challenge"}


class BackupError(Exception):
    """A backup or restore that cannot proceed (message in Chinese)."""


def _backend():
    return db.engine.dialect.name


def _sqlite_path():
    return Path(make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database)


def _libpq_url():
    """The database URL for pg_dump/pg_restore (without the SQLAlchemy driver part)."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _tables():
    return [t.name for t in db.metadata.sorted_tables]


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _dump_sqlite(target):
    """Copy the live SQLite database with the online backup API; returns row counts of the copy."""
    source = sqlite3.connect(str(_sqlite_path()), timeout=30)
    copy = sqlite3.connect(str(target))
    try:
        source.execute("PRAGMA busy_timeout=30000")
        source.backup(copy)  # pages=-1: one step, one read snapshot
    finally:
        source.close()
    try:
        names = {r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {t: copy.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in _tables() if t in names}
    finally:
        copy.close()


def _dump_postgresql(target):
    """pg_dump in an exported snapshot; the counts come from the same snapshot."""
    import psycopg

    with psycopg.connect(_libpq_url(), autocommit=False) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        existing = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                  for t in _tables() if t in existing}
        result = subprocess.run(
            [current_app.config.get("PG_DUMP", "pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
             f"--snapshot={snapshot}", f"--file={target}", f"--dbname={_libpq_url()}"],
            capture_output=True, text=True)
        conn.rollback()
    if result.returncode != 0:
        raise BackupError(f"pg_dump 失败：{result.stderr.strip()}")
    return counts


def _upload_files():
    """(relative name, path) of every uploaded file."""
    root = Path(current_app.config["UPLOAD_DIR"])
    if not root.exists():
        return []
    return sorted((p.relative_to(root).as_posix(), p) for p in root.rglob("*") if p.is_file())


def _add_bytes(tar, arcname, data, mtime):
    """Add one member with the given content to an open tar archive."""
    info = tarfile.TarInfo(arcname)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def create_backup(output_dir, now=None):
    """Write qc-backup-<UTC time>.tar.gz into output_dir; returns its path."""
    now = now or datetime.now(timezone.utc)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    backend = _backend()
    name = f"qc-backup-{now:%Y%m%d-%H%M%S}"
    archive = output_dir / f"{name}.tar.gz"
    with tempfile.TemporaryDirectory(dir=output_dir, prefix=".backup-") as work:
        db_name = SQLITE_NAME if backend == "sqlite" else PG_NAME
        db_file = Path(work) / db_name
        # Database first: a file is written before the row that names it commits, so every file a
        # backed-up row refers to is already on disk when the files are collected below.
        counts = _dump_sqlite(db_file) if backend == "sqlite" else _dump_postgresql(db_file)
        partial = output_dir / f".{name}.tar.gz.partial"
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(db_file, arcname=db_name)
            # Each file is read once and its checksum taken from the very bytes archived: a file still
            # being written by a concurrent upload (no row in the snapshot yet) cannot differ from its
            # manifest entry. The manifest goes last, once every checksum is known.
            files = []
            for rel, path in _upload_files():
                try:
                    data = path.read_bytes()
                except FileNotFoundError:  # deleted since it was listed (its row is gone too)
                    continue
                _add_bytes(tar, f"uploads/{rel}", data, now.timestamp())
                files.append({"name": rel, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
            manifest = {"format": FORMAT_VERSION, "created_at": now.isoformat(), "backend": backend,
                        "database": db_name, "tables": counts, "files": files}
            _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode(),
                       now.timestamp())
        os.chmod(partial, 0o600)
        os.replace(partial, archive)
    return archive


def prune(output_dir, keep):
    """Delete all but the newest `keep` backups in output_dir; returns the deleted paths."""
    archives = sorted(Path(output_dir).glob("qc-backup-*.tar.gz"))
    old = archives[:-keep] if keep > 0 else []
    for path in old:
        path.unlink()
    return old


def read_manifest(archive):
    """The manifest of an archive."""
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile("manifest.json")
        if member is None:
            raise BackupError("备份文件中没有 manifest.json。")
        return json.load(member)


def instance_is_empty():
    """True when no application table holds a row (reference data does not count)."""
    names = set(inspect(db.engine).get_table_names())
    for table in _tables():
        if table in REFERENCE_TABLES or table not in names:
            continue
        if db.session.execute(text(f'SELECT 1 FROM "{table}" LIMIT 1')).first():
            db.session.rollback()
            return False
    db.session.rollback()
    return True


def _restore_sqlite(db_file):
    db.session.remove()
    db.engine.dispose()
    target = _sqlite_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(str(db_file))
    dest = sqlite3.connect(str(target), timeout=30)
    try:
        source.backup(dest)
    finally:
        source.close()
        dest.close()
    db.engine.dispose()


def _restore_postgresql(db_file):
    db.session.remove()
    db.engine.dispose()
    result = subprocess.run(
        [current_app.config.get("PG_RESTORE", "pg_restore"), "--clean", "--if-exists", "--no-owner",
         "--no-privileges", "--single-transaction", "--exit-on-error", f"--dbname={_libpq_url()}",
         str(db_file)],
        capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_restore 失败：{result.stderr.strip()}")


def restore_backup(archive, force=False):
    """Bring an archive back into this (empty) instance; returns the manifest after checking it."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"找不到备份文件 {archive}。")
    manifest = read_manifest(archive)
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError("备份文件的格式版本不受支持。")
    if manifest["backend"] != _backend():
        raise BackupError(f"该备份来自 {manifest['backend']} 数据库，当前实例使用 {_backend()}，不能直接恢复。")
    if not force and not instance_is_empty():
        raise BackupError("当前实例已有数据；恢复只能在空实例中进行（确需覆盖请加 --force）。")
    upload_root = Path(current_app.config["UPLOAD_DIR"])
    with tempfile.TemporaryDirectory(prefix=".restore-") as work:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")
        for entry in manifest["files"]:
            path = Path(work) / "uploads" / entry["name"]
            if not path.is_file() or _sha256(path) != entry["sha256"]:
                raise BackupError(f"备份中的文件 {entry['name']} 缺失或已损坏。")
        db_file = Path(work) / manifest["database"]
        if manifest["backend"] == "sqlite":
            _restore_sqlite(db_file)
        else:
            _restore_postgresql(db_file)
        upload_root.mkdir(parents=True, exist_ok=True)
        for entry in manifest["files"]:
            target = upload_root / entry["name"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(work) / "uploads" / entry["name"], target)
    check_restore(manifest)
    return manifest


def check_restore(manifest):
    """Compare the restored database's row counts and files with the manifest."""
    problems = []
    for table, expected in manifest["tables"].items():
        actual = db.session.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
        if actual != expected:
            problems.append(f"{table}: {actual} ≠ {expected}")
    db.session.rollback()
    upload_root = Path(current_app.config["UPLOAD_DIR"])
    for entry in manifest["files"]:
        path = upload_root / entry["name"]
        if not path.is_file() or _sha256(path) != entry["sha256"]:
            problems.append(f"文件 {entry['name']}")
    if problems:
        raise BackupError("恢复后核对不一致：" + "；".join(problems))

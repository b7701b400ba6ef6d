"""CLI: `flask create-secretariat`, `load-reference`, `ensure-admin`, `backup`, `restore`,
`declaration-reminders`, `housekeeping`."""
import csv
import os
import secrets
from pathlib import Path

import click
from flask import current_app

from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.core.extensions import db
from app.core.models import Industry, Province

DATA_DIR = Path(__file__).resolve().parent / "data"


def load_reference_data():
    """Insert or update provinces and industries from app/data/*.csv; returns counts."""
    counts = {}
    for model, filename in ((Province, "provinces.csv"), (Industry, "industries.csv")):
        with open(DATA_DIR / filename, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        for row in rows:
            obj = db.session.get(model, row["code"]) or model(code=row["code"])
            obj.name = row["name"]
            if model is Industry:
                obj.note = row.get("note") or ""
            db.session.add(obj)
        counts[filename] = len(rows)
    db.session.commit()
    return counts


def create_secretariat(username, password, display_name="秘书处", must_change=False):
    """Create a secretariat account; flushes only."""
    user = User(username=username, password_hash=hash_password(password), role="secretariat",
                display_name=display_name, must_change_password=must_change)
    db.session.add(user)
    db.session.flush()
    return user


def ensure_admin():
    """Create the first secretariat account `admin` if no secretariat account exists.

    The password comes from ADMIN_PASSWORD, else it is generated, printed once and written to
    instance/admin_password.txt (mode 0600); it must then be changed at first login.
    """
    exists = db.session.execute(db.select(User.id).where(User.role == "secretariat").limit(1)).first()
    if exists:
        return None
    password = current_app.config.get("ADMIN_PASSWORD")
    generated = not password
    if generated:
        password = secrets.token_urlsafe(12)
    create_secretariat("admin", password, must_change=generated)
    db.session.commit()
    if generated:
        path = Path(current_app.instance_path) / "admin_password.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(password + "\n")
        os.chmod(path, 0o600)
    return password if generated else ""


def register(app):
    """Attach the commands to the app's CLI."""

    @app.cli.command("load-reference")
    @click.option("--year", type=int, help="载入评分表的年度（默认当前申报年度）")
    def load_reference_command(year):
        """Load provinces and industries (所属省份 / 所属行业) and the year's default rubrics (评分表)."""
        from app.core.settings import declaration_period
        from app.review.seeds import load_rubrics

        counts = load_reference_data()
        click.echo(f"已载入 {counts['provinces.csv']} 个省份、{counts['industries.csv']} 个行业。")
        year = year or declaration_period().year
        added = load_rubrics(year)
        db.session.commit()
        click.echo(f"{year}年度评分表：新增 {len(added)} 张" + (f"（{'、'.join(added)}）" if added else "，已有的未作更改") + "。")

    @app.cli.command("create-secretariat")
    @click.argument("username")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--name", "display_name", default="秘书处")
    def create_secretariat_command(username, password, display_name):
        """Create a secretariat (秘书处) account."""
        if User.query.filter_by(username=username).first():
            raise click.ClickException(f"账号 {username} 已存在。")
        create_secretariat(username, password, display_name)
        db.session.commit()
        click.echo(f"已创建秘书处账号 {username}。")

    @app.cli.command("ensure-admin")
    def ensure_admin_command():
        """Create the first secretariat account `admin` when none exists."""
        password = ensure_admin()
        if password is None:
            click.echo("秘书处账号已存在，未作更改。")
        elif password:
            click.echo("=" * 60)
            click.echo(f"已创建秘书处账号 admin，初始密码：{password}")
            click.echo(f"（也保存在 {Path(current_app.instance_path) / 'admin_password.txt'}，首次登录后须修改）")
            click.echo("=" * 60)
        else:
            click.echo("已创建秘书处账号 admin（密码取自 ADMIN_PASSWORD）。")

    @app.cli.command("backup")
    @click.option("--output", "output_dir", type=click.Path(file_okay=False),
                  help="备份目录（默认 instance/backups）")
    @click.option("--keep", type=int, default=0, help="只保留最新的 N 份备份（0 = 全部保留）")
    def backup_command(output_dir, keep):
        """Write a consistent backup (database + uploaded files) while the system is in use."""
        from app.secretariat import backup

        output_dir = output_dir or str(Path(current_app.instance_path) / "backups")
        try:
            archive = backup.create_backup(output_dir)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        manifest = backup.read_manifest(archive)
        rows = sum(manifest["tables"].values())
        click.echo(f"已备份：{archive}（{rows} 行数据，{len(manifest['files'])} 个文件）")
        for path in backup.prune(output_dir, keep) if keep else []:
            click.echo(f"已删除旧备份：{path}")

    @app.cli.command("restore")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False))
    @click.option("--force", is_flag=True, help="即使当前实例已有数据也覆盖")
    def restore_command(archive, force):
        """Restore a backup archive into an empty instance (database + uploaded files)."""
        from app.secretariat import backup

        try:
            manifest = backup.restore_backup(archive, force=force)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        rows = sum(manifest["tables"].values())
        click.echo(f"已恢复 {manifest['created_at']} 的备份：{rows} 行数据，{len(manifest['files'])} 个文件，核对一致。")

    @app.cli.command("declaration-reminders")
    @click.option("--date", "on_date", type=click.DateTime(formats=["%Y-%m-%d"]),
                  help="按此日期（北京时间）判断，默认今天；用于补发或演练")
    def declaration_reminders_command(on_date):
        """Queue the reminder mails of the last 3 days before the declaration window closes (run daily by cron)."""
        from app.declarations.mail import send_reminders

        count = send_reminders(today=on_date.date() if on_date else None)
        db.session.commit()
        click.echo(f"已生成 {count} 封申报截止提醒邮件（每个单位每年度只发一次）。")

    @app.cli.command("housekeeping")
    def housekeeping_command():
        """Purge expired captchas and sessions, stale staged uploads, old rate-limit counts (run by cron)."""
        from app import housekeeping
        from app.core import jobs

        jobs.mark(housekeeping.JOB)  # the requests' own runs wait a full interval after this one
        files = housekeeping.run_now()
        click.echo(f"已清理过期的验证码、登录会话、重置链接和频率计数，删除暂存未提交的营业执照 {files} 个。")

"""Auth views (completed by the accounts issue)."""
from flask import render_template
from flask_login import current_user, login_required

from app.auth import bp
from app.extensions import db
from app.htmx import htmx_redirect
from app.services import sessions


@bp.post("/logout")
@login_required
def logout():
    """退出系统: end the server-side session."""
    sessions.end_session(current_user)
    db.session.commit()
    return htmx_redirect("/")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """登录 (built by the accounts issue)."""
    return render_template("main/placeholder.html", title="登录")


@bp.get("/register")
def register_agreement():
    """注册协议 (built by the accounts issue)."""
    return render_template("main/placeholder.html", title="注册协议")


@bp.get("/profile")
@login_required
def profile():
    """修改资料 (built by the accounts issue)."""
    return render_template("main/placeholder.html", title="修改资料")


@bp.get("/password")
@login_required
def change_password():
    """修改密码 (built by the accounts issue)."""
    return render_template("main/placeholder.html", title="修改密码")

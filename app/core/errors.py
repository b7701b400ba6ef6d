"""Error pages in Chinese: a full page, or a small fragment for htmx requests."""
from flask import g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from app.core.extensions import db
from app.core.htmx import is_htmx
from app.core.uploads import apply_upload_limit

MESSAGES = {
    400: ("请求无效", "提交的数据不完整或已过期，请刷新页面后重试。"),
    403: ("没有权限", "您没有权限访问此页面。"),
    404: ("页面不存在", "您访问的页面不存在，或已被删除。"),
    405: ("请求方式不允许", "请通过页面上的按钮操作。"),
    409: ("操作无法完成", "该记录的状态已变化，或已被其他操作使用，请刷新页面后再操作。"),
    413: ("文件过大", "上传的文件太大，文件大小不能超过5M。"),
    429: ("操作过于频繁", "操作过于频繁，请稍后再试。"),
    500: ("系统错误", "系统暂时出现问题，请稍后再试。如果问题持续，请联系秘书处。"),
}


def render_error(code, message=None):
    """Render the error page (or fragment) for an HTTP status code."""
    title, default = MESSAGES.get(code, (str(code), "出现错误。"))
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, code=code, title=title, message=message or default), code


def register(app):
    """Install the handlers."""
    # Before every other hook: the CSRF check and the NUL check below parse the body under the request's limit.
    app.before_request_funcs.setdefault(None, []).insert(0, apply_upload_limit)

    @app.before_request
    def refuse_nul_bytes():
        """NUL never belongs in a form or query value, and PostgreSQL text cannot store it: refuse early."""
        values = list(request.args.values())
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            values += list(request.form.values())
        if any("\x00" in value for value in values):
            # the other control characters get a message beside their field (app.core.validators.CONTROL_RE)
            error = BadRequest()
            error.zh_message = "提交的内容含有不可见的控制字符（NUL），请删除后重新输入。"
            raise error

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def out_of_range(error):
        """A number from the request beyond what the database stores (e.g. ?page=2**63): the request is bad."""
        db.session.rollback()
        return render_error(400, "请求中的数值超出范围，请返回上一页重试。")

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, "页面已过期或缺少安全令牌，请刷新页面后重新提交。")

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code in (301, 302, 303, 307, 308) or error.code is None:
            return error
        description = None
        if error.code in (400, 403, 404, 409, 429) and getattr(error, "zh_message", None):
            description = error.zh_message
        elif error.code == 413 and g.get("upload_limit_mb"):
            description = f"上传的文件太大，文件大小不能超过{g.upload_limit_mb}M。"
        return render_error(error.code, description)

    @app.errorhandler(Exception)
    def unexpected_error(error):
        if isinstance(error, HTTPException):
            return http_error(error)
        db.session.rollback()
        app.logger.exception("Unhandled error")
        if app.debug:
            raise error
        return render_error(InternalServerError.code)

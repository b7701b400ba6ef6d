"""Error pages in Chinese: a full page, or a small fragment for htmx requests."""
from flask import render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db
from app.htmx import is_htmx

MESSAGES = {
    400: ("请求无效", "提交的数据不完整或已过期，请刷新页面后重试。"),
    403: ("没有权限", "您没有权限访问此页面。"),
    404: ("页面不存在", "您访问的页面不存在，或已被删除。"),
    405: ("请求方式不允许", "请通过页面上的按钮操作。"),
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

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, "页面已过期或缺少安全令牌，请刷新页面后重新提交。")

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code in (301, 302, 303, 307, 308) or error.code is None:
            return error
        description = None
        if error.code in (400, 403, 404, 429) and getattr(error, "zh_message", None):
            description = error.zh_message
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

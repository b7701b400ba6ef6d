"""Uploaded licenses, served only to the secretariat and the owning unit (others get 404)."""
from flask import abort, request
from flask_login import current_user

from app.accounts.views import bp
from app.core import uploads
from app.core.extensions import db
from app.core.models import StoredFile


def can_see(user, stored_file):
    """The secretariat sees every license; a unit only its own."""
    if not user.is_authenticated:
        return False
    if user.is_secretariat:
        return True
    return user.is_unit and user.unit is not None and stored_file.unit_id == user.unit.id


@bp.get("/files/license/<int:file_id>")
def license_file(file_id):
    """营业执照: images inline (nosniff), PDFs as attachments; ?download=1 forces a download."""
    stored_file = db.session.get(StoredFile, file_id)
    if stored_file is None or stored_file.purpose != "license" or not can_see(current_user, stored_file):
        abort(404)
    return uploads.send_stored(stored_file, download=request.args.get("download") == "1")

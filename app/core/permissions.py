"""Roles and object checks in one place: a wrong role is 403, a foreign object is 404."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def role_required(*roles):
    """Allow only logged-in users with one of the roles (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def secretariat_required(view):
    """Only secretariat clerks."""
    return role_required("secretariat")(view)


def unit_required(view):
    """Only approved unit accounts; the view can use current_unit()."""

    @wraps(view)
    @role_required("unit")
    def wrapped(*args, **kwargs):
        unit = current_user.unit
        if unit is None or not unit.is_approved:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def current_unit():
    """The logged-in unit (only inside unit_required views)."""
    return current_user.unit


def get_owned_or_404(model, object_id, unit):
    """Fetch an object of model that belongs to unit, or 404."""
    from app.core.extensions import db

    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, "unit_id", None) != unit.id:
        abort(404)
    return obj

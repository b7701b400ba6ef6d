"""Unbound extensions, attached to the app in create_app()."""
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, Table, event
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@event.listens_for(Table, "after_parent_attach")
def _never_reuse_ids(table, parent):
    """SQLite: every table of ours keyed by a generated id gets AUTOINCREMENT, so the id of a deleted row is
    never handed out again (an audit entry, a link or a download keeps naming what it named). PostgreSQL
    sequences never reuse one anyway."""
    if parent is Base.metadata and table.autoincrement_column is not None:
        table.dialect_kwargs["sqlite_autoincrement"] = True


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()

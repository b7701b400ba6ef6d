"""declaration list indexes: 申报总览 by 申报编号, 形式审查 by status and submission time

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 02:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.create_index('ix_declaration_year_decl_no', ['year', 'decl_no'], unique=False)
        batch_op.create_index('ix_declaration_year_status_submitted', ['year', 'status', 'submitted_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_index('ix_declaration_year_status_submitted')
        batch_op.drop_index('ix_declaration_year_decl_no')

"""session limits and housekeeping without mail: job_claim, the row housekeeping is claimed through

Sessions expire on their existing created_at / last_seen_at columns; what is new in the schema is the claim
row that lets requests and cron run the purges (expired sessions among them) once per interval in all.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 06:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_claim',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('claimed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_job_claim')),
    )


def downgrade():
    op.drop_table('job_claim')

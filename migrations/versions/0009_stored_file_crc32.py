"""stored_file.crc32: the CRC-32 computed at upload, so the streamed zips send files without reading them twice

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 07:00:00

Rows stored before this revision keep NULL; a zip reads such a file once more to compute its CRC.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('crc32', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_column('crc32')

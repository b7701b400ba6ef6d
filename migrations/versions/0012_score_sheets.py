"""score_sheet, score_item: the experts' scores (spec B7)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 07:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('score_sheet',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('declaration_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('rubric_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total_c', sa.Integer(), nullable=False),
    sa.Column('is_complete', sa.Boolean(), nullable=False),
    sa.Column('overall_comment', sa.Text(), nullable=False),
    sa.Column('recommend_level', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('saved_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'], name=op.f('fk_score_sheet_declaration_id_declaration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_score_sheet_expert_id_expert'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['review_round.id'], name=op.f('fk_score_sheet_round_id_review_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rubric_id'], ['rubric.id'], name=op.f('fk_score_sheet_rubric_id_rubric'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_sheet')),
    sa.UniqueConstraint('round_id', 'declaration_id', 'expert_id', name=op.f('uq_score_sheet_round_id_declaration_id_expert_id')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('score_sheet', schema=None) as batch_op:
        batch_op.create_index('ix_score_sheet_round_expert', ['round_id', 'expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_sheet_declaration_id'), ['declaration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_sheet_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_sheet_rubric_id'), ['rubric_id'], unique=False)

    op.create_table('score_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sheet_id', sa.Integer(), nullable=False),
    sa.Column('rubric_item_id', sa.Integer(), nullable=False),
    sa.Column('points_c', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['rubric_item_id'], ['rubric_item.id'], name=op.f('fk_score_item_rubric_item_id_rubric_item'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['sheet_id'], ['score_sheet.id'], name=op.f('fk_score_item_sheet_id_score_sheet'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_item')),
    sa.UniqueConstraint('sheet_id', 'rubric_item_id', name=op.f('uq_score_item_sheet_id_rubric_item_id')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('score_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_item_rubric_item_id'), ['rubric_item_id'], unique=False)


def downgrade():
    with op.batch_alter_table('score_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_item_rubric_item_id'))
    op.drop_table('score_item')
    with op.batch_alter_table('score_sheet', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_sheet_rubric_id'))
        batch_op.drop_index(batch_op.f('ix_score_sheet_expert_id'))
        batch_op.drop_index(batch_op.f('ix_score_sheet_declaration_id'))
        batch_op.drop_index('ix_score_sheet_round_expert')
    op.drop_table('score_sheet')

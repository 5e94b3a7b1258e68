"""caller auth: one-time tickets binding a Media Stream to the call Twilio announced, and the
customer's ID-number last 4 digits the phone agent asks before reading protected items

Revision ID: 0002_caller_auth
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002_caller_auth'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stream_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['call_log.id'], name=op.f('fk_stream_token_call_id_call_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stream_token')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_stream_token_token_sha256'))
    )
    with op.batch_alter_table('stream_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stream_token_call_id'), ['call_id'], unique=False)
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_last4', sa.String(length=4), nullable=True))


def downgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('id_last4')
    with op.batch_alter_table('stream_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stream_token_call_id'))
    op.drop_table('stream_token')

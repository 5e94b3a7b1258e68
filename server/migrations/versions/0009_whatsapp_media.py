"""WhatsApp media: one row per attachment of a message (voice note, image, document, ...)

Revision ID: 0009_whatsapp_media
Revises: 0008_conversations
Create Date: 2026-12-05

- whatsapp_media: the provider's reference, the stored file's key in the media store, its
  size, type and sha256, the browser copy of a voice note, its transcript, and the download
  job's state (status, attempts, next_attempt_at). A message's media go with it.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0009_whatsapp_media"
down_revision = "0008_conversations"
branch_labels = None
depends_on = None


def upgrade():
    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    op.create_table(
        "whatsapp_media",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("whatsapp_msg.id", ondelete="CASCADE"), nullable=False),
        sa.Column("business_id", sa.Integer(), sa.ForeignKey("business.id")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(2048)),
        sa.Column("content_type", sa.String(128)),
        sa.Column("size", sa.Integer()),
        sa.Column("filename", sa.String(255)),
        sa.Column("storage_key", sa.String(255)),
        sa.Column("playback_key", sa.String(255)),
        sa.Column("sha256", sa.String(64)),
        sa.Column("transcript", sa.Text()),
        sa.Column("transcript_status", sa.String(16)),
        sa.Column("details", json_type),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime()),
        sa.Column("error", sa.String(255)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_whatsapp_media_message", "whatsapp_media", ["message_id"])
    op.create_index("ix_whatsapp_media_status_next", "whatsapp_media", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_whatsapp_media_business_id"), "whatsapp_media", ["business_id"])


def downgrade():
    op.drop_table("whatsapp_media")

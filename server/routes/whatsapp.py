"""WhatsApp API: send (seed section 7), conversation, 24-hour window, transport, templates."""
from __future__ import annotations

import re
from typing import Annotated

from flask import Blueprint, jsonify, request, send_file
from pydantic import BaseModel, Field, field_validator, model_validator

from server.authz import auth_required, roles_required, scoped_business_id
from server.error_codes import ErrorCode
from server.errors import FieldError
from server.schemas.common import Ok, binary
from server.schemas.fields import BusinessIdParam, IsraeliPhone
from server.schemas.whatsapp import (
    ConversationState, ConversationUpdate, MessagePage, TemplateList, WhatsAppTemplate, WhatsAppTransport, WhatsAppWindow,
)
from server.services import whatsapp as service
from server.json_input import refuse_unstorable
from server.services import whatsapp_media as media_service
from server.services.reception import whatsapp_agent
from server.validation import parse_model, validate

whatsapp_bp = Blueprint("whatsapp", __name__, url_prefix="/api/whatsapp")

MAX_TEXT = 4096  # WhatsApp's limit for a text message body


class SendBody(BaseModel):
    to: Annotated[IsraeliPhone, Field(max_length=64)]
    text: str | None = None
    template: str | None = Field(default=None, max_length=128)
    variables: dict[str, str | int | float] = Field(default_factory=dict)
    business_id: BusinessIdParam = None

    @field_validator("text")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        if value is not None and not (1 <= len(value) <= MAX_TEXT and value.strip()):
            raise ValueError(FieldError(ErrorCode.TEXT_LENGTH, f"text must be 1 to {MAX_TEXT} characters", max=MAX_TEXT))
        return value

    @model_validator(mode="after")
    def _one_kind(self):
        if (self.text is None) == (self.template is None):
            raise ValueError(FieldError(ErrorCode.TEXT_OR_TEMPLATE, "send either text or template"))
        return self


class SendMediaForm(BaseModel):
    """The multipart form of /send-media (beside the `file` part)."""
    to: Annotated[IsraeliPhone, Field(max_length=64)]
    caption: str | None = Field(default=None, max_length=1024)
    business_id: BusinessIdParam = None


class SendResponse(BaseModel):
    ok: bool
    id: int


class MessagesQuery(BaseModel):
    customer_id: int | None = None
    business_id: BusinessIdParam = None
    page: int = Field(default=1, ge=1, le=100000)
    limit: int = Field(default=50, ge=1, le=200)


class WindowQuery(BaseModel):
    customer_id: int


class BusinessQuery(BaseModel):
    business_id: BusinessIdParam = None


TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,128}$")


class TemplateBody(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    language: str = Field(default="he", min_length=2, max_length=16)
    body: str = Field(min_length=1, max_length=1024)
    twilio_content_sid: str | None = Field(default=None, pattern=r"^HX[0-9a-fA-F]{32}$")
    meta_template_name: str | None = Field(default=None, max_length=128)
    business_id: BusinessIdParam = None

    @field_validator("name", "meta_template_name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not TEMPLATE_NAME.match(value):
            raise ValueError(FieldError(ErrorCode.TEMPLATE_NAME_CHARACTERS, "lower-case letters, digits and underscores only"))
        return value


class TemplatePatch(TemplateBody):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    language: str | None = Field(default=None, min_length=2, max_length=16)
    body: str | None = Field(default=None, min_length=1, max_length=1024)


@whatsapp_bp.post("/send")
@roles_required("staff", "admin")
@validate(body=SendBody, response=SendResponse)
def send(body: SendBody):
    """Queue a WhatsApp text or template message; a background job delivers it."""
    business_id = scoped_business_id(body.business_id)
    msg = service.queue_message(business_id, to=body.to, text=body.text, template=body.template,
                                variables=body.variables)
    whatsapp_agent.staff_replied(business_id, body.to)  # a person answers now: the agent steps back
    response = jsonify({"ok": True, "id": msg.id})
    response.headers["X-WhatsApp-Transport"] = msg.provider  # "dev" means: not delivered
    return response, 200


@whatsapp_bp.post("/send-media")
@roles_required("staff", "admin")
@validate(response=SendResponse)
def send_media():
    """Send an image (JPG/PNG, 5 MB) or a document (PDF/Office, 16 MB): multipart `file`,
    `to`, optional `caption`. Refusals: file_required, media_type_not_allowed, file_too_large."""
    form = parse_model(SendMediaForm, refuse_unstorable(request.form.to_dict()))
    business_id = scoped_business_id(form.business_id)
    upload = request.files.get("file")
    msg = service.queue_message(business_id, to=form.to, text=(form.caption or "").strip(),
                                file=(upload.filename if upload else None, upload.read() if upload else None))
    response = jsonify({"ok": True, "id": msg.id})
    response.headers["X-WhatsApp-Transport"] = msg.provider
    return response, 200


@whatsapp_bp.get("/media/<int:media_id>")
@auth_required
@validate(files=binary("audio/mpeg", "image/jpeg", "application/pdf", "application/octet-stream"))
def media_file(media_id: int):
    """An attachment's file (a voice note as MP3), for a user of its business."""
    path, content_type, name, inline = media_service.open_media(scoped_business_id(None, required=False), media_id)
    response = send_file(path, mimetype=content_type, as_attachment=not inline, download_name=name,
                         conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@whatsapp_bp.get("/messages")
@auth_required
@validate(query=MessagesQuery, response=MessagePage)
def messages(query: MessagesQuery):
    """A customer's conversation (or the business's messages), newest first, paged."""
    business_id = scoped_business_id(query.business_id, required=False)
    return jsonify(service.list_messages(business_id, query.customer_id, query.page, query.limit)), 200


@whatsapp_bp.get("/window")
@auth_required
@validate(query=WindowQuery, response=WhatsAppWindow)
def window(query: WindowQuery):
    """Whether free text may be sent to this customer (24 hours after their last message)."""
    business_id = scoped_business_id(None, required=False)
    return jsonify(service.window_for_customer(business_id, query.customer_id)), 200


@whatsapp_bp.get("/transport")
@auth_required
@validate(query=BusinessQuery, response=WhatsAppTransport)
def transport(query: BusinessQuery):
    """Which transport sends this business's messages, and whether it really delivers."""
    return jsonify(service.transport_state(scoped_business_id(query.business_id))), 200


@whatsapp_bp.get("/templates")
@auth_required
@validate(query=BusinessQuery, response=TemplateList)
def list_templates(query: BusinessQuery):
    """The business's approved message templates."""
    rows = service.list_templates(scoped_business_id(query.business_id))
    return jsonify({"items": [r.to_dict() for r in rows]}), 200


@whatsapp_bp.post("/templates")
@roles_required("admin")
@validate(body=TemplateBody, response=WhatsAppTemplate, status=201)
def create_template(body: TemplateBody):
    """Add an approved template (name, language, body with {{1}} placeholders, provider ids)."""
    business_id = scoped_business_id(body.business_id)
    row = service.create_template(business_id, body.model_dump(exclude={"business_id"}))
    return jsonify(row.to_dict()), 201


@whatsapp_bp.put("/templates/<int:template_id>")
@roles_required("admin")
@validate(body=TemplatePatch, response=WhatsAppTemplate)
def update_template(template_id: int, body: TemplatePatch):
    """Change a template."""
    business_id = scoped_business_id(body.business_id)
    row = service.update_template(business_id, template_id, body.model_dump(exclude={"business_id"}, exclude_unset=True))
    return jsonify(row.to_dict()), 200


@whatsapp_bp.delete("/templates/<int:template_id>")
@roles_required("admin")
@validate(query=BusinessQuery, response=Ok)
def delete_template(template_id: int, query: BusinessQuery):
    """Remove a template."""
    service.delete_template(scoped_business_id(query.business_id), template_id)
    return jsonify({"ok": True}), 200


@whatsapp_bp.get("/conversations/<int:customer_id>")
@auth_required
@validate(query=BusinessQuery, response=ConversationState)
def get_conversation(customer_id: int, query: BusinessQuery):
    """Who answers this customer's WhatsApp now: the agent or a person (staff)."""
    return jsonify(whatsapp_agent.get_conversation(scoped_business_id(query.business_id), customer_id)), 200


@whatsapp_bp.put("/conversations/<int:customer_id>")
@roles_required("staff", "admin")
@validate(body=ConversationUpdate, response=ConversationState)
def update_conversation(customer_id: int, body: ConversationUpdate):
    """Take the conversation from the agent ("staff") or hand it back ("agent")."""
    business_id = scoped_business_id(body.business_id)
    return jsonify(whatsapp_agent.set_handler(business_id, customer_id, body.handler)), 200

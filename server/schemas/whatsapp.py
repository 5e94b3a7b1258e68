from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, Field

from server.schemas.common import IsoTime, OrmModel
from server.schemas.fields import BusinessIdParam


def _column(name: str, column: str) -> Any:
    """A field the API names `name`, read from a row's `column`."""
    return Field(alias=name, validation_alias=AliasChoices(name, column))


class MessageMedia(OrmModel):
    id: int
    kind: Literal["audio", "image", "video", "document", "sticker", "location", "contacts"]
    status: Literal["pending", "downloading", "ready", "failed", "erased"]
    content_type: str | None = Field(validation_alias=AliasChoices("served_content_type", "content_type"),
                                     description="of the file served at url (MP3 for a converted voice note)")
    size: int | None
    filename: str | None
    url: str | None = Field(description="GET it logged in; null until downloaded, or for location/contacts")
    transcript: str | None
    transcript_status: Literal["pending", "done", "failed"] | None
    details: Annotated[dict[str, Any], BeforeValidator(lambda value: value or {})] = Field(
        description="caption, location (latitude, longitude, name, address), contacts")
    error: str | None


class WhatsAppMessage(OrmModel):
    id: int
    business_id: int | None
    customer_id: int | None
    direction: Literal["inbound", "outbound"]
    status: str
    provider: str
    provider_message_id: str | None
    from_: str | None = _column("from", "from_number")
    to: str | None = _column("to", "to_number")
    text: str | None = _column("text", "body")
    template: str | None = _column("template", "template_name")
    error_code: str | None
    error: str | None
    attempts: int
    flags: Annotated[dict[str, Any], BeforeValidator(lambda value: value or {})] = Field(
        description='visible caveats, e.g. {"dev_transport": true}')
    created_at: IsoTime
    sent_at: IsoTime
    delivered_at: IsoTime
    read_at: IsoTime
    customer_name: str | None = Field(default=None, description="the messages list only")
    media: list[MessageMedia] = Field(default_factory=list, description="attachments: voice notes, images, ...")


class MessagePage(BaseModel):
    items: list[WhatsAppMessage]
    page: int
    limit: int
    total: int


class WhatsAppWindow(BaseModel):
    customer_id: int
    phone: str | None
    open: bool
    until: IsoTime
    last_inbound_at: IsoTime
    provider: str
    enforced: bool


class WhatsAppTransport(BaseModel):
    business_id: int
    configured: str
    provider: str
    delivers: bool
    fallback: str | None
    warning: str | None


class WhatsAppTemplate(OrmModel):
    id: int
    name: str
    language: str
    body: str
    twilio_content_sid: str | None
    meta_template_name: str | None


class TemplateList(BaseModel):
    items: list[WhatsAppTemplate]


class ConversationState(BaseModel):
    customer_id: int
    handler: Literal["agent", "staff"] = Field(description="who answers the customer's WhatsApp now")
    handed_over_at: IsoTime
    handed_over_reason: Literal["customer", "staff", "agent"] | None = Field(
        description="customer: asked for a person; staff: a person replied or took it; agent: could not help")
    agent_setting: Literal["off", "always", "outside_hours"] = Field(
        description="the business's whatsapp_agent setting: whether the agent answers at all")


class ConversationUpdate(BaseModel):
    handler: Literal["agent", "staff"]
    business_id: BusinessIdParam = None

"""Follow-ups that run themselves: each business's automation settings (one model, one default
per key, like BusinessSettings), and campaigns to a filtered list of customers."""
from __future__ import annotations

import logging
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from server.schemas.common import IsoTime, OrmModel
from server.schemas.fields import BusinessIdParam

log = logging.getLogger(__name__)

TEXT_MAX = 1000
MISSED_CALL_TEXT = "שלום, ראינו שהתקשרת אלינו ולא הצלחנו לענות. איך אפשר לעזור? אפשר לכתוב לנו כאן."
AWAY_TEXT = "תודה שכתבת לנו! העסק סגור כרגע, נחזור אליך ברגע שנפתח."
# The approved template a missed-call message uses outside the 24-hour window ({{1}}: the business).
MISSED_CALL_TEMPLATE = "kesher_missed_call"
MISSED_CALL_TEMPLATE_BODY = "שלום, ראינו שהתקשרת ל{{1}} ולא הצלחנו לענות. אפשר להשיב להודעה הזו ונחזור אליך בהקדם."

AutomationKind = Literal["missed_call", "away_message"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ScopeQuery(BaseModel):
    business_id: BusinessIdParam = None


# ---- settings -----------------------------------------------------------------------------

class MissedCallSettings(_Strict):
    """A WhatsApp message to a caller whose call ended without a conversation."""
    enabled: bool = False
    text: str = Field(MISSED_CALL_TEXT, min_length=1, max_length=TEXT_MAX,
                      description="sent inside the 24-hour window; outside it the approved template goes")


class AwayMessageSettings(_Strict):
    """The reply to an inbound WhatsApp while the business is closed (once per closed period)."""
    enabled: bool = False
    text: str = Field(AWAY_TEXT, min_length=1, max_length=TEXT_MAX)


class AutomationSettings(_Strict):
    missed_call: MissedCallSettings = Field(default_factory=MissedCallSettings)
    away_message: AwayMessageSettings = Field(default_factory=AwayMessageSettings)

    @classmethod
    def from_stored(cls, raw: Any) -> "AutomationSettings":
        """A stored row always loads: a part that no longer validates is dropped (logged)."""
        data = raw if isinstance(raw, dict) else {}
        parts = {}
        for key, model in (("missed_call", MissedCallSettings), ("away_message", AwayMessageSettings)):
            try:
                parts[key] = model.model_validate(data.get(key) or {})
            except ValidationError as exc:
                log.warning("automation settings: ignoring stored %s (%s)", key, exc.errors()[0]["msg"])
                parts[key] = model()
        return cls(**parts)


class MissedCallUpdate(_Strict):
    enabled: bool | None = None
    text: str | None = Field(None, min_length=1, max_length=TEXT_MAX)


class AwayMessageUpdate(_Strict):
    enabled: bool | None = None
    text: str | None = Field(None, min_length=1, max_length=TEXT_MAX)


class AutomationSettingsUpdate(_Strict):
    """PUT /api/automations: only the parts and keys sent change."""
    missed_call: MissedCallUpdate | None = None
    away_message: AwayMessageUpdate | None = None

    def changes(self) -> dict[str, dict]:
        return {key: getattr(self, key).model_dump(exclude_unset=True, exclude_none=True)
                for key in ("missed_call", "away_message") if getattr(self, key) is not None}


class AutomationRun(OrmModel):
    id: int
    kind: str
    status: str = Field(description="queued (its WhatsApp message exists) or skipped")
    reason: str | None
    customer_id: int | None
    call_id: int | None
    message_id: int | None
    created_at: IsoTime


class MissedCallTemplateState(BaseModel):
    name: str
    exists: bool
    twilio_content_sid: bool = Field(description="a Twilio business needs the template's ContentSid")


class AutomationsOut(BaseModel):
    business_id: int
    settings: AutomationSettings
    missed_call_template: MissedCallTemplateState
    recent: list[AutomationRun] = Field(description="the latest firings, newest first")


# ---- campaigns ----------------------------------------------------------------------------

class CampaignFilter(_Strict):
    """Which customers: every condition given must hold. Opted-out customers and customers
    without a phone are never included."""
    tag: str | None = Field(None, min_length=1, max_length=64)
    last_contact_before: date | None = Field(None, description="last call or WhatsApp before this Israel date")
    last_contact_after: date | None = Field(None, description="... on or after this Israel date")
    upcoming_appointment: bool | None = Field(None, description="true: has a booked appointment ahead; "
                                                                "false: has none")


class CampaignPreviewBody(_Strict):
    business_id: BusinessIdParam = None
    filters: CampaignFilter = Field(default_factory=CampaignFilter)


class CampaignBody(CampaignPreviewBody):
    name: str = Field(min_length=1, max_length=160)
    template: str = Field(min_length=1, max_length=128, description="an approved template's name")
    variables: dict[str, str] = Field(default_factory=dict, max_length=20)


class CampaignPreview(BaseModel):
    count: int = Field(description="customers the campaign would message")
    opted_out: int = Field(description="customers the filter matches who opted out (not messaged)")


class CampaignCounts(BaseModel):
    total: int
    pending: int
    skipped: int
    queued: int
    sending: int
    sent: int
    delivered: int
    read: int
    failed: int


class Campaign(BaseModel):
    id: int
    business_id: int
    name: str
    template_name: str
    variables: dict[str, str]
    filters: dict[str, Any]
    status: str = Field(description="sending | sent")
    created_at: IsoTime
    finished_at: IsoTime
    counts: CampaignCounts


class CampaignRecipient(BaseModel):
    id: int
    customer_id: int | None
    customer_name: str | None
    status: str = Field(description="pending | skipped | the WhatsApp message's status")
    reason: str | None
    message_id: int | None
    error: str | None


class CampaignDetail(Campaign):
    recipients: list[CampaignRecipient]

"""Automation fixtures: a business with a voice and a WhatsApp number and its switches on."""
from __future__ import annotations

import logging

import pytest

VOICE_NUMBER = "+97235550000"
WA_NUMBER = "+97235550001"
CALLER = "+972545550101"
# Sunday to Thursday 09:00-17:00, Friday 09:00-13:00, closed on Shabbat.
HOURS = {"sun": "09:00-17:00", "mon": "09:00-17:00", "tue": "09:00-17:00", "wed": "09:00-17:00",
         "thu": "09:00-17:00", "fri": "09:00-13:00", "sat": None}


@pytest.fixture(autouse=True)
def _logs(caplog):
    for name in ("server.services.automations", "server.services.automations.runs"):
        logging.getLogger(name).disabled = False


@pytest.fixture()
def business(make_business):
    return make_business("מספרת הדס", voice_number=VOICE_NUMBER, whatsapp_number=WA_NUMBER,
                         settings={"hours": HOURS})


@pytest.fixture()
def enable(db):
    def do(business, **parts):
        from server.schemas.automations import AutomationSettingsUpdate
        from server.services.automations.settings import update_settings
        body = {key: {"enabled": True, **value} for key, value in parts.items()}
        update_settings(business.id, AutomationSettingsUpdate.model_validate(body))
    return do


def call_form(sid: str, status: str | None = None, caller: str = CALLER, **extra) -> dict:
    form = {"CallSid": sid, "From": caller, "To": VOICE_NUMBER, "Direction": "inbound", "AccountSid": "AC" + "0" * 32}
    if status:
        form["CallStatus"] = status
    return {**form, **extra}

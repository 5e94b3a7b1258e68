"""The typed business settings (server/schemas/settings.py): one default per key, one rule per
key with the API's field messages, the stored JSON round trip, and old rows that still load.

Decided: on read a stored key the model does not know (or a value that no longer passes) is
ignored, and its default applies; on write it is refused ("unknown setting")."""
from __future__ import annotations

import pytest
from pydantic import BaseModel

from server.errors import ValidationFailed
from server.schemas.settings import (BusinessSettings, BusinessSettingsUpdate, as_settings,
                                     business_settings)
from server.services.voice.prompts import RECORDING_NOTICE
from server.validation import parse_model


class Body(BaseModel):
    settings: BusinessSettingsUpdate | None = None


def errors(settings: dict) -> dict:
    """{field: (message, code, params)} of a PUT body's settings."""
    with pytest.raises(ValidationFailed) as caught:
        parse_model(Body, {"settings": settings})
    body = caught.value.to_dict()
    return {key: (text, body["field_codes"][key]["code"], body["field_codes"][key]["params"])
            for key, text in body["fields"].items()}


def changes(settings: dict) -> dict:
    return parse_model(Body, {"settings": settings}).settings.changes()


# ---- defaults -------------------------------------------------------------------------------

def test_an_empty_row_has_every_default():
    s = BusinessSettings.from_stored({})
    assert (s.greeting, s.hours, s.agent_name, s.agent_instructions, s.turn_limit) == (None,) * 5
    assert (s.recording_notice, s.transfer_number, s.transfer_timeout, s.voice_mode) == (True, None, 20, "record")
    assert s.spoken_notice == s.notice_text == RECORDING_NOTICE
    assert (s.providers.asr, s.providers.reply, s.providers.tts) == (None, None, None)
    assert s.caller_verification.protected() == ["invoices", "contracts"]
    assert s.retention_days == {"recordings_days": 90, "transcripts_days": 365, "messages_days": 365, "calls_days": 730}
    assert s.stream_tuning.values()["eot_short_ms"] == 300 and s.stream_tuning.values()["vad_threshold"] == 0.5
    assert s.stored() == {}
    assert business_settings(None).stored() == {} and as_settings(None).transfer_timeout == 20


def test_the_turn_limit_is_the_business_s_else_the_deployment_s_else_ten():
    assert BusinessSettings.from_stored({"turn_limit": 4}).resolved_turn_limit(7) == 4
    assert BusinessSettings.from_stored({}).resolved_turn_limit(7) == 7
    assert BusinessSettings.from_stored({}).resolved_turn_limit(None) == 10


def test_the_recording_notice_is_a_flag_or_its_own_text():
    assert BusinessSettings.from_stored({"recording_notice": False}).spoken_notice is None
    assert BusinessSettings.from_stored({"recording_notice": "ההקלטה נשמרת."}).spoken_notice == "ההקלטה נשמרת."
    assert BusinessSettings.from_stored({"recording_notice_text": "שימו לב: מקליטים."}).spoken_notice == "שימו לב: מקליטים."


# ---- each key's rule (the messages the web form shows) -----------------------------------------

@pytest.mark.parametrize("settings,field,expected", [
    ({"turn_limit": 0}, "settings.turn_limit",
     ("a whole number from 1 to 50", "whole_number_range", {"min": 1, "max": 50})),
    ({"turn_limit": True}, "settings.turn_limit",
     ("a whole number from 1 to 50", "whole_number_range", {"min": 1, "max": 50})),
    ({"turn_limit": "5"}, "settings.turn_limit",
     ("a whole number from 1 to 50", "whole_number_range", {"min": 1, "max": 50})),
    ({"transfer_timeout": 61}, "settings.transfer_timeout",
     ("seconds, a whole number from 5 to 60", "seconds_range", {"min": 5, "max": 60})),
    ({"greeting": 5}, "settings.greeting", ("must be text", "not_text", {})),
    ({"greeting": "ש" * 1001}, "settings.greeting", ("at most 1000 characters", "too_long", {"max": 1000})),
    ({"agent_name": "ש" * 81}, "settings.agent_name", ("at most 80 characters", "too_long", {"max": 80})),
    ({"agent_instructions": "ש" * 8001}, "settings.agent_instructions",
     ("at most 8000 characters", "too_long", {"max": 8000})),
    ({"recording_notice": 3}, "settings.recording_notice", ("must be text", "not_text", {})),
    ({"transfer_number": "12"}, "settings.transfer_number", ("invalid phone number", "invalid_phone", {})),
    ({"transfer_number": 5}, "settings.transfer_number", ("phone required", "phone_required", {})),
    ({"voice_mode": "video"}, "settings.voice_mode",
     ("record or stream", "one_of", {"choices": ["record", "stream"]})),
    ({"whatsapp_agent": "sometimes"}, "settings.whatsapp_agent",
     ("off, always or outside_hours", "one_of", {"choices": ["off", "always", "outside_hours"]})),
    ({"language": "fr"}, "settings.language",
     ("one of he, he-IL, en, ar", "one_of", {"choices": ["he", "he-IL", "en", "ar"]})),
    ({"colour": "אדום"}, "settings.colour", ("unknown setting", "unknown_setting", {})),
    ({"colour": None}, "settings.colour", ("unknown setting", "unknown_setting", {})),
    ({"hours": {"sun": "כל היום"}}, "settings.hours.sun", ("HH:MM-HH:MM or null", "hours_span", {})),
    ({"hours": {"yom": "09:00-17:00"}}, "settings.hours.yom",
     ("one of sun, mon, tue, wed, thu, fri, sat", "one_of",
      {"choices": ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]})),
    ({"hours": 5}, "settings.hours", ("must be text", "not_text", {})),
    ({"providers": "openai"}, "settings.providers", ("must be an object", "not_object", {})),
    ({"providers": {"reply": "gpt"}}, "settings.providers.reply",
     ("one of offline, openai", "one_of", {"choices": ["offline", "openai"]})),
    ({"providers": {"vision": "openai"}}, "settings.providers.vision",
     ("unknown provider kind", "unknown_provider_kind", {})),
    ({"retention": 0}, "settings.retention",
     ("days (1..36500) or an object of recordings_days, transcripts_days, messages_days, calls_days in days",
      "retention", {"min": 1, "max": 36500,
                    "keys": ["recordings_days", "transcripts_days", "messages_days", "calls_days"]})),
    ({"retention": {"recordings_days": 7, "forever": 1}}, "settings.retention",
     ("days (1..36500) or an object of recordings_days, transcripts_days, messages_days, calls_days in days",
      "retention", {"min": 1, "max": 36500,
                    "keys": ["recordings_days", "transcripts_days", "messages_days", "calls_days"]})),
    ({"stream_tuning": []}, "settings.stream_tuning",
     ("an object of vad_threshold, min_speech_ms, asr_start_ms, eot_short_ms, eot_silence_ms, eot_long_ms, "
      "barge_in_ms, max_utterance_ms", "not_object", {})),
    ({"stream_tuning": {"eot_short_ms": 50}}, "settings.stream_tuning.eot_short_ms",
     ("a number from 100 to 3000", "number_range", {"min": 100, "max": 3000})),
    ({"stream_tuning": {"colour": 1}}, "settings.stream_tuning.colour", ("unknown setting", "unknown_setting", {})),
    ({"caller_verification": {}}, "settings.caller_verification",
     ("an object of invoices, contracts, tasks (true or false)", "not_object", {})),
    ({"caller_verification": {"invoices": "כן"}}, "settings.caller_verification.invoices",
     ("true or false", "true_or_false", {})),
    ({"caller_verification": {"money": True}}, "settings.caller_verification.money",
     ("one of invoices, contracts, tasks", "one_of", {"choices": ["invoices", "contracts", "tasks"]})),
])
def test_each_key_s_rule_answers_its_field_message(settings, field, expected):
    assert errors(settings) == {field: expected}


def test_every_bad_key_is_named_at_once():
    assert set(errors({"turn_limit": 0, "colour": "red", "hours": {"sun": "x", "mon": "y"}})) == {
        "settings.turn_limit", "settings.colour", "settings.hours.sun", "settings.hours.mon"}


def test_an_update_holds_only_the_keys_sent_cleaned_and_null_removes():
    assert changes({"greeting": "  שלום, הגעתם למספרה  ", "transfer_number": "050-765-4321", "turn_limit": None,
                    "hours": {"sun": " 09:00-17:00 ", "sat": None}, "providers": {"reply": "openai", "tts": None},
                    "retention": 30, "stream_tuning": {"eot_long_ms": 2000}}) == {
        "greeting": "שלום, הגעתם למספרה", "transfer_number": "+972507654321", "turn_limit": None,
        "hours": {"sun": "09:00-17:00", "sat": None}, "providers": {"reply": "openai"}, "retention": 30,
        "stream_tuning": {"eot_long_ms": 2000}}
    assert changes({}) == {}


# ---- stored JSON ------------------------------------------------------------------------------

def test_stored_json_round_trips_exactly():
    stored = {"greeting": "שלום", "hours": {"sun": "09:00-17:00", "fri": None}, "agent_name": "רותי",
              "turn_limit": 6, "recording_notice": "ההקלטה נשמרת.", "transfer_number": "+972507654321",
              "transfer_timeout": 15, "providers": {"asr": "openai"}, "voice_mode": "stream",
              "retention": {"recordings_days": 30}, "language": "he", "stream_tuning": {"vad_threshold": 0.6},
              "caller_verification": {"tasks": True}}
    settings = BusinessSettings.from_stored(stored)
    assert settings.stored() == stored
    assert BusinessSettings.from_stored(settings.stored()).stored() == stored
    assert settings.caller_verification.protected() == ["invoices", "contracts", "tasks"]
    assert settings.retention_days["recordings_days"] == 30 and settings.retention_days["calls_days"] == 730
    assert BusinessSettings.from_stored({"hours": "א׳–ה׳ 9–17"}).hours_value == "א׳–ה׳ 9–17"


def test_an_old_row_with_unknown_or_no_longer_valid_keys_still_loads():
    old = {"colour": "אדום", "turn_limit": 80, "greeting": "שלום", "hours": None,
           "retention": {"recordings_days": 7, "messages_days": "30", "forever": 1},
           "stream_tuning": {"eot_short_ms": 250, "legacy_ms": 5}, "providers": {"reply": "gpt", "tts": "google"}}
    settings = BusinessSettings.from_stored(old)
    assert settings.greeting == "שלום" and settings.turn_limit is None and settings.hours is None
    assert settings.retention_days["recordings_days"] == 7 and settings.retention_days["messages_days"] == 365
    assert settings.stream_tuning.values()["eot_short_ms"] == 250
    assert (settings.providers.reply, settings.providers.tts) == (None, "google")
    assert settings.stored() == {"greeting": "שלום", "providers": {"tts": "google"},
                                 "retention": {"recordings_days": 7}, "stream_tuning": {"eot_short_ms": 250}}
    assert BusinessSettings.from_stored("not an object").stored() == {}


# ---- through the API: the business body is typed, its answers unchanged ------------------------

def test_the_business_body_keeps_the_seed_s_400_and_its_422s(client, db, login_as, make_business):
    business = make_business("מספרת רותי", settings={"colour": "אדום", "greeting": "שלום"})
    login_as("admin")
    r = client.put(f"/api/businesses/{business.id}", json={"name": 5})
    assert (r.status_code, r.get_json()) == (400, {"error": "invalid name", "code": "invalid_name"})
    r = client.put(f"/api/businesses/{business.id}", json={"whatsapp_provider": None, "voice_number": 5})
    assert r.status_code == 422
    assert r.get_json()["field_codes"] == {
        "whatsapp_provider": {"code": "one_of", "params": {"choices": ["dev", "twilio", "meta"]}},
        "voice_number": {"code": "phone_required", "params": {}}}
    # an old row's unknown key is not shown, and is gone after the next change
    r = client.get(f"/api/businesses/{business.id}")
    assert r.get_json()["settings"] == {"greeting": "שלום"}
    r = client.put(f"/api/businesses/{business.id}", json={"voice_number": "03-372-0001",
                                                           "settings": {"turn_limit": 5}})
    assert r.status_code == 200 and r.get_json()["voice_number"] == "+97233720001"
    db.session.refresh(business)
    assert business.settings == {"greeting": "שלום", "turn_limit": 5}
    r = client.put(f"/api/businesses/{business.id}", json={"voice_number": "  "})
    assert r.get_json()["voice_number"] is None

"""Issue 8: the agent's settings API, trying the agent without a phone (API and CLI)."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from server.models import AuditEntry, CallLog, Customer, Task
from server.tests.voice.conftest import RECORDING

HOURS = {"sun": "09:00-17:00", "mon": "09:00-17:00", "tue": "09:00-17:00", "wed": "09:00-17:00",
         "thu": "09:00-17:00", "fri": "08:00-13:00"}


@pytest.fixture()
def agent_setup(app, monkeypatch, voice_config, fake_server):
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    return fake_server


# ---- POST /api/agent/try ------------------------------------------------------------------

@pytest.mark.parametrize("role,status", [("staff", 200), ("admin", 200), ("viewer", 403)])
def test_trying_the_agent_is_for_staff_and_admins(client, db, login_as, make_business, agent_setup, role, status):
    business = make_business("מספרת רותי", settings={"hours": HOURS})
    login_as(role, business=business)
    response = client.post("/api/agent/try", json={"text": "מתי אתם פתוחים?"})
    assert response.status_code == status, response.get_json()


def test_trying_the_agent_needs_a_login(client, db):
    assert client.post("/api/agent/try", json={"text": "שלום"}).status_code == 401


def test_text_try_answers_from_the_callers_record_and_writes_nothing(
        client, db, login_as, make_business, make_customer, agent_setup):
    business = make_business("מספרת רותי", settings={"hours": HOURS})
    make_customer(business, name="דנה כהן", phone="+972502345678")
    login_as("staff", business=business)
    before = db.session.scalar(select(func.count(Customer.id)))
    body = client.post("/api/agent/try", json={"text": "תחזרו אליי בבקשה, ומתי אתם פתוחים?",
                                               "from": "050-234-5678"}).get_json()
    assert body["transcript"] == "תחזרו אליי בבקשה, ומתי אתם פתוחים?"
    assert body["reply"].startswith("שלום דנה!") and "ראשון עד חמישי 09:00 עד 17:00" in body["reply"]
    assert body["providers"] == {"asr": None, "reply": "offline", "tts": "espeak"}
    assert set(body["latencies"]) >= {"reply_ms", "tts_ms", "total_ms"} and body["timings"] == body["latencies"]
    assert body["fallbacks"] == [] and body["customer"]["name"] == "דנה כהן"
    assert body["actions"] == [{"type": "callback", "note": "תחזרו אליי בבקשה, ומתי אתם פתוחים?"}]
    audio = client.get(body["audio_url"].replace("http://localhost", ""))
    assert audio.status_code == 200 and audio.mimetype == "audio/mpeg" and len(audio.data) > 2000
    # A try is a dry run: no task, no call, no lead.
    assert db.session.scalar(select(func.count(Task.id))) == 0
    assert db.session.scalar(select(func.count(CallLog.id))) == 0
    assert db.session.scalar(select(func.count(Customer.id))) == before


def test_audio_try_transcribes_the_upload(client, db, login_as, make_business, agent_setup):
    agent_setup.route("POST", "/v1/audio/transcriptions", body={"text": "מתי אתם פתוחים?"})
    login_as("staff", business=make_business("מספרת רותי", settings={"hours": HOURS}))
    response = client.post("/api/agent/try", data={"audio": (io.BytesIO(RECORDING), "recording.webm"),
                                                   "from": "0501234567"}, content_type="multipart/form-data")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["transcript"] == "מתי אתם פתוחים?" and body["providers"]["asr"] == "openai"
    assert "שעות הפעילות שלנו" in body["reply"] and body["customer"] is None
    upload = [r for r in agent_setup.requests if r.path == "/v1/audio/transcriptions"][0]
    assert b"recording.webm" in upload.body


def test_try_refuses_nothing_to_say_and_a_bad_phone(client, db, login_as, agent_setup):
    login_as("staff")
    response = client.post("/api/agent/try", json={"text": "  ", "from": "12"})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"text", "from"}
    response = client.post("/api/agent/try", data={"from": "0501234567"}, content_type="multipart/form-data")
    assert response.status_code == 422 and "audio" in response.get_json()["fields"]


def test_a_platform_admin_tries_a_chosen_business(client, db, login_as, make_business, agent_setup):
    business = make_business("מספרת רותי", settings={"hours": HOURS})
    login_as("admin")
    assert client.post("/api/agent/try", json={"text": "שלום"}).status_code == 422
    response = client.post(f"/api/agent/try?business_id={business.id}", json={"text": "מתי אתם פתוחים?"})
    assert response.status_code == 200 and "שעות הפעילות" in response.get_json()["reply"]


# ---- GET/PUT /api/agent/settings ------------------------------------------------------------

def test_settings_show_the_defaults_the_agent_uses(client, db, login_as, make_business, voice_config):
    login_as("staff", business=make_business())
    body = client.get("/api/agent/settings").get_json()
    assert body["stored"] == {}
    settings = body["settings"]
    assert settings["recording_notice"] is True and settings["turn_limit"] == 10 and settings["transfer_timeout"] == 20
    assert settings["recording_notice_text"] == "לידיעתך, השיחה מוקלטת לצורך שיפור השירות."
    assert settings["providers"] == {"asr": "openai", "reply": "offline", "tts": "espeak"}


def test_the_business_admin_edits_the_agent_and_it_is_audited(client, db, login_as, make_business, voice_config):
    business = make_business(settings={"retention": 30})
    login_as("admin", business=business)
    response = client.put("/api/agent/settings", json={
        "greeting": "שלום, הגעתם למספרת רותי", "agent_name": "רותי", "agent_instructions": "דברי בנימוס",
        "turn_limit": 4, "recording_notice": False, "transfer_number": "052-345-6789", "transfer_timeout": 15,
        "hours": HOURS, "providers": {"reply": "openai"}})
    assert response.status_code == 200, response.get_json()
    settings = response.get_json()["settings"]
    assert settings["transfer_number"] == "+972523456789" and settings["turn_limit"] == 4
    assert settings["providers"]["reply"] == "openai" and settings["recording_notice"] is False
    db.session.refresh(business)
    assert business.settings["retention"] == 30 and business.settings["agent_name"] == "רותי"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "business").order_by(AuditEntry.id)).all()[-1]
    assert "settings.turn_limit" in entry.details["fields"]
    # null removes a setting
    client.put("/api/agent/settings", json={"greeting": None})
    db.session.refresh(business)
    assert "greeting" not in business.settings


@pytest.mark.parametrize("body,field", [
    ({"turn_limit": 0}, "settings.turn_limit"),
    ({"providers": {"reply": "gpt"}}, "settings.providers.reply"),
    ({"hours": {"sun": "9 to 5"}}, "settings.hours.sun"),
    ({"transfer_number": "12"}, "settings.transfer_number"),
    ({"retention": 5}, "retention"),
])
def test_invalid_agent_settings_are_422(client, db, login_as, make_business, body, field):
    login_as("admin", business=make_business())
    response = client.put("/api/agent/settings", json=body)
    assert response.status_code == 422 and field in response.get_json()["fields"], response.get_json()


@pytest.mark.parametrize("data,content_type", [
    ('["turn_limit", 3]', "application/json"),
    ("{not json", "application/json"),
    ("turn_limit=3", "text/plain"),
    ("", "application/json"),
])
def test_a_body_that_is_not_a_json_object_keeps_its_422(client, db, login_as, make_business, agent_setup,
                                                        data, content_type):
    """The routes' own answers from before their bodies had schemas (not json_body's 400/415)."""
    login_as("admin", business=make_business())
    settings = client.put("/api/agent/settings", data=data, content_type=content_type)
    tried = client.post("/api/agent/try", data=data, content_type=content_type)
    assert (settings.status_code, settings.get_json()) == (422, {
        "error": "validation", "code": "validation", "fields": {"body": "must be an object"},
        "field_codes": {"body": {"code": "not_object", "params": {}}}})
    assert (tried.status_code, tried.get_json()["fields"]) == (422, {"text": "text or audio required"})


def test_an_unknown_agent_setting_is_named_in_the_422(client, db, login_as, make_business):
    login_as("admin", business=make_business())
    response = client.put("/api/agent/settings", json={"greeting": "שלום", "voice_mode": "stream"})
    assert (response.status_code, response.get_json()["fields"]) == (422, {"voice_mode": "not an agent setting"})


def test_a_nul_character_in_a_setting_or_a_try_is_422_and_changes_nothing(client, db, login_as, make_business):
    business = make_business()
    login_as("admin", business=business)
    before = client.get("/api/agent/settings").get_json()
    response = client.put("/api/agent/settings", json={"greeting": "שלום\x00עולם"})
    assert (response.status_code, response.get_json()["fields"]) == (422, {"greeting": "must not contain a NUL character"})
    assert client.get("/api/agent/settings").get_json() == before
    tried = client.post("/api/agent/try", json={"text": "מתי\x00אתם פתוחים?"})
    assert (tried.status_code, tried.get_json()["fields"]) == (422, {"text": "must not contain a NUL character"})


def test_staff_cannot_change_agent_settings_nor_another_business(client, db, login_as, make_business):
    mine, other = make_business(), make_business()
    login_as("staff", business=mine)
    assert client.put("/api/agent/settings", json={"turn_limit": 3}).status_code == 403
    assert client.get(f"/api/agent/settings?business_id={other.id}").status_code == 404


# ---- flask agent say | listen ---------------------------------------------------------------

def test_cli_say_prints_the_reply_audio_file_and_times(app, db, make_business, make_customer, agent_setup):
    business = make_business("מספרת רותי", settings={"hours": HOURS, "caller_verification": {"contracts": False}})
    make_customer(business, name="דנה כהן", phone="+972501234567")
    result = app.test_cli_runner().invoke(args=["agent", "say", "מה הסטטוס של ההזמנה שלי?", "--from", "0501234567"])
    assert result.exit_code == 0, result.output
    assert "reply:      שלום דנה!" in result.output and "לא מצאתי הזמנה פתוחה על שמך" in result.output
    audio_line = [line for line in result.output.splitlines() if line.startswith("audio:")][0]
    path = audio_line.split()[1]
    with open(path, "rb") as handle:
        assert len(handle.read()) > 2000
    assert "reply_ms=" in result.output and "tts_ms=" in result.output


def test_cli_listen_transcribes_a_file(app, db, make_business, agent_setup, tmp_path):
    agent_setup.route("POST", "/v1/audio/transcriptions", body={"text": "מתי אתם פתוחים?"})
    make_business("מספרת רותי", settings={"hours": HOURS})
    wav = tmp_path / "question.wav"
    wav.write_bytes(RECORDING)
    result = app.test_cli_runner().invoke(args=["agent", "listen", str(wav)])
    assert result.exit_code == 0, result.output
    assert "transcript: מתי אתם פתוחים?" in result.output and "שעות הפעילות שלנו" in result.output
    assert "asr_ms=" in result.output


def test_cli_needs_a_business_when_there_are_several(app, db, make_business):
    make_business(), make_business()
    result = app.test_cli_runner().invoke(args=["agent", "say", "שלום"])
    assert result.exit_code != 0 and "--business" in result.output

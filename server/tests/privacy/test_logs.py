"""Logs carry no phone number, transcript or message text in full: proven on the log file
itself (the masking filter sits on the handlers), after real webhook traffic."""
from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from server.logging_setup import mask_text
from server.tests.voice.conftest import call_form, fake_server, voice_business, voice_config  # noqa: F401

CALLER = "+972502345678"
CALLER_FORMS = (CALLER, "972502345678", "0502345678", "050-234-5678", "502345678")
TRANSCRIPT = "שלום, כאן רחל מזרחי, תעודת הזהות שלי 012345678 ואני רוצה לבטל את ההזמנה"
RECORDING = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 200


class LogFile:
    """What the app's log file gained since the start: the text an operator would read."""

    def __init__(self, app):
        # The file the process is logging to now: logging is per process, and an earlier test
        # (server/tests/test_logging.py) may have pointed it away from this app's LOG_DIR.
        files = [h.baseFilename for h in logging.getLogger().handlers
                 if getattr(h, "_kesher", False) and hasattr(h, "baseFilename")]
        self.path = Path(files[0]) if files else Path(app.config["LOG_DIR"]) / "kesher.log"
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def read(self) -> str:
        for handler in logging.getLogger().handlers:
            handler.flush()
        with open(self.path, encoding="utf-8") as f:
            f.seek(self.offset)
            return f.read()


@pytest.fixture()
def log_file(app):
    return LogFile(app)


def _assert_clean(text: str, *secrets: str):
    for value in CALLER_FORMS + secrets:
        assert value not in text, f"{value!r} reached the log:\n{text}"


def test_a_call_leaves_no_phone_or_transcript_in_the_log(client, db, app, monkeypatch, voice_config,  # noqa: F811
                                                          fake_server, voice_business, log_file):  # noqa: F811
    from server.models import CallTurn
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    fake_server.route("GET", "/rec/RE1.mp3", body=RECORDING, headers={"Content-Type": "audio/mpeg"})
    fake_server.route("POST", "/v1/audio/transcriptions", body={"text": TRANSCRIPT})
    form = call_form(caller=CALLER)
    assert client.post("/webhook/incoming_call", data=form).status_code == 200
    assert client.post("/webhook/handle_recording", data={**form, "RecordingUrl": f"{fake_server.url}/rec/RE1"}
                       ).status_code == 200
    # A second turn whose transcription fails: the fallback is logged.
    fake_server.route("POST", "/v1/audio/transcriptions", status=500, body={"error": {"message": TRANSCRIPT}})
    client.post("/webhook/handle_recording", data={**form, "RecordingUrl": f"{fake_server.url}/rec/RE1"})
    turns = db.session.scalars(select(CallTurn).order_by(CallTurn.index)).all()
    assert turns[0].transcript == TRANSCRIPT  # the data is stored...
    text = log_file.read()
    assert "call CA0001 started" in text and "asr fell back" in text  # ...and the log did record the call
    _assert_clean(text, TRANSCRIPT, "רחל מזרחי", "012345678", turns[0].reply)


def test_a_database_error_logs_no_parameters(client, db, app, log_file):
    """SQLAlchemy puts a failed statement's parameters in the exception text unless told not to."""
    from sqlalchemy.exc import IntegrityError

    from server.models import CallTurn
    db.session.add(CallTurn(call_id=987654, index=0, transcript=TRANSCRIPT))
    with pytest.raises(IntegrityError) as caught:
        db.session.commit()
    db.session.rollback()
    logging.getLogger("server.test").error("insert failed", exc_info=caught.value)
    text = log_file.read()
    assert "insert failed" in text and "IntegrityError" in text
    assert TRANSCRIPT not in text and TRANSCRIPT not in str(caught.value)


def test_search_queries_in_request_lines_are_masked():
    line = '127.0.0.1 - - "GET /api/crm/customers?page=1&q=רחל%20מזרחי&limit=25 HTTP/1.1" 200'
    masked = mask_text(line)
    assert "רחל" not in masked and "page=1&q=***&limit=25" in masked
    assert "token=***" in mask_text("GET /api/crm/exports/3/download?token=eyJlIjozfQ.abc.def HTTP/1.1")


@pytest.mark.parametrize("line, kept", [
    ("twilio POST From=whatsapp:+972545551234", "whatsapp:+***234"),
    ("reply to:+972545551234 queued", "to:+***234"),
    ("callback tel:054-555-1234", "tel:***234"),
    ("To=whatsapp%3A%2B972545551234&Body=x", "%2B***234"),
    ("From=%2b972545551234", "%2b***234"),
    ("הלקוח ביקש שיחזרו אליו ל-054 555 1234 מחר", "***234"),
    ("number +972 54-555-1234 unreachable", "+***234"),
    ("number +972 54 555 1234, 2 attempts", "+***234, 2 attempts"),
    ("WaId 972545551234", "WaId ***234"),
    ("office 03 555 1234 closed", "***234"),
    ("+972545551234 10 minutes late", "+***234 10 minutes late"),
])
def test_phone_numbers_are_masked_in_every_shape_a_log_line_carries(line, kept):
    masked = mask_text(line)
    assert "5551234" not in re.sub(r"\D", "", masked), masked
    assert kept in masked


@pytest.mark.parametrize("line", [
    "2026-11-25 10:00:00,123 INFO [server.tasks] retention purge at 2026-11-25T02:17:00+02:00",
    "invoice 0001234567 issued: 11800 agorot, total 1,234,567.89 ₪, allocation 123456789",
    "whatsapp 1234567 attempt 3 via twilio failed (20503 Service Unavailable); next try in 0.4s",
    "call CA0123456789abcdef0123456789abcdef turn 2 took 1234567 us, user id 501234567",
    "customer 45123 of business 7 erased; counts 10 20 30 40",
    "price 0.501234567 and version 1.0501234567 and ref INV-0501234567",
    "+1 5 items; -972545551234.5 offset",
])
def test_numbers_that_are_not_phones_stay_readable(line):
    assert mask_text(line) == line


def test_migrations_inside_the_app_keep_the_masking_log_handlers(app):
    """Alembic's fileConfig used to replace the root handlers (and their masking filter)."""
    from server.db_migrate import upgrade_database
    with app.app_context():
        upgrade_database()
    root = logging.getLogger()
    assert any(getattr(h, "_kesher", False) for h in root.handlers)
    ours = [h for h in root.handlers if not type(h).__module__.startswith("_pytest")]
    assert ours and all(getattr(h, "_kesher", False) for h in ours)
    assert not logging.getLogger("server.services.voice").disabled

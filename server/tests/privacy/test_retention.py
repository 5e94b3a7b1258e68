from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from server.models import AuditEntry, CallLog, CallTurn, WhatsAppMsg
from server.services.privacy.retention import DEFAULTS, purge_all, purge_business, retention_days

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


def _call(db, app, business, started, tag, make_audio=True):
    import secrets
    directory = Path(app.config["MEDIA_DIR"]) / "voice"
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.mp3"
    (directory / name).write_bytes(b"audio " + tag.encode())
    call = CallLog(call_sid=f"CA{secrets.token_hex(10)}", business_id=business.id if business else None,
                   from_number="+972501234567", to_number=business.voice_number if business else None, started_at=started, summary=f"סיכום {tag}",
                   recording_url=f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE{tag}")
    db.session.add(call)
    db.session.flush()
    db.session.add(CallTurn(call_id=call.id, index=0, transcript=f"תמליל {tag}", reply=f"תשובה {tag}",
                            recording_url=call.recording_url, audio_url=f"https://k.example/media/voice/{name}"))
    db.session.commit()
    return call, directory / name


def _message(db, business, created, tag, direction="inbound", error=None):
    own = business.whatsapp_number if business else None
    person = "+972501234567"
    message = WhatsAppMsg(business_id=business.id if business else None, direction=direction,
                          status="failed" if error else "delivered", provider="dev", error=error,
                          error_code="63024" if error else None,
                          from_number=person if direction == "inbound" else own,
                          to_number=own if direction == "inbound" else person,
                          body=f"הודעה {tag}", created_at=created,
                          flags={"media": [f"https://media.example/{tag}.jpg"], "dev_transport": True})
    db.session.add(message)
    db.session.commit()
    return message


def test_defaults_one_period_for_all_and_invalid_settings_fall_back():
    assert retention_days({}) == DEFAULTS == {"recordings_days": 90, "transcripts_days": 365,
                                              "messages_days": 365, "calls_days": 730}
    assert retention_days({"retention": 30}) == {"recordings_days": 30, "transcripts_days": 30,
                                                 "messages_days": 30, "calls_days": 30}
    assert retention_days({"retention": {"recordings_days": 7, "messages_days": "30", "transcripts_days": 0,
                                         "other": 5}}) == {**DEFAULTS, "recordings_days": 7}
    assert retention_days({"retention": True}) == DEFAULTS


def test_purge_removes_exactly_the_expired_items(app, db, make_business):
    business = make_business(voice_number="+97235550000", whatsapp_number="+972535550000", settings={"retention": {
        "recordings_days": 30, "transcripts_days": 60, "messages_days": 90, "calls_days": 120}})
    edge = timedelta(seconds=1)
    # Just past each limit → purged; just inside → kept.
    old_rec, old_rec_file = _call(db, app, business, NOW - timedelta(days=30) - edge, "rec-expired")
    new_rec, new_rec_file = _call(db, app, business, NOW - timedelta(days=30) + edge, "rec-kept")
    old_tr, _ = _call(db, app, business, NOW - timedelta(days=60) - edge, "tr-expired")
    old_call, _ = _call(db, app, business, NOW - timedelta(days=120) - edge, "call-expired")
    old_msg = _message(db, business, NOW - timedelta(days=90) - edge, "msg-expired")
    new_msg = _message(db, business, NOW - timedelta(days=90) + edge, "msg-kept")
    old_out = _message(db, business, NOW - timedelta(days=90) - edge, "out-expired", direction="outbound",
                       error="The 'To' number +972501234567 is not a valid WhatsApp user")
    new_out = _message(db, business, NOW - timedelta(days=90) + edge, "out-kept", direction="outbound")

    counts = purge_business(business.id, business.settings, now=NOW)
    assert counts == {"recordings": 3, "transcripts": 2, "messages": 2, "call_numbers": 1, "audio_files": 3}
    db.session.expire_all()

    def turn(call):
        return db.session.scalars(select(CallTurn).where(CallTurn.call_id == call.id)).one()

    # 30 days: recording links and audio gone; the transcript (60 days) stays.
    assert (turn(old_rec).recording_url, turn(old_rec).audio_url, db.session.get(CallLog, old_rec.id).recording_url) \
        == (None, None, None)
    assert turn(old_rec).transcript == "תמליל rec-expired"
    assert not old_rec_file.exists()
    assert turn(new_rec).audio_url and turn(new_rec).recording_url and new_rec_file.exists()
    assert turn(new_rec).transcript == "תמליל rec-kept"
    # 60 days: transcript, reply and summary gone too; the call itself stays.
    t = turn(old_tr)
    assert (t.transcript, t.reply, db.session.get(CallLog, old_tr.id).summary) == (None, None, None)
    assert db.session.get(CallLog, old_tr.id).started_at == old_tr.started_at
    # 120 days: the caller's number goes; the business's own number stays.
    assert (db.session.get(CallLog, old_call.id).from_number, db.session.get(CallLog, old_call.id).to_number) \
        == (None, "+97235550000")
    assert db.session.get(CallLog, old_tr.id).from_number == "+972501234567"
    # 90 days: the message text goes, the message record stays.
    assert db.session.get(WhatsAppMsg, old_msg.id).body is None
    assert db.session.get(WhatsAppMsg, old_msg.id).status == "delivered"
    assert db.session.get(WhatsAppMsg, old_msg.id).flags == {"dev_transport": True}  # media links go too
    assert db.session.get(WhatsAppMsg, new_msg.id).flags["media"] == ["https://media.example/msg-kept.jpg"]
    assert db.session.get(WhatsAppMsg, new_msg.id).body == "הודעה msg-kept"
    # ...and so does the person's number, either way; the business's own number stays.
    for message, kept in ((old_msg, ("inbound", None, "+972535550000")),
                          (old_out, ("outbound", "+972535550000", None))):
        row = db.session.get(WhatsAppMsg, message.id)
        assert (row.direction, row.from_number, row.to_number) == kept
    out = db.session.get(WhatsAppMsg, old_out.id)
    assert (out.status, out.error_code, out.error, out.body) == ("failed", "63024", None, None)
    assert db.session.get(WhatsAppMsg, new_msg.id).from_number == "+972501234567"
    assert db.session.get(WhatsAppMsg, new_out.id).to_number == "+972501234567"

    entry, remote = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "retention_purge")
                                       .order_by(AuditEntry.id)).all()
    assert entry.business_id == business.id and entry.actor_role == "system"
    assert entry.details["messages"] == 2 and entry.details["days"]["recordings_days"] == 30
    # One Twilio recording per expired call (the call's and its turn's link are the same).
    assert entry.details["remote_recordings"] == 3
    # Without Twilio credentials the recording stays at Twilio: audited, not hidden.
    assert remote.details == {"stage": "remote_recordings", "deleted": 0, "already_gone": 0, "failed": 3,
                              "reasons": ["no Twilio credentials"]}
    # Running again finds nothing more and writes no entry.
    assert purge_business(business.id, business.settings, now=NOW) == {
        "recordings": 0, "transcripts": 0, "messages": 0, "call_numbers": 0, "audio_files": 0}
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "retention_purge")).all()) == 2


def test_each_business_keeps_its_own_period(app, db, make_business):
    short = make_business(settings={"retention": {"messages_days": 10}})
    default = make_business()
    short_msg = _message(db, short, NOW - timedelta(days=20), "short")
    default_msg = _message(db, default, NOW - timedelta(days=20), "default")
    orphan_msg = _message(db, None, NOW - timedelta(days=400), "orphan")
    results = purge_all(now=NOW)
    db.session.expire_all()
    assert db.session.get(WhatsAppMsg, short_msg.id).body is None
    assert db.session.get(WhatsAppMsg, default_msg.id).body == "הודעה default"
    assert db.session.get(WhatsAppMsg, orphan_msg.id).body is None
    assert results[short.id]["messages"] == 1 and results[default.id]["messages"] == 0


def test_purge_logs_what_it_did_without_content(app, db, make_business, caplog):
    business = make_business(settings={"retention": 1})
    _message(db, business, NOW - timedelta(days=2), "יומן")
    with caplog.at_level("INFO"):
        purge_business(business.id, business.settings, now=NOW)
    text = caplog.text
    assert f"retention purge for business {business.id}" in text
    assert "יומן" not in text and "501234567" not in text


def test_the_nightly_job_is_registered_with_huey():
    from server.extensions import huey
    from server.tasks import privacy
    periodic = {task.name for task in huey._registry.periodic_tasks}
    assert "retention_purge_task" in periodic
    # 02:17 every night, not every minute.
    task = privacy.retention_purge_task.task_class()
    assert task.validate_datetime(datetime(2026, 1, 1, 2, 17)) and not task.validate_datetime(datetime(2026, 1, 1, 2, 18))


def test_an_expired_message_whose_text_is_already_gone_loses_its_number_too(app, db, make_business):
    """Bodies purged by an earlier version kept the person's number: the next purge takes it."""
    business = make_business(whatsapp_number="+972535550000", settings={"retention": {"messages_days": 30}})
    old = _message(db, business, NOW - timedelta(days=31), "ישן")
    old.body, old.flags = None, {}
    db.session.commit()
    assert purge_business(business.id, business.settings, now=NOW)["messages"] == 1
    db.session.expire_all()
    row = db.session.get(WhatsAppMsg, old.id)
    assert (row.from_number, row.to_number, row.status) == (None, "+972535550000", "delivered")
    assert purge_business(business.id, business.settings, now=NOW)["messages"] == 0

"""WhatsApp media: voice notes, images and documents, in and out, against local fake
Twilio/Meta servers (and a fake speech-to-text server) on 127.0.0.1."""
from __future__ import annotations

import json
import shutil
import subprocess
from datetime import timedelta

import pytest

from server.models import WhatsAppMedia, WhatsAppMsg
from server.models.base import utcnow
from server.tests.voice.conftest import serving
from server.tests.whatsapp.conftest import (
    CUSTOMER_PHONE, META_PHONE_ID, TWILIO_NUMBER, meta_inbound, post_meta, post_twilio,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n% a test document\n"
TRANSCRIPT = "שלום, אפשר לקבוע תור למחר בבוקר?"


@pytest.fixture(scope="session")
def voice_note() -> bytes:
    """A real WhatsApp-style voice note: one second of OGG/Opus, made by ffmpeg."""
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        pytest.fail("ffmpeg is a system dependency and is missing")
    result = subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                             "sine=frequency=440:duration=1", "-ac", "1", "-ar", "16000", "-c:a", "libopus",
                             "-b:a", "16k", "-f", "ogg", "pipe:1"], capture_output=True, check=True)
    assert result.stdout[:4] == b"OggS"
    return result.stdout


@pytest.fixture()
def media_config(app, monkeypatch, tmp_path):
    for key, value in {"WHATSAPP_MEDIA_HOSTS": "127.0.0.1", "WHATSAPP_MEDIA_TIMEOUT": 2.0,
                       "WHATSAPP_MEDIA_RETRY_BASE_SECONDS": 0.2, "WHATSAPP_MEDIA_MAX_ATTEMPTS": 3,
                       "WHATSAPP_MEDIA_LEASE_SECONDS": 3.0, "MEDIA_DIR": str(tmp_path / "media")}.items():
        monkeypatch.setitem(app.config, key, value)
    return tmp_path / "media"


@pytest.fixture()
def asr(app, monkeypatch):
    """OpenAI's /audio/transcriptions on 127.0.0.1, answering TRANSCRIPT."""
    with serving() as server:
        server.route("POST", "/audio/transcriptions", body={"text": TRANSCRIPT})
        for key, value in {"ASR_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test-not-a-real-key",
                           "OPENAI_BASE_URL": server.url, "PROVIDER_TIMEOUT": 2}.items():
            monkeypatch.setitem(app.config, key, value)
        yield server


def meta_voice_note(wamid: str, media_id: str) -> dict:
    payload = meta_inbound(wamid, "")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message.update(type="audio", audio={"mime_type": "audio/ogg; codecs=opus", "sha256": "abc=", "id": media_id,
                                        "voice": True})
    return payload


def twilio_media_form(fake, media_id: str, content_type: str, sid: str = "SM" + "c" * 32, body: str = "") -> dict:
    return {"MessageSid": sid, "SmsStatus": "received", "From": f"whatsapp:{CUSTOMER_PHONE}",
            "To": f"whatsapp:{TWILIO_NUMBER}", "Body": body, "NumMedia": "1", "ProfileName": "דנה",
            "MediaUrl0": fake.media_url(media_id), "MediaContentType0": content_type}


def _only_media(db) -> WhatsAppMedia:
    rows = db.session.query(WhatsAppMedia).all()
    assert len(rows) == 1
    db.session.refresh(rows[0])
    return rows[0]


# ---- inbound ---------------------------------------------------------------------------

def test_meta_voice_note_is_downloaded_converted_to_mp3_and_transcribed(
        client, db, meta_business, fake_meta, media_config, asr, voice_note, login_as):
    fake_meta.media["1037543291543636"] = (voice_note, "audio/ogg")
    assert post_meta(client, meta_voice_note("wamid.VOICE1", "1037543291543636")).status_code == 200

    media = _only_media(db)
    assert (media.status, media.kind, media.content_type, media.size) == ("ready", "audio", "audio/ogg",
                                                                          len(voice_note))
    assert fake_meta.media_auth == [f"Bearer {fake_meta.access_token}"]
    original = media_config / media.storage_key
    assert original.read_bytes() == voice_note
    import hashlib
    assert media.sha256 == hashlib.sha256(voice_note).hexdigest()
    mp3 = (media_config / media.playback_key).read_bytes()
    assert mp3[:3] == b"ID3" or mp3[0] == 0xFF  # an MP3 stream every browser plays
    # The speech-to-text provider got the MP3 and the transcript replaced the placeholder.
    assert asr.requests and b"voice.mp3" in asr.requests[0].body
    assert (media.transcript, media.transcript_status) == (TRANSCRIPT, "done")
    msg = db.session.get(WhatsAppMsg, media.message_id)
    assert msg.body == TRANSCRIPT and msg.flags.get("transcribed") is True

    login_as("viewer", business=meta_business)
    item = client.get("/api/whatsapp/messages").get_json()["items"][0]
    assert item["text"] == TRANSCRIPT
    assert item["media"] == [{"id": media.id, "kind": "audio", "status": "ready", "content_type": "audio/mpeg",
                              "size": len(voice_note), "filename": None, "url": f"/api/whatsapp/media/{media.id}",
                              "transcript": TRANSCRIPT, "transcript_status": "done", "details": {"voice": True},
                              "error": None}]
    r = client.get(item["media"][0]["url"])
    assert r.status_code == 200 and r.mimetype == "audio/mpeg" and r.data == mp3


def test_twilio_image_is_fetched_with_the_account_credentials(client, db, twilio_business, fake_twilio,
                                                             media_config, login_as):
    fake_twilio.media["ME" + "1" * 32] = (PNG, "image/png")
    r = post_twilio(client, twilio_media_form(fake_twilio, "ME" + "1" * 32, "image/png", body="התמונה של הרכב"))
    assert r.status_code == 200

    media = _only_media(db)
    assert (media.status, media.kind, media.content_type, media.size) == ("ready", "image", "image/png", len(PNG))
    assert media.transcript_status is None and media.playback_key is None
    msg = db.session.get(WhatsAppMsg, media.message_id)
    assert msg.body == "התמונה של הרכב"
    assert ("GET", f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages/MM0001/Media/ME{'1' * 32}") \
        in fake_twilio.requests

    login_as("staff", business=twilio_business)
    r = client.get(f"/api/whatsapp/media/{media.id}")
    assert r.status_code == 200 and r.mimetype == "image/png" and r.data == PNG
    assert "attachment" not in r.headers.get("Content-Disposition", "")


def test_twilio_voice_note_without_text_shows_the_audio_placeholder_until_transcribed(
        client, db, twilio_business, fake_twilio, media_config, voice_note):
    """No speech-to-text reachable: the note is still stored and playable; the failure is visible."""
    fake_twilio.media["ME" + "2" * 32] = (voice_note, "audio/ogg")
    assert post_twilio(client, twilio_media_form(fake_twilio, "ME" + "2" * 32, "audio/ogg")).status_code == 200
    media = _only_media(db)
    assert media.status == "ready" and media.playback_key
    assert media.transcript_status == "failed" and media.error.startswith("transcription:")
    assert db.session.get(WhatsAppMsg, media.message_id).body == "[audio]"


def test_a_media_host_not_on_the_allow_list_is_never_contacted(client, db, twilio_business, fake_twilio,
                                                              media_config, monkeypatch):
    monkeypatch.setitem(__import__("flask").current_app.config, "WHATSAPP_MEDIA_HOSTS", "api.twilio.com")
    fake_twilio.media["ME" + "3" * 32] = (PNG, "image/png")
    assert post_twilio(client, twilio_media_form(fake_twilio, "ME" + "3" * 32, "image/png")).status_code == 200
    media = _only_media(db)
    assert media.status == "failed" and media.error.startswith("url refused")
    assert media.storage_key is None
    assert not any("/Media/" in path for _, path in fake_twilio.requests)


def test_a_failed_download_is_retried_until_it_succeeds(client, db, meta_business, fake_meta, media_config):
    from server.services.whatsapp_media import attempt_fetch

    fake_meta.media["2000000000000001"] = (PDF, "application/pdf")
    fake_meta.fail_next.append((500, {"error": {"message": "temporary", "code": 2}}))
    payload = meta_inbound("wamid.DOC1", "")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message.update(type="document", document={"id": "2000000000000001", "mime_type": "application/pdf",
                                              "filename": "הצעת מחיר.pdf", "caption": "הצעת המחיר"})
    assert post_meta(client, payload).status_code == 200

    media = _only_media(db)
    assert (media.status, media.attempts, media.error) == ("pending", 1, "HTTP 500")
    assert media.next_attempt_at > utcnow()
    # The retry the job scheduled (or the sweep) comes due:
    assert attempt_fetch(media.id, now=media.next_attempt_at + timedelta(seconds=1)) is None
    media = _only_media(db)
    assert (media.status, media.attempts, media.filename, media.error) == ("ready", 2, "הצעת מחיר.pdf", None)
    assert (media_config / media.storage_key).read_bytes() == PDF
    assert db.session.get(WhatsAppMsg, media.message_id).body == "[document] הצעת המחיר"


def test_a_download_whose_worker_died_is_taken_up_again_by_the_sweep(client, db, meta_business, fake_meta,
                                                                      media_config):
    from server.tasks.whatsapp_media import sweep_whatsapp_media

    fake_meta.media["3000000000000001"] = (PNG, "image/png")
    # The worker claimed the row (lease in next_attempt_at) and was killed before it finished.
    payload = meta_inbound("wamid.IMG1", "")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message.update(type="image", image={"id": "3000000000000001", "mime_type": "image/png"})
    from server.extensions import huey
    huey.immediate = False  # the webhook's job goes nowhere: it is "lost"
    try:
        assert post_meta(client, payload).status_code == 200
    finally:
        huey.immediate = True
    media = _only_media(db)
    media.status, media.attempts, media.next_attempt_at = "downloading", 1, utcnow() - timedelta(seconds=1)
    db.session.commit()

    assert sweep_whatsapp_media.call_local() == 1
    media = _only_media(db)
    assert (media.status, media.attempts) == ("ready", 2)


def test_meta_location_and_contacts_are_kept_without_a_download(client, db, meta_business, fake_meta,
                                                                media_config):
    payload = meta_inbound("wamid.LOC1", "")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message.update(type="location", location={"latitude": 32.0853, "longitude": 34.7818, "name": "דיזנגוף סנטר"})
    assert post_meta(client, payload).status_code == 200
    media = _only_media(db)
    assert (media.kind, media.status, media.storage_key) == ("location", "ready", None)
    assert media.details == {"latitude": 32.0853, "longitude": 34.7818, "name": "דיזנגוף סנטר"}
    assert not fake_meta.requests


def test_media_of_another_business_is_not_found(client, db, meta_business, fake_meta, media_config, login_as,
                                                make_business):
    fake_meta.media["4000000000000001"] = (PNG, "image/png")
    payload = meta_inbound("wamid.IMG2", "")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message.update(type="image", image={"id": "4000000000000001", "mime_type": "image/png"})
    post_meta(client, payload)
    media = _only_media(db)
    assert media.status == "ready"

    login_as("admin", business=make_business("עסק אחר"))
    r = client.get(f"/api/whatsapp/media/{media.id}")
    assert r.status_code == 404 and r.get_json()["code"] == "media_not_found"
    client.post("/api/auth/logout")
    assert client.get(f"/api/whatsapp/media/{media.id}").status_code == 401


def test_erasure_deletes_the_media_files_and_transcripts(client, db, meta_business, fake_meta, media_config,
                                                        asr, voice_note, login_as):
    fake_meta.media["5000000000000001"] = (voice_note, "audio/ogg")
    post_meta(client, meta_voice_note("wamid.VOICE2", "5000000000000001"))
    media = _only_media(db)
    files = [media_config / media.storage_key, media_config / media.playback_key]
    assert all(f.exists() for f in files) and media.transcript == TRANSCRIPT
    customer_id = db.session.get(WhatsAppMsg, media.message_id).customer_id

    login_as("admin", business=meta_business)
    r = client.post(f"/api/crm/customers/{customer_id}/erase", json={"reason": "בקשת הלקוחה"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["erased"]["whatsapp_media"] == 1 and r.get_json()["erased"]["media_files"] == 2
    assert not any(f.exists() for f in files)
    media = _only_media(db)
    assert (media.status, media.transcript, media.storage_key, media.source) == ("erased", None, None, None)
    assert client.get(f"/api/whatsapp/media/{media.id}").status_code == 404


def test_retention_purges_old_media_files(client, db, meta_business, fake_meta, media_config):
    from server.services.privacy.retention import purge_business

    fake_meta.media["6000000000000001"] = (PNG, "image/png")
    payload = meta_inbound("wamid.IMG3", "")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message.update(type="image", image={"id": "6000000000000001", "mime_type": "image/png"})
    post_meta(client, payload)
    media = _only_media(db)
    path = media_config / media.storage_key
    counts = purge_business(meta_business.id, {"retention": {"messages_days": 30}}, now=utcnow() + timedelta(days=31))
    assert counts["media"] == 1 and counts["media_files"] == 1
    assert not path.exists() and _only_media(db).status == "erased"


def test_export_includes_the_media_files(client, db, meta_business, fake_meta, media_config, login_as):
    import io
    import zipfile

    fake_meta.media["7000000000000001"] = (PNG, "image/png")
    payload = meta_inbound("wamid.IMG4", "")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message.update(type="image", image={"id": "7000000000000001", "mime_type": "image/png"})
    post_meta(client, payload)
    media = _only_media(db)
    customer_id = db.session.get(WhatsAppMsg, media.message_id).customer_id
    login_as("admin", business=meta_business)
    export = client.post(f"/api/crm/customers/{customer_id}/export").get_json()
    export = client.get(f"/api/crm/exports/{export['id']}").get_json()
    assert export["status"] == "done" and export["summary"]["media_files"] == 1
    zf = zipfile.ZipFile(io.BytesIO(client.get(export["download_url"]).data))
    assert zf.read(f"whatsapp/message-{media.message_id}-media-{media.id}.png") == PNG


# ---- outbound --------------------------------------------------------------------------

def test_staff_send_an_image_through_twilio_as_a_signed_media_url(client, db, twilio_business, fake_twilio,
                                                                  media_config, inbound_from, login_as):
    inbound_from(twilio_business)
    login_as("staff", business=twilio_business)
    r = client.post("/api/whatsapp/send-media", data={"to": CUSTOMER_PHONE, "caption": "הנה הקבלה",
                                                       "file": (__import__("io").BytesIO(PNG), "receipt.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 200, r.get_json()
    msg = db.session.get(WhatsAppMsg, r.get_json()["id"])
    assert msg.status == "sent" and msg.body == "הנה הקבלה"
    form = fake_twilio.deliveries[-1]["form"]
    assert form["Body"] == "הנה הקבלה" and len(form["MediaUrl"]) == 1
    url = form["MediaUrl"][0]
    assert url.startswith("https://kesher.example/media/whatsapp/")
    client.post("/api/auth/logout")  # Twilio has no session: the signed link alone opens it
    r = client.get(url.removeprefix("https://kesher.example"))
    assert r.status_code == 200 and r.mimetype == "image/png" and r.data == PNG
    assert client.get(url.removeprefix("https://kesher.example") + "x").status_code == 403


def test_staff_send_a_document_through_meta_by_uploading_it_first(client, db, meta_business, fake_meta,
                                                                  media_config, inbound_from, login_as):
    inbound_from(meta_business)
    login_as("staff", business=meta_business)
    r = client.post("/api/whatsapp/send-media", data={"to": CUSTOMER_PHONE,
                                                       "file": (__import__("io").BytesIO(PDF), "הצעה.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 200, r.get_json()
    assert db.session.get(WhatsAppMsg, r.get_json()["id"]).status == "sent"
    (media_id, upload), = fake_meta.uploads.items()
    assert (upload["phone_number_id"], upload["type"], upload["data"]) == (META_PHONE_ID, "application/pdf", PDF)
    payload = fake_meta.deliveries[-1]["payload"]
    assert payload["type"] == "document" and payload["document"] == {"id": media_id, "filename": "הצעה.pdf"}


def test_the_dev_transport_records_the_file_it_did_not_deliver(client, db, dev_business, media_config, login_as):
    from server.providers.whatsapp.dev import OUTBOX

    login_as("staff", business=dev_business)
    r = client.post("/api/whatsapp/send-media", data={"to": CUSTOMER_PHONE,
                                                       "file": (__import__("io").BytesIO(PNG), "a.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 200 and r.headers["X-WhatsApp-Transport"] == "dev"
    assert OUTBOX[-1]["media"] == [{"kind": "image", "content_type": "image/png", "filename": "a.png"}]
    item = client.get("/api/whatsapp/messages").get_json()["items"][0]
    assert item["flags"]["not_delivered"] is True and item["media"][0]["kind"] == "image"


@pytest.mark.parametrize("name, data, code", [
    ("virus.exe", b"MZ\x90\x00", "media_type_not_allowed"),
    ("fake.png", b"GIF89a not a png", "media_type_not_allowed"),
    ("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024), "file_too_large"),
])
def test_a_file_whatsapp_would_refuse_is_refused_with_a_stable_code(client, db, dev_business, media_config,
                                                                    login_as, name, data, code):
    login_as("staff", business=dev_business)
    r = client.post("/api/whatsapp/send-media", data={"to": CUSTOMER_PHONE,
                                                       "file": (__import__("io").BytesIO(data), name)},
                    content_type="multipart/form-data")
    assert r.status_code == 422
    assert r.get_json()["field_codes"]["file"]["code"] == code
    assert db.session.query(WhatsAppMsg).count() == 0 and db.session.query(WhatsAppMedia).count() == 0


def test_viewer_cannot_send_media(client, db, dev_business, media_config, login_as):
    login_as("viewer", business=dev_business)
    r = client.post("/api/whatsapp/send-media", data={"to": CUSTOMER_PHONE,
                                                       "file": (__import__("io").BytesIO(PNG), "a.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 403


def test_twilio_parses_every_media_item_of_a_message():
    from server.providers.whatsapp.twilio import TwilioTransport
    (event,) = TwilioTransport.parse_webhook({
        "MessageSid": "SM1", "From": f"whatsapp:{CUSTOMER_PHONE}", "To": f"whatsapp:{TWILIO_NUMBER}", "Body": "",
        "NumMedia": "2", "MediaUrl0": "https://api.twilio.com/a", "MediaContentType0": "image/jpeg",
        "MediaUrl1": "https://api.twilio.com/b", "MediaContentType1": "text/vcard"}, {})
    assert [(m.kind, m.source, m.content_type) for m in event.media] == [
        ("image", "https://api.twilio.com/a", "image/jpeg"), ("contacts", "https://api.twilio.com/b", "text/vcard")]
    assert event.text == "[image]"
    json.dumps([m.__dict__ for m in event.media])  # plain data, nothing an ORM row holds


# ---- the real job queue: a worker killed mid-download ----------------------------------

from server.tests.whatsapp.test_whatsapp_worker import _wait_for, queue_backend, worker  # noqa: E402,F401


def test_worker_killed_mid_download_gets_the_voice_note_and_its_transcript_after_restart(
        app, client, db, meta_business, fake_meta, media_config, asr, voice_note, worker, tmp_path,  # noqa: F811
        monkeypatch):
    import os
    import signal

    # The worker process reads its settings from the environment.
    for key in ("MEDIA_DIR", "ASR_PROVIDER", "OPENAI_API_KEY", "OPENAI_BASE_URL", "PROVIDER_TIMEOUT"):
        monkeypatch.setenv(key, str(app.config[key]))
    fake_meta.media["8000000000000001"] = (voice_note, "audio/ogg")
    fake_meta.hold_next = 1  # Meta starts sending the file, then stalls
    first = worker()
    assert post_meta(client, meta_voice_note("wamid.VOICE3", "8000000000000001")).status_code == 200
    db.session.rollback()  # the test's app context outlives the request: end its transaction

    def media():
        db.session.rollback()  # a fresh snapshot: the worker writes from another process
        return db.session.query(WhatsAppMedia).one()

    _wait_for(fake_meta.held.is_set, 60, "the worker's download to reach Meta", tmp_path)
    assert media().status == "downloading"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    fake_meta.release()
    assert media().status == "downloading"  # nobody finished it

    worker()  # the restarted worker's sweep takes it up once the lease has run out
    _wait_for(lambda: media().transcript_status == "done", 60, "the voice note to be transcribed", tmp_path)
    row = media()
    assert (row.status, row.attempts, row.transcript) == ("ready", 2, TRANSCRIPT)
    assert (media_config / row.playback_key).exists()
    assert db.session.get(WhatsAppMsg, row.message_id).body == TRANSCRIPT


def test_with_the_agent_on_a_voice_note_is_answered_by_its_words_once_transcribed(
        client, db, twilio_business, fake_twilio, media_config, voice_note, asr):
    twilio_business.settings = {"whatsapp_agent": "always"}
    db.session.commit()
    fake_twilio.media["ME" + "6" * 32] = (voice_note, "audio/ogg")
    assert post_twilio(client, twilio_media_form(fake_twilio, "ME" + "6" * 32, "audio/ogg")).status_code == 200
    db.session.expire_all()
    inbound = db.session.query(WhatsAppMsg).filter_by(direction="inbound").one()
    assert inbound.body == TRANSCRIPT and inbound.agent_status == "answered"   # never the "[audio]" placeholder
    [reply] = db.session.query(WhatsAppMsg).filter_by(direction="outbound").all()
    assert reply.idempotency_key == f"agent-{inbound.id}" and reply.flags["agent"]["provider"] == "offline"

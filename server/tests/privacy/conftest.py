"""Privacy fixtures: a business with two customers holding data everywhere (calls with
turns and audio on disk, WhatsApp, tasks, invoices, contracts), a customer of another
business, and a local HTTP server speaking Twilio's recordings API."""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

AUDIO = b"ID3\x03\x00fake-mp3-frames-" + bytes(range(256)) * 8


@pytest.fixture(autouse=True)
def _own_folders(app, tmp_path, monkeypatch):
    """Each test gets its own media and export folders, so listing them proves something."""
    monkeypatch.setitem(app.config, "MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path / "exports"))


@dataclass
class FakeTwilio:
    url: str = ""
    recordings: dict = field(default_factory=dict)  # sid → bytes
    deleted: list = field(default_factory=list)
    auth_seen: list = field(default_factory=list)

    def recording_url(self, sid: str) -> str:
        return f"{self.url}/2010-04-01/Accounts/ACtest/Recordings/{sid}"


@pytest.fixture()
def fake_twilio(app, monkeypatch):
    state = FakeTwilio()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _sid(self):
            name = self.path.split("?")[0].rsplit("/", 1)[-1]
            return name.rsplit(".", 1)[0]

        def do_GET(self):  # noqa: N802
            state.auth_seen.append(self.headers.get("Authorization"))
            data = state.recordings.get(self._sid())
            if data is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "audio/mpeg")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_DELETE(self):  # noqa: N802
            state.auth_seen.append(self.headers.get("Authorization"))
            sid = self._sid()
            if not self.path.endswith(".json"):
                self.send_response(400)
            elif state.recordings.pop(sid, None) is None:
                self.send_response(404)
            else:
                state.deleted.append(sid)
                self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setitem(app.config, "RECORDING_HOSTS", "127.0.0.1")
    monkeypatch.setitem(app.config, "TWILIO_ACCOUNT_SID", "ACtest")
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "twilio-test-token-123")
    yield state
    server.shutdown()
    server.server_close()


def _voice_file(app) -> tuple[str, Path]:
    directory = Path(app.config["MEDIA_DIR"]) / "voice"
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.mp3"
    path = directory / name
    path.write_bytes(AUDIO + name.encode())
    return f"https://kesher.example/media/voice/{name}", path


@dataclass
class Person:
    customer: object
    phone: str
    name: str
    transcripts: list
    replies: list
    bodies: list
    audio_files: list
    recording_sids: list
    calls: list
    messages: list
    tasks: list
    invoices: list
    contracts: list


def _person(app, db, fake, business, name, phone, email, tag, when):
    from server.models import CallLog, CallTurn, Contract, Customer, Invoice, Task, WhatsAppMsg
    from server.services.customers import build_search_text

    customer = Customer(business_id=business.id, name=name, phone=phone, email=email,
                        notes=f"הערה פרטית על {name} {tag}", source="call",
                        search_text=build_search_text(name, phone, email))
    db.session.add(customer)
    db.session.flush()
    transcripts = [f"שלום, מדברת {name}, אני רוצה לקבוע תור {tag}", f"הכתובת שלי רחוב הרצל 12 {tag}"]
    replies = [f"בשמחה {name}, מתי נוח לך? {tag}", f"רשמתי את הכתובת {tag}"]
    audio_files, recording_sids, calls = [], [], []
    for c in range(2):
        call = CallLog(call_sid=f"CA{tag}{c}{secrets.token_hex(8)}", business_id=business.id, customer_id=customer.id,
                       from_number=phone, to_number=business.voice_number, status="completed",
                       started_at=when + timedelta(minutes=c), summary=f"סיכום שיחה עם {name} {tag}",
                       state={"new_lead": True, "caller_name": name})
        db.session.add(call)
        db.session.flush()
        for i in range(1 if c else 2):
            sid = f"RE{tag}{c}{i}{secrets.token_hex(6)}"
            fake.recordings[sid] = AUDIO + sid.encode() if fake else AUDIO
            url, path = _voice_file(app)
            audio_files.append(path)
            recording_sids.append(sid)
            rec_url = fake.recording_url(sid) if fake else f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{sid}"
            if i == 0:
                call.recording_url = rec_url
            db.session.add(CallTurn(call_id=call.id, index=i, transcript=transcripts[i], reply=replies[i],
                                    recording_url=rec_url, audio_url=url, asr_provider="local",
                                    tool_calls=[{"name": "create_callback_task", "result": {"name": name}}]))
        calls.append(call)
    bodies = [f"היי זו {name}, מתי אתם פתוחים? {tag}", f"שלום {name}, אנחנו פתוחים עד 18:00 {tag}",
              f"הודעה ממספר לא מקושר {tag}"]
    messages = [
        WhatsAppMsg(business_id=business.id, customer_id=customer.id, direction="inbound", status="delivered",
                    provider="twilio", provider_message_id=f"SM{tag}1", from_number=f"whatsapp:{phone}",
                    to_number=f"whatsapp:{business.whatsapp_number}", body=bodies[0], created_at=when,
                    flags={"media": [f"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM{tag}/Media/ME{tag}photo"]}),
        WhatsAppMsg(business_id=business.id, customer_id=customer.id, direction="outbound", status="read",
                    provider="twilio", provider_message_id=f"SM{tag}2", from_number=f"whatsapp:{business.whatsapp_number}",
                    to_number=f"whatsapp:{phone}", body=bodies[1], template_variables={"1": name}, created_at=when),
        # Not linked to the customer yet, but from their number: still theirs.
        WhatsAppMsg(business_id=business.id, customer_id=None, direction="inbound", status="delivered",
                    provider="meta", provider_message_id=f"wamid.{tag}3", from_number=phone,
                    to_number=business.whatsapp_number, body=bodies[2], created_at=when),
    ]
    db.session.add_all(messages)
    tasks = [Task(business_id=business.id, customer_id=customer.id, title=f"לחזור ל{name} {tag}",
                  description=f"{name} ביקשה שיחזרו אליה {tag}", source="agent", due_at=when)]
    invoices = [
        Invoice(business_id=business.id, customer_id=customer.id, number=ord(tag), status="issued",
                description=f"טיפול {tag}", amount_agorot=10000, vat_rate_bp=1800, vat_agorot=1800, total_agorot=11800,
                issued_at=when, bill_to_name=None if tag == "A" else name, allocation_number="123456789"),
        Invoice(business_id=business.id, customer_id=customer.id, number=None, status="draft",
                description=f"טיוטה עבור {name} {tag}", amount_agorot=5000),
    ]
    contracts = [Contract(business_id=business.id, customer_id=customer.id, title=f"חוזה שירות {name} {tag}",
                          notes=f"{name} חתמה בסניף {tag}", amount_agorot=120000, status="signed", signed_at=when)]
    db.session.add_all(tasks + invoices + contracts)
    db.session.commit()
    return Person(customer=customer, phone=phone, name=name, transcripts=transcripts, replies=replies,
                  bodies=bodies, audio_files=audio_files, recording_sids=recording_sids, calls=calls,
                  messages=messages, tasks=tasks, invoices=invoices, contracts=contracts)


@dataclass
class World:
    business: object
    other_business: object
    dana: Person
    yossi: Person
    stranger: Person


@pytest.fixture()
def world(app, db, make_business, fake_twilio):
    when = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
    business = make_business("מספרת שירה", voice_number="+97235550000", whatsapp_number="+972535550000")
    other = make_business("מוסך אבי", voice_number="+97235551111", whatsapp_number="+972535551111")
    dana = _person(app, db, fake_twilio, business, "דנה כהן", "+972501234567", "dana@example.co.il", "A", when)
    yossi = _person(app, db, fake_twilio, business, "יוסי לוי", "+972527654321", "yossi@example.co.il", "B", when)
    stranger = _person(app, db, fake_twilio, other, "רונית ברק", "+972541112233", "ronit@example.co.il", "C", when)
    return World(business=business, other_business=other, dana=dana, yossi=yossi, stranger=stranger)

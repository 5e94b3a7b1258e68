"""Export and erasure reach exactly one customer's rows: those carrying their customer_id,
plus calls/messages with no customer from their number — never through the business's
own numbers, never the rows of a previous owner of the same number."""
import io
import json
import zipfile
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from server.models import CallLog, WhatsAppMsg

TABLES = ("customer", "call_log", "call_turn", "whatsapp_msg", "task", "invoice", "contract")


def snapshot(db) -> dict:
    """Every row of the customer-data tables, every column, keyed by (table, id)."""
    db.session.expire_all()
    rows = {}
    for table in TABLES:
        for row in db.session.execute(text(f'SELECT * FROM "{table}"')).mappings():
            rows[(table, row["id"])] = dict(row)
    return rows


def changed(before: dict, after: dict) -> set:
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def rows_of(before: dict, customer_id: int) -> set:
    """The keys of the customer's own rows (and of the turns of their calls)."""
    own = {key for key, row in before.items() if row.get("customer_id") == customer_id}
    own.add(("customer", customer_id))
    calls = {cid for table, cid in own if table == "call_log"}
    own |= {key for key, row in before.items() if key[0] == "call_turn" and row["call_id"] in calls}
    return own


def export_zip(client, customer_id) -> zipfile.ZipFile:
    body = client.post(f"/api/crm/customers/{customer_id}/export").get_json()
    assert body["status"] == "done", body
    r = client.get(client.get(f"/api/crm/exports/{body['id']}").get_json()["download_url"])
    assert r.status_code == 200
    return zipfile.ZipFile(io.BytesIO(r.data))


def zip_text(zf: zipfile.ZipFile) -> str:
    return "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())


def erase(client, customer_id):
    r = client.post(f"/api/crm/customers/{customer_id}/erase", json={"reason": "בקשת מחיקה לפי חוק הגנת הפרטיות"})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["erased"]


def create_customer(client, name, phone) -> int:
    r = client.post("/api/crm/customers", json={"name": name, "phone": phone})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def others_texts(world) -> list[str]:
    return [t for p in (world.dana, world.yossi) for t in p.bodies + p.transcripts + p.replies]


@pytest.mark.parametrize("line", ["voice_number", "whatsapp_number"])
def test_a_customer_holding_the_business_own_number_gets_only_its_own_rows(client, world, login_as, db, line):
    login_as("admin", business=world.business)
    business = world.business
    own_number = getattr(business, line)
    owner_id = create_customer(client, "הקו של המספרה", own_number)
    # One call and one message really linked to it, so there is something of its own.
    when = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    db.session.add(CallLog(call_sid="CAowner1", business_id=business.id, customer_id=owner_id,
                           from_number=own_number, to_number=business.voice_number, status="completed",
                           started_at=when, summary="בדיקת קו של בעלת העסק"))
    db.session.add(WhatsAppMsg(business_id=business.id, customer_id=owner_id, direction="inbound",
                               status="delivered", provider="dev", from_number=f"whatsapp:{own_number}",
                               to_number=f"whatsapp:{business.whatsapp_number}", body="הודעת בדיקה מהקו",
                               created_at=when))
    db.session.commit()

    zf = export_zip(client, owner_id)
    everything = zip_text(zf)
    assert [c["summary"] for c in json.loads(zf.read("calls.json"))] == ["בדיקת קו של בעלת העסק"]
    assert [m["text"] for m in json.loads(zf.read("whatsapp.json"))] == ["הודעת בדיקה מהקו"]
    leaked = [t for t in others_texts(world) if t in everything]
    assert leaked == [], "the export holds other customers' calls/messages"
    assert not any(n.startswith("audio/") for n in zf.namelist())

    before = snapshot(db)
    counts = erase(client, owner_id)
    assert (counts["calls"], counts["whatsapp_messages"], counts["turns"]) == (1, 1, 0)
    after = snapshot(db)
    assert changed(before, after) <= rows_of(before, owner_id)
    # The other customers still read their conversations.
    for person in (world.dana, world.yossi):
        r = client.get(f"/api/customers/{person.customer.id}/timeline?types=whatsapp")
        texts = {i["data"].get("text") for i in r.get_json()}
        assert set(person.bodies[:2]) <= texts


def test_a_new_customer_on_an_old_number_never_reaches_the_previous_owner_history(client, world, login_as, db):
    login_as("admin", business=world.business)
    business = world.business
    dana, old_phone = world.dana, world.dana.phone
    r = client.put(f"/api/crm/customers/{dana.customer.id}", json={"name": dana.name, "phone": "052-999-8877"})
    assert r.status_code == 200, r.get_json()
    newcomer_id = create_customer(client, "מיכל אברהם", old_phone)
    # Traffic from the number before anyone linked it to Michal: no customer on the rows.
    when = datetime(2026, 4, 1, 10, 0, tzinfo=timezone.utc)
    orphan_call = CallLog(call_sid="CAorphanB", business_id=business.id, customer_id=None, from_number=old_phone,
                          to_number=business.voice_number, status="completed", started_at=when,
                          summary="שיחה ממספר לא מקושר של מיכל")
    orphan_out = WhatsAppMsg(business_id=business.id, customer_id=None, direction="outbound", status="delivered",
                             provider="dev", from_number=f"whatsapp:{business.whatsapp_number}",
                             to_number=f"whatsapp:{old_phone}", body="שלום מיכל, התור נקבע", created_at=when)
    db.session.add_all([orphan_call, orphan_out])
    db.session.commit()
    orphan_ids = {("call_log", orphan_call.id), ("whatsapp_msg", orphan_out.id),
                  ("whatsapp_msg", dana.messages[2].id)}  # the fixture's unlinked message from this number

    zf = export_zip(client, newcomer_id)
    everything = zip_text(zf)
    assert [c["summary"] for c in json.loads(zf.read("calls.json"))] == ["שיחה ממספר לא מקושר של מיכל"]
    texts = sorted(m["text"] for m in json.loads(zf.read("whatsapp.json")))
    assert texts == sorted(["שלום מיכל, התור נקבע", dana.bodies[2]])
    history = dana.bodies[:2] + dana.transcripts + dana.replies
    assert [t for t in history if t in everything] == []

    before = snapshot(db)
    counts = erase(client, newcomer_id)
    assert (counts["calls"], counts["whatsapp_messages"]) == (1, 2)
    after = snapshot(db)
    dana_rows = rows_of(before, dana.customer.id)
    assert changed(before, after) <= rows_of(before, newcomer_id) | orphan_ids
    assert not changed(before, after) & dana_rows
    # The orphans were claimed: their content and the person's number are gone, the business's stays.
    call = after[("call_log", orphan_call.id)]
    assert (call["summary"], call["from_number"], call["to_number"]) == (None, None, business.voice_number)
    message = after[("whatsapp_msg", orphan_out.id)]
    assert (message["body"], message["to_number"]) == (None, None)
    assert message["from_number"] == f"whatsapp:{business.whatsapp_number}"

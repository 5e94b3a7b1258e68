"""The demo salon is a living business: a price list, two chairs and a week of appointments."""
from datetime import datetime, timedelta, timezone

from server.tests.conftest import login


def test_demo_salon_has_prices_staff_and_a_week_of_appointments_without_overlap(app, db, client):
    from server.services.demo import DEMO_PASSWORD, DEMO_SERVICES, seed_demo

    assert seed_demo("development")["created"]
    login(client, "staff@kesher.local", DEMO_PASSWORD)
    services = client.get("/api/services").get_json()
    assert {s["name"]: s["price_agorot"] for s in services}["החלקה"] == 45_000
    assert len(services) == len(DEMO_SERVICES)
    assert [s["name"] for s in client.get("/api/staff-calendars").get_json()] == ["דנה", "אור"]

    now = datetime.now(timezone.utc)
    week = client.get("/api/appointments", query_string={
        "from": (now - timedelta(days=8)).isoformat(), "to": (now + timedelta(days=9)).isoformat()}).get_json()
    upcoming = [a for a in week if a["status"] == "booked"]
    assert len(upcoming) >= 6  # two a day on the open days of the coming week
    assert {a["status"] for a in week} >= {"booked", "done", "no_show"}
    by_staff: dict[int, list] = {}
    for a in sorted(week, key=lambda a: a["start"]):
        previous = by_staff.get(a["staff_id"])
        assert previous is None or previous["end"] <= a["start"], (previous, a)
        by_staff[a["staff_id"]] = a
    customer_id = upcoming[0]["customer_id"]
    timeline = client.get(f"/api/customers/{customer_id}/timeline").get_json()
    assert any(item["type"] == "appointment" for item in timeline)


def test_the_demo_agent_has_answered_a_lead_on_whatsapp(app, db, client):
    from server.services.demo import DEMO_PASSWORD, seed_demo

    assert seed_demo("development")["created"]
    login(client, "staff@kesher.local", DEMO_PASSWORD)
    messages = client.get("/api/whatsapp/messages").get_json()["items"]
    question = next(m for m in messages if m["direction"] == "inbound")
    answer = next(m for m in messages if m["direction"] == "outbound" and m["flags"].get("agent"))
    assert question["text"] == "היי, כמה עולה החלקה?" and question["customer_name"] == "נועה פרץ"
    assert "450" in answer["text"] and answer["flags"]["dev_transport"] is True

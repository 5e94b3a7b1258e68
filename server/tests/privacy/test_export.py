import io
import json
import zipfile

import pytest
from sqlalchemy import select

from server.models import AuditEntry, DataExport


def _zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.data))


def _export(client, customer_id):
    r = client.post(f"/api/crm/customers/{customer_id}/export")
    assert r.status_code == 202, r.get_json()
    return r.get_json()


def test_export_contains_everything_about_the_customer_and_nothing_of_another(client, world, login_as):
    login_as("admin", business=world.business)
    dana = world.dana
    body = _export(client, dana.customer.id)
    # The job ran (immediate mode); the answer already shows the finished export.
    assert body["status"] == "done" and body["progress"] == 100
    status = client.get(f"/api/crm/exports/{body['id']}").get_json()
    assert status["status"] == "done" and status["download_url"]
    zf = _zip(client.get(status["download_url"]))

    names = set(zf.namelist())
    assert {"manifest.json", "customer.json", "calls.json", "whatsapp.json", "tasks.json",
            "invoices.json", "contracts.json"} <= names
    customer = json.loads(zf.read("customer.json"))
    assert customer["name"] == "דנה כהן" and customer["phone"] == "+972501234567"
    calls = json.loads(zf.read("calls.json"))
    assert len(calls) == 2
    assert [t["transcript"] for t in calls[0]["turns"]] == dana.transcripts
    assert [t["reply"] for t in calls[0]["turns"]] == dana.replies
    texts = sorted(m["text"] for m in json.loads(zf.read("whatsapp.json")))
    assert texts == sorted(dana.bodies)  # the unlinked message from her number too
    assert json.loads(zf.read("tasks.json"))[0]["title"] == "לחזור לדנה כהן A"
    assert {i["status"] for i in json.loads(zf.read("invoices.json"))} == {"issued", "draft"}
    assert json.loads(zf.read("contracts.json"))[0]["notes"] == "דנה כהן חתמה בסניף A"

    # Every agent audio file and every caller recording, byte for byte.
    agent = sorted(n for n in names if n.startswith("audio/agent/"))
    recordings = sorted(n for n in names if n.startswith("audio/recordings/"))
    assert len(agent) == len(dana.audio_files) == 3
    assert sorted(zf.read(n) for n in agent) == sorted(p.read_bytes() for p in dana.audio_files)
    assert len(recordings) == len(dana.recording_sids) == 3
    assert all(zf.read(n).endswith(tuple(s.encode() for s in dana.recording_sids)) for n in recordings)

    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["missing"] == []
    assert manifest["counts"] == {"calls": 2, "turns": 3, "whatsapp_messages": 3, "tasks": 1, "invoices": 2,
                                  "contracts": 1, "appointments": 0, "audio_files": 6}

    everything = b"".join(zf.read(n) for n in names).decode("utf-8", "replace")
    for other in (world.yossi, world.stranger):
        assert other.name not in everything
        assert other.phone not in everything and other.phone[4:] not in everything
        for text in other.transcripts + other.bodies:
            assert text not in everything


def test_export_is_audited_requested_built_and_downloaded(client, world, login_as, db):
    admin = login_as("admin", business=world.business)
    body = _export(client, world.dana.customer.id)
    client.get(client.get(f"/api/crm/exports/{body['id']}").get_json()["download_url"])
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action.in_(["export", "export_download"]))
                              .order_by(AuditEntry.id)).all()
    assert [(r.action, r.details.get("stage")) for r in rows] == [("export", "requested"), ("export", "built"),
                                                                   ("export_download", None)]
    assert all(r.actor_user_id == admin.id and r.entity_id == world.dana.customer.id for r in rows)
    assert rows[1].details["audio_files"] == 6 and rows[1].details["missing_files"] == 0
    assert "דנה" not in json.dumps([r.details for r in rows], ensure_ascii=False)


def test_missing_audio_is_listed_not_silently_dropped(client, world, login_as, fake_twilio):
    world.dana.audio_files[0].unlink()
    fake_twilio.recordings.pop(world.dana.recording_sids[0])
    login_as("admin", business=world.business)
    body = _export(client, world.dana.customer.id)
    assert body["status"] == "done"
    manifest = json.loads(_zip(client.get(body["download_url"])).read("manifest.json"))
    assert sorted(m["reason"] for m in manifest["missing"]) == ["HTTP 404", "not on disk (FileNotFoundError)"]
    assert body["summary"]["audio_files"] == 4


def test_download_link_expires_and_cannot_be_forged_or_reused_for_another_export(client, world, login_as, app,
                                                                                   monkeypatch):
    login_as("admin", business=world.business)
    first = _export(client, world.dana.customer.id)
    second = _export(client, world.yossi.customer.id)
    token = first["download_url"].split("token=")[1]
    r = client.get(f"/api/crm/exports/{second['id']}/download?token={token}")
    assert r.status_code == 403 and r.get_json() == {"error": "invalid link", "code": "invalid_link"}
    r = client.get(f"/api/crm/exports/{first['id']}/download?token={token[:-2]}xx")
    assert r.status_code == 403
    assert client.get(f"/api/crm/exports/{first['id']}/download").status_code == 403
    monkeypatch.setitem(app.config, "EXPORT_LINK_TTL_SECONDS", -1)
    r = client.get(first["download_url"])
    assert r.status_code == 410 and r.get_json() == {"error": "link expired", "code": "link_expired"}


def test_download_needs_an_admin_of_that_business(client, world, login_as, make_user, db):
    from server.tests.conftest import login
    login_as("admin", business=world.business)
    url = _export(client, world.dana.customer.id)["download_url"]
    client.post("/api/auth/logout")
    assert client.get(url).status_code == 401
    staff = make_user(role="staff", business=world.business)
    login(client, staff.email)
    assert client.get(url).status_code == 403
    client.post("/api/auth/logout")
    other_admin = make_user(role="admin", business=world.other_business)
    login(client, other_admin.email)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_staff_and_viewer_cannot_export(client, world, make_user, role, db):
    from server.tests.conftest import login
    user = make_user(role=role, business=world.business)
    login(client, user.email)
    r = client.post(f"/api/crm/customers/{world.dana.customer.id}/export")
    assert r.status_code == 403
    assert db.session.scalar(select(DataExport.id)) is None


def test_export_of_another_business_customer_is_404(client, world, login_as, db):
    login_as("admin", business=world.business)
    r = client.post(f"/api/crm/customers/{world.stranger.customer.id}/export")
    assert r.status_code == 404
    assert db.session.scalar(select(DataExport.id)) is None
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "export")) is None


def test_platform_admin_exports_any_business_customer(client, world, login_as):
    login_as("admin")
    body = _export(client, world.stranger.customer.id)
    customer = json.loads(_zip(client.get(body["download_url"])).read("customer.json"))
    assert customer["name"] == "רונית ברק"


def test_failed_build_is_visible_and_leaves_no_partial_file(client, world, login_as, monkeypatch, app):
    from pathlib import Path

    from server.services.privacy import export as export_service

    def boom(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(export_service, "_write_zip", boom)
    login_as("admin", business=world.business)
    body = _export(client, world.dana.customer.id)
    assert body["status"] == "failed" and body["error"] == "OSError" and body["download_url"] is None
    assert list(Path(app.config["EXPORT_DIR"]).glob("*.zip")) == []
    assert list(Path(app.config["EXPORT_DIR"]).glob(".*.part")) == []


def test_expired_exports_are_purged_from_disk(client, world, login_as, app, db):
    from datetime import timedelta
    from pathlib import Path

    from server.models.base import utcnow
    from server.services.privacy.export import purge_expired_exports

    login_as("admin", business=world.business)
    body = _export(client, world.dana.customer.id)
    export = db.session.get(DataExport, body["id"])
    path = Path(app.config["EXPORT_DIR"]) / export.file_name
    assert path.is_file()
    assert purge_expired_exports(now=utcnow()) == 0
    assert purge_expired_exports(now=export.expires_at + timedelta(seconds=1)) == 1
    assert not path.exists()
    r = client.get(body["download_url"])
    assert r.status_code == 410 and r.get_json() == {"error": "export expired", "code": "export_expired"}


def test_a_queue_outage_marks_the_export_failed_instead_of_losing_it(client, world, login_as, monkeypatch):
    from server.tasks import privacy as privacy_tasks

    def down(*args, **kwargs):
        raise ConnectionError("redis down")
    monkeypatch.setattr(privacy_tasks, "build_export_task", down)
    login_as("admin", business=world.business)
    body = _export(client, world.dana.customer.id)
    assert (body["status"], body["error"], body["download_url"]) == ("failed", "queue unavailable", None)
    assert client.get(f"/api/crm/exports/{body['id']}").get_json()["status"] == "failed"


# ---- lost builds: huey does not acknowledge tasks ---------------------------------------

@pytest.fixture()
def lost_builds(monkeypatch):
    """Every build job is lost, as if its worker were SIGKILLed before it ran."""
    from server.tasks import privacy as privacy_tasks

    class Lost(list):
        def stop(self):  # the queue works again (inline in tests)
            monkeypatch.setattr(privacy_tasks, "build_export_task", real)
    real = privacy_tasks.build_export_task
    lost = Lost()
    monkeypatch.setattr(privacy_tasks, "build_export_task", lost.append)
    return lost


def _age(db, export_id, minutes, status=None):
    from datetime import timedelta

    from server.models.base import utcnow
    export = db.session.get(DataExport, export_id)
    export.updated_at = utcnow() - timedelta(minutes=minutes)
    if status:
        export.status = status
    db.session.commit()


def test_an_export_lost_with_its_worker_is_rebuilt_by_the_sweep(client, world, login_as, db, app, monkeypatch,
                                                                lost_builds):
    from server.tasks.privacy import sweep_exports_task
    login_as("admin", business=world.business)
    running = _export(client, world.dana.customer.id)["id"]  # the worker died mid-build
    queued = _export(client, world.dana.customer.id)["id"]   # the job vanished before it ran
    fresh = _export(client, world.yossi.customer.id)["id"]   # just queued: the worker is on it
    assert lost_builds == [running, queued, fresh]
    _age(db, running, 20, status="running")
    _age(db, queued, 16)
    _age(db, fresh, 5)
    lost_builds.stop()
    monkeypatch.setitem(app.config, "EXPORT_STUCK_MINUTES", 15)

    assert sweep_exports_task.call_local() == {"requeued": [running, queued], "failed": []}
    for export_id in (running, queued):
        body = client.get(f"/api/crm/exports/{export_id}").get_json()
        assert body["status"] == "done" and body["download_url"], body
        names = _zip(client.get(body["download_url"])).namelist()
        assert "customer.json" in names and "calls.json" in names
    assert client.get(f"/api/crm/exports/{fresh}").get_json()["status"] == "queued"
    assert sweep_exports_task.call_local() == {"requeued": [], "failed": []}  # nothing is built twice
    built = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert sorted(e.details["export_id"] for e in built if e.details["stage"] == "built") == [running, queued]


def test_an_export_lost_again_and_again_is_failed_not_retried_forever(client, world, login_as, db, app,
                                                                     monkeypatch, lost_builds):
    from server.tasks.privacy import sweep_exports_task
    monkeypatch.setitem(app.config, "EXPORT_STUCK_MINUTES", 15)
    monkeypatch.setitem(app.config, "EXPORT_MAX_REQUEUES", 2)
    login_as("admin", business=world.business)
    export_id = _export(client, world.dana.customer.id)["id"]
    for round_ in (1, 2):
        _age(db, export_id, 16)
        assert sweep_exports_task.call_local() == {"requeued": [export_id], "failed": []}
        db.session.expire_all()
        assert db.session.get(DataExport, export_id).summary == {"requeued": round_}
    assert lost_builds == [export_id] * 3
    _age(db, export_id, 16)
    assert sweep_exports_task.call_local() == {"requeued": [], "failed": [export_id]}
    body = client.get(f"/api/crm/exports/{export_id}").get_json()
    assert body["status"] == "failed" and "lost 3 times" in body["error"] and body["download_url"] is None
    _age(db, export_id, 60)
    assert sweep_exports_task.call_local() == {"requeued": [], "failed": []}
    assert lost_builds == [export_id] * 3


def test_a_duplicate_build_job_does_not_build_twice(client, world, login_as, db, app, lost_builds):
    """A second job for an export another worker is building (the sweep's and a late
    original) leaves it to that worker; a job for a built export changes nothing."""
    from pathlib import Path

    from server.services.privacy.export import build_export
    login_as("admin", business=world.business)
    export_id = _export(client, world.dana.customer.id)["id"]
    _age(db, export_id, 0, status="running")  # claimed by a live worker
    assert build_export(export_id).status == "running"
    assert list(Path(app.config["EXPORT_DIR"]).glob("*.zip")) == []
    _age(db, export_id, 0, status="queued")
    assert build_export(export_id).status == "done"
    file_name = db.session.get(DataExport, export_id).file_name
    assert build_export(export_id).file_name == file_name
    assert len(list(Path(app.config["EXPORT_DIR"]).glob("*.zip"))) == 1


def test_the_export_sweep_is_registered_with_huey():
    from server.extensions import huey
    assert "sweep_exports_task" in {task.name for task in huey._registry.periodic_tasks}

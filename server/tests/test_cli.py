from sqlalchemy import func, select

from server.models import Business, Customer, User


def test_create_user_command_creates_a_platform_admin(app, db):
    result = app.test_cli_runner().invoke(args=["create-user", "--email", "Boss@Test.Local",
                                                "--password", "long-enough-1", "--role", "admin"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "boss@test.local"))
    assert user.role == "admin" and user.business_id is None
    assert user.password_hash.startswith("$argon2id$")


def test_create_user_command_rejects_staff_without_business(app, db):
    result = app.test_cli_runner().invoke(args=["create-user", "--email", "s@test.local",
                                                "--password", "long-enough-1", "--role", "staff"])
    assert result.exit_code != 0
    assert "business" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_seed_demo_creates_hebrew_business_and_logins_once(app, db, client):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert db.session.scalar(select(func.count(Business.id))) == 1
    emails = set(db.session.scalars(select(User.email)))
    assert emails == {"admin@kesher.local", "staff@kesher.local", "viewer@kesher.local"}
    names = list(db.session.scalars(select(Customer.name)))
    assert "דנה כהן" in names
    r = client.post("/api/auth/login", json={"email": "admin@kesher.local", "password": "kesher-demo"})
    assert r.status_code == 200 and r.get_json()["user"]["role"] == "admin"


def test_seed_demo_refuses_production(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "APP_ENV", "production")
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "production" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0

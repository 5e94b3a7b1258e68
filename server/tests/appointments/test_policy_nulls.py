"""The calendar policy's answers that always have a value are never null: a null is a 422 that changes nothing."""
import pytest


@pytest.mark.parametrize("key", ["closed_on_holidays", "closures", "reminder_hours"])
def test_a_null_policy_answer_is_a_422_and_changes_nothing(client, login_as, key):
    login_as("admin", platform=False)
    before = client.get("/api/calendar-policy").get_json()
    r = client.put("/api/calendar-policy", json={key: None})
    assert r.status_code == 422 and key in r.get_json()["fields"]
    assert client.get("/api/calendar-policy").get_json() == before

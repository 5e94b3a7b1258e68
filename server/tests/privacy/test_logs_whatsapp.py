"""WhatsApp traffic (Twilio and Meta inbound, an outbound send, delivery statuses) leaves no
phone number, message text or sender name in the log file."""
from __future__ import annotations

from server.tests.privacy.test_logs import LogFile
from server.tests.whatsapp.conftest import (  # noqa: F401  (fixtures)
    CUSTOMER_PHONE, META_SECRET, TWILIO_NUMBER, dev_business, fake_meta, fake_twilio, fast_delivery, meta_business,
    meta_inbound, post_meta, post_twilio, twilio_business,
)

PHONE_FORMS = (CUSTOMER_PHONE, CUSTOMER_PHONE[1:], "0" + CUSTOMER_PHONE[4:], "054-555-1234", CUSTOMER_PHONE[4:])
INBOUND_TEXT = "שלום, זו יעל ברגר, הכרטיס שלי מסתיים ב-4580 ואני רוצה לבטל"
OUTBOUND_TEXT = "שלום יעל, ביטלנו את ההזמנה שלך מספר 8812"


def test_whatsapp_traffic_leaves_no_phone_text_or_name_in_the_log(client, db, app, monkeypatch, login_as,  # noqa: F811
                                                                  twilio_business, meta_business):  # noqa: F811
    from server.models import WhatsAppMsg
    log_file = LogFile(app)
    sid = "SM" + "7" * 32
    form = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "a1" * 16,
            "From": f"whatsapp:{CUSTOMER_PHONE}", "To": f"whatsapp:{TWILIO_NUMBER}", "Body": INBOUND_TEXT,
            "NumMedia": "0", "ProfileName": "יעל ברגר", "WaId": CUSTOMER_PHONE[1:], "SmsStatus": "received",
            "NumSegments": "1", "MessageType": "text", "ApiVersion": "2010-04-01"}
    assert post_twilio(client, form).status_code == 200
    assert post_twilio(client, form).status_code == 200  # a duplicate delivery is logged too
    monkeypatch.setitem(app.config, "META_APP_SECRET", META_SECRET)
    assert post_meta(client, meta_inbound("wamid.log1", INBOUND_TEXT, sender=CUSTOMER_PHONE[1:],
                                          name="יעל ברגר")).status_code == 200
    login_as("staff", business=twilio_business)
    r = client.post("/api/whatsapp/send", json={"to": "054-555-1234", "text": OUTBOUND_TEXT})
    assert r.status_code == 200, r.get_json()
    bodies = {m.body for m in db.session.query(WhatsAppMsg)}
    assert INBOUND_TEXT in bodies and OUTBOUND_TEXT in bodies  # stored...
    text = log_file.read()
    assert "whatsapp" in text.lower()  # ...and logged about
    for value in PHONE_FORMS + (INBOUND_TEXT, OUTBOUND_TEXT, "יעל", "ברגר", "4580", "8812"):
        assert value not in text, f"{value!r} reached the log:\n{text}"

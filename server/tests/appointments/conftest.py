"""A hair salon with a price list and two staff calendars, for the appointment tests."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

ISRAEL = ZoneInfo("Asia/Jerusalem")
# Sunday to Thursday 09:00–17:00, Friday 08:00–13:00, Shabbat closed.
SALON_HOURS = {**{str(d): [["09:00", "17:00"]] for d in range(5)}, "5": [["08:00", "13:00"]]}


def il(y, m, d, hh=0, mm=0) -> datetime:
    """An Israel wall-clock time, aware."""
    return datetime(y, m, d, hh, mm, tzinfo=ISRAEL)


@pytest.fixture()
def salon(db, make_business, make_customer):
    from server.models.appointments import Service, ServiceStaff, StaffCalendar
    from server.services.appointments.settings import new_token

    business = make_business("מספרת שירה")
    dana = StaffCalendar(business_id=business.id, name="דנה", hours=SALON_HOURS, ical_token=new_token(),
                         breaks=[{"day": None, "start": "13:00", "end": "13:30"}])
    yossi = StaffCalendar(business_id=business.id, name="יוסי", hours=SALON_HOURS, ical_token=new_token())
    db.session.add_all([dana, yossi])
    db.session.flush()
    haircut = Service(business_id=business.id, name="תספורת נשים", duration_minutes=45, price_agorot=18000,
                      buffer_minutes=15)
    straightening = Service(business_id=business.id, name="החלקה", duration_minutes=120, price_agorot=65000)
    db.session.add_all([haircut, straightening])
    db.session.flush()
    db.session.add(ServiceStaff(service_id=straightening.id, staff_id=dana.id, business_id=business.id))
    db.session.commit()
    customer = make_customer(business, name="מיכל לוי", phone="+972521112233")

    class Salon:
        pass
    s = Salon()
    s.business, s.dana, s.yossi, s.haircut, s.straightening, s.customer = (
        business, dana, yossi, haircut, straightening, customer)
    return s


def ordinary_sunday():
    """A Sunday at least a week ahead that is no holiday or erev chag (API slots are future only)."""
    from datetime import date, timedelta

    from server.services.appointments.holy_days import day_kind
    day = date.today() + timedelta(days=7)
    day += timedelta(days=(6 - day.weekday()) % 7)
    while any(day_kind(day + timedelta(days=n)) != day_kind(date(2026, 12, 6) + timedelta(days=n)) for n in range(5)):
        day += timedelta(days=7)
    return day

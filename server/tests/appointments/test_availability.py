"""Free slots: hours, breaks, days off, Shabbat and holidays, closures, buffers, DST."""
from __future__ import annotations

from datetime import timedelta, timezone

from server.models.appointments import Appointment, CalendarPolicy
from server.services.appointments.availability import free_slots, free_slots_naive
from server.services.appointments.settings import new_token
from server.tests.appointments.conftest import il


def _starts(slots, staff_id):
    return [s.start.astimezone(il(2026, 1, 1).tzinfo).strftime("%m-%d %H:%M") for s in slots if s.staff_id == staff_id]


def _book(db, salon, staff, start, service=None, status="booked"):
    service = service or salon.haircut
    end = start + timedelta(minutes=service.duration_minutes)
    row = Appointment(business_id=salon.business.id, customer_id=salon.customer.id, service_id=service.id,
                      staff_id=staff.id, start_at=start.astimezone(timezone.utc), end_at=end,
                      blocked_until=end + timedelta(minutes=service.buffer_minutes), status=status)
    db.session.add(row)
    db.session.commit()
    return row


def test_a_working_day_on_a_15_minute_grid_without_the_break(db, salon):
    slots = free_slots(salon.haircut, il(2026, 12, 6), il(2026, 12, 7))  # a Sunday
    dana = _starts(slots, salon.dana.id)
    assert dana[:3] == ["12-06 09:00", "12-06 09:15", "12-06 09:30"]
    assert "12-06 12:15" in dana and "12-06 12:30" not in dana  # 45 minutes must end by the 13:00 break
    assert "12-06 13:30" in dana
    assert dana[-1] == "12-06 16:15"  # the last one ends at closing
    assert _starts(slots, salon.yossi.id)[-1] == "12-06 16:15"
    assert "12-06 12:30" in _starts(slots, salon.yossi.id)  # יוסי has no break


def test_a_booking_and_its_buffer_are_busy(db, salon):
    _book(db, salon, salon.dana, il(2026, 12, 6, 10, 0))  # 10:00–10:45, held until 11:00
    dana = _starts(free_slots(salon.haircut, il(2026, 12, 6), il(2026, 12, 7)), salon.dana.id)
    assert "12-06 09:00" in dana  # 09:00 + 45 + 15 buffer ends at 10:00 exactly
    assert "12-06 09:15" not in dana
    assert all(t not in dana for t in ("12-06 09:30", "12-06 10:00", "12-06 10:45"))
    assert "12-06 11:00" in dana


def test_cancelled_and_no_show_free_the_slot(db, salon):
    _book(db, salon, salon.dana, il(2026, 12, 6, 10, 0), status="cancelled")
    _book(db, salon, salon.dana, il(2026, 12, 6, 11, 0), status="no_show")
    dana = _starts(free_slots(salon.haircut, il(2026, 12, 6), il(2026, 12, 7)), salon.dana.id)
    assert "12-06 10:00" in dana and "12-06 11:00" in dana


def test_only_the_staff_linked_to_a_service_are_offered(db, salon):
    slots = free_slots(salon.straightening, il(2026, 12, 6), il(2026, 12, 7))
    assert {s.staff_id for s in slots} == {salon.dana.id}


def test_shabbat_and_friday(db, salon):
    slots = free_slots(salon.haircut, il(2026, 12, 11), il(2026, 12, 13))  # Friday and Shabbat
    dana = _starts(slots, salon.dana.id)
    assert dana[0] == "12-11 08:00" and dana[-1] == "12-11 12:15"
    assert not [t for t in dana if t.startswith("12-12")]


def test_friday_hours_of_the_business_cap_the_staff(db, salon):
    db.session.add(CalendarPolicy(business_id=salon.business.id, closed_on_holidays=True, closures=[],
                                  friday_hours=[["09:00", "12:00"]], ical_token=new_token()))
    db.session.commit()
    dana = _starts(free_slots(salon.haircut, il(2026, 12, 11), il(2026, 12, 12)), salon.dana.id)
    assert dana[0] == "12-11 09:00" and dana[-1] == "12-11 11:15"


def test_holidays_close_and_erev_chag_is_short(db, salon):
    db.session.add(CalendarPolicy(business_id=salon.business.id, closed_on_holidays=True, closures=[],
                                  erev_chag_hours=[["09:00", "12:00"]], ical_token=new_token()))
    db.session.commit()
    # 2026-09-20 is erev Yom Kippur (Sunday), 09-21 Yom Kippur (Monday), 09-22 an ordinary Tuesday.
    yossi = _starts(free_slots(salon.haircut, il(2026, 9, 20), il(2026, 9, 23)), salon.yossi.id)
    assert [t for t in yossi if t.startswith("09-20")][-1] == "09-20 11:15"
    assert not [t for t in yossi if t.startswith("09-21")]
    assert [t for t in yossi if t.startswith("09-22")][-1] == "09-22 16:15"


def test_a_business_open_on_holidays(db, salon):
    db.session.add(CalendarPolicy(business_id=salon.business.id, closed_on_holidays=False, closures=[],
                                  ical_token=new_token()))
    db.session.commit()
    dana = _starts(free_slots(salon.haircut, il(2026, 4, 8), il(2026, 4, 9)), salon.dana.id)  # שביעי של פסח
    assert dana and dana[0] == "04-08 09:00"


def test_a_holiday_is_an_israel_day_on_both_sides_of_utc_midnight(db, salon):
    """Shavuot 2026 is Friday 22 May in Israel: 21 May 21:00 UTC is already Shavuot."""
    salon.dana.hours = {str(d): [["00:00", "24:00"]] for d in range(7)}
    db.session.commit()
    slots = free_slots(salon.haircut, il(2026, 5, 21, 12), il(2026, 5, 23, 12))
    utc = [s.start.astimezone(timezone.utc) for s in slots if s.staff_id == salon.dana.id]
    # Erev Shavuot (Thursday) ends at Israel midnight = 21:00 UTC; nothing on Shavuot or Shabbat.
    assert all(t < il(2026, 5, 22) for t in utc)
    assert il(2026, 5, 21, 23, 0) in utc  # 20:00 UTC on erev chag, still Thursday in Israel
    assert max(utc) == il(2026, 5, 21, 23, 15)  # the last one ends at Israel midnight (21:00 UTC)


def test_closures_and_days_off(db, salon):
    db.session.add(CalendarPolicy(business_id=salon.business.id, closed_on_holidays=True, ical_token=new_token(),
                                  closures=[{"start": "2026-12-07", "end": "2026-12-08", "note": "שיפוץ"}]))
    salon.yossi.days_off = ["2026-12-06"]
    db.session.commit()
    slots = free_slots(salon.haircut, il(2026, 12, 6), il(2026, 12, 10))
    assert not [t for t in _starts(slots, salon.yossi.id) if t.startswith("12-06")]
    assert [t for t in _starts(slots, salon.dana.id) if t.startswith("12-06")]
    days = {t[:5] for t in _starts(slots, salon.dana.id)}
    assert days == {"12-06", "12-09"}


def test_dst_change_keeps_wall_clock_hours(db, salon):
    """Israel summer time starts Friday 27 March 2026 (02:00 → 03:00): 09:00 stays 09:00."""
    slots = [s for s in free_slots(salon.haircut, il(2026, 3, 26), il(2026, 3, 30)) if s.staff_id == salon.yossi.id]
    first = {}
    for s in slots:
        first.setdefault(s.start.astimezone(il(2026, 1, 1).tzinfo).date().isoformat(), s.start.astimezone(timezone.utc))
    assert first["2026-03-26"].strftime("%H:%M") == "07:00"  # +02:00
    assert first["2026-03-27"].strftime("%H:%M") == "05:00"  # Friday 08:00, already +03:00
    assert first["2026-03-29"].strftime("%H:%M") == "06:00"  # +03:00
    assert "2026-03-28" not in first


def test_dst_end_week(db, salon):
    """Summer time ends Sunday 25 October 2026."""
    slots = [s for s in free_slots(salon.haircut, il(2026, 10, 23), il(2026, 10, 27)) if s.staff_id == salon.yossi.id]
    firsts = sorted({s.start.astimezone(timezone.utc) for s in slots})
    assert il(2026, 10, 23, 8).astimezone(timezone.utc).hour == 5
    assert il(2026, 10, 23, 8) in firsts and il(2026, 10, 25, 9) in firsts and il(2026, 10, 26, 9) in firsts
    assert il(2026, 10, 25, 9).astimezone(timezone.utc).hour == 7


def test_the_sweep_agrees_with_the_naive_scan(db, salon):
    for hour in (9, 10, 12, 14):
        _book(db, salon, salon.dana, il(2026, 12, 6, hour, 30))
    _book(db, salon, salon.yossi, il(2026, 12, 7, 9, 0), service=salon.straightening)
    fast = free_slots(salon.haircut, il(2026, 12, 6), il(2026, 12, 9))
    assert fast == free_slots_naive(salon.haircut, il(2026, 12, 6), il(2026, 12, 9))
    assert len(fast) > 50

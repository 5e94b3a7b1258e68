"""Appointments: the price list, staff calendars, the Hebrew calendar, availability and booking.

Modules: `holy_days` (Shabbat, Israeli holidays, Friday and erev chag, from the `holidays`
library), `settings` (services, staff calendars, the calendar policy), `availability` (free
slots), `booking` (book, move, cancel: no double booking), `ical` (the iCalendar feeds).
"""

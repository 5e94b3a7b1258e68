"""GET /calendar/<token>.ics: a staff calendar's or a business's iCalendar feed.

No login (calendar apps cannot log in): the secret token in the URL is the credential, and
rotating it (by the business admin) revokes every subscription. Not under /api/: it is a
file for calendar apps, not JSON.
"""
from __future__ import annotations

from flask import Blueprint, Response

from server.schemas.common import binary
from server.services.appointments import ical
from server.validation import validate

calendar_feed_bp = Blueprint("calendar_feed", __name__)


@calendar_feed_bp.get("/calendar/<token>.ics")
@validate(files=binary("text/calendar"), tags=["appointments"])
def feed(token: str):
    """The appointments of the staff calendar or business whose secret token this is."""
    response = Response(ical.feed(token), mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
    return response

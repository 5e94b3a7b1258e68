"""Appointments: services (the price list), staff calendars, the calendar policy, slots and
appointments — request and response models. Times are answered in UTC ("+00:00") like the
rest of the API; requests may give any offset. Weekly hours are Israel wall-clock "HH:MM"."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from server.error_codes import ErrorCode
from server.errors import FieldError
from server.schemas.common import IsoTime, OrmModel
from server.schemas.fields import BusinessIdParam

HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")]
Span = tuple[HHMM, HHMM]
Day = Literal["0", "1", "2", "3", "4", "5", "6"]
Status = Literal["booked", "confirmed", "cancelled", "no_show", "done"]
Source = Literal["phone", "whatsapp", "web"]


def _spans_ordered(spans: list[tuple[str, str]] | None):
    for start, end in spans or []:
        if start >= end:
            raise ValueError(FieldError(ErrorCode.ENDS_BEFORE_STARTS, "each span must end after it starts"))
    return spans


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ScopeQuery(BaseModel):
    business_id: BusinessIdParam = None


# ---- services ---------------------------------------------------------------------------

class Service(OrmModel):
    id: int
    name: str
    duration_minutes: int
    price_agorot: int
    buffer_minutes: int
    active: bool
    staff_ids: list[int]


class ServiceCreate(_Strict):
    name: str = Field(min_length=1, max_length=120)
    duration_minutes: int = Field(ge=5, le=24 * 60)
    price_agorot: int = Field(0, ge=0, le=10**9)
    buffer_minutes: int = Field(0, ge=0, le=240)
    active: bool = True
    staff_ids: list[int] = Field(default_factory=list, max_length=200)


class ServiceUpdate(_Strict):
    name: str | None = Field(None, min_length=1, max_length=120)
    duration_minutes: int | None = Field(None, ge=5, le=24 * 60)
    price_agorot: int | None = Field(None, ge=0, le=10**9)
    buffer_minutes: int | None = Field(None, ge=0, le=240)
    active: bool | None = None
    staff_ids: list[int] | None = Field(None, max_length=200)

    @field_validator("name", "duration_minutes", "price_agorot", "buffer_minutes", "active")
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise ValueError(FieldError(ErrorCode.NOT_NULL, "may not be null"))
        return value


# ---- staff calendars --------------------------------------------------------------------

class Break(_Strict):
    day: int | None = Field(None, ge=0, le=6, description="0 = Sunday; null = every day")
    start: HHMM
    end: HHMM

    @model_validator(mode="after")
    def _ordered(self):
        _spans_ordered([(self.start, self.end)])
        return self


class _StaffFields(_Strict):
    user_id: int | None = Field(None, ge=1)
    hours: dict[Day, list[Span]] | None = Field(None, description='{"0": [["09:00", "18:00"]], …}; 0 = Sunday')
    breaks: list[Break] | None = Field(None, max_length=50)
    days_off: list[date] | None = Field(None, max_length=400)
    active: bool | None = None

    @field_validator("hours")
    @classmethod
    def _hours(cls, value):
        for spans in (value or {}).values():
            _spans_ordered(spans)
        return value

    def changes(self) -> dict:
        data = self.model_dump(include=set(self.model_fields_set), mode="json")
        if "hours" in data and data["hours"] is not None:
            data["hours"] = {day: [list(span) for span in spans] for day, spans in data["hours"].items()}
        return data


class StaffCreate(_StaffFields):
    name: str = Field(min_length=1, max_length=120)


class StaffUpdate(_StaffFields):
    name: str | None = Field(None, min_length=1, max_length=120)
    rotate_ical_token: bool = False


class StaffCalendar(OrmModel):
    id: int
    name: str
    user_id: int | None
    hours: dict[str, list[list[str]]]
    breaks: list[dict]
    days_off: list[str]
    active: bool
    ical_url: str


# ---- the calendar policy ----------------------------------------------------------------

class Closure(_Strict):
    start: date
    end: date
    note: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError(FieldError(ErrorCode.ENDS_BEFORE_STARTS, "end is before start"))
        return self


class PolicyUpdate(_Strict):
    # Not sent: unchanged. Never null: the policy always has an answer for both (friday_hours and
    # erev_chag_hours may be null: no cap).
    closed_on_holidays: bool = None
    closures: list[Closure] = Field(None, max_length=200)
    friday_hours: list[Span] | None = None
    erev_chag_hours: list[Span] | None = None
    reminder_hours: int = Field(None, ge=0, le=168, description="hours before the start; 0: no reminder")
    rotate_ical_token: bool = False

    @field_validator("friday_hours", "erev_chag_hours")
    @classmethod
    def _spans(cls, value):
        return _spans_ordered(value)

    def changes(self) -> dict:
        data = self.model_dump(include=set(self.model_fields_set), mode="json")
        for key in ("friday_hours", "erev_chag_hours"):
            if data.get(key) is not None:
                data[key] = [list(span) for span in data[key]]
        return data


class CalendarPolicy(OrmModel):
    closed_on_holidays: bool
    closures: list[dict]
    friday_hours: list[list[str]] | None
    erev_chag_hours: list[list[str]] | None
    reminder_hours: int
    ical_url: str


# ---- availability and appointments ------------------------------------------------------

WINDOW_DOC = "ISO 8601 with an offset, or YYYY-MM-DD (a whole Israel day)"


class WindowQuery(ScopeQuery):
    from_: datetime | date = Field(alias="from", description=WINDOW_DOC)
    to: datetime | date = Field(description=WINDOW_DOC + "; a date is included")
    staff_id: int | None = Field(None, ge=1)

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _date_or_aware(cls, value):
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value) if _is_date(value) else value
        return value

    @field_validator("from_", "to")
    @classmethod
    def _aware(cls, value):
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError(FieldError(ErrorCode.TIMEZONE_REQUIRED, "a time needs an offset (e.g. +03:00)"))
        return value


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
        return True
    except ValueError:
        return False


class AvailabilityQuery(WindowQuery):
    service_id: int = Field(ge=1)


class AppointmentsQuery(WindowQuery):
    customer_id: int | None = Field(None, ge=1)
    status: Status | None = None


class Slot(BaseModel):
    start: str
    end: str
    staff_id: int


class AppointmentCreate(_Strict):
    customer_id: int = Field(ge=1)
    service_id: int = Field(ge=1)
    start: AwareDatetime
    staff_id: int | None = Field(None, ge=1)
    notes: str | None = Field(None, max_length=5000)
    source: Source = "web"


class AppointmentUpdate(_Strict):
    start: AwareDatetime | None = None
    staff_id: int | None = Field(None, ge=1)
    service_id: int | None = Field(None, ge=1)
    notes: str | None = Field(None, max_length=5000)
    status: Status | None = None


class Appointment(OrmModel):
    id: int
    business_id: int
    customer_id: int
    service_id: int
    staff_id: int
    start: IsoTime = Field(validation_alias=AliasChoices("start_at", "start"))
    end: IsoTime = Field(validation_alias=AliasChoices("end_at", "end"))
    status: str
    source: str
    notes: str | None
    confirmed_at: IsoTime
    reminder_sent_at: IsoTime
    created_at: IsoTime
    updated_at: IsoTime
    # Only in GET /api/appointments (the calendar's cards); absent elsewhere.
    customer_name: str | None = None


class AppointmentDisplay(BaseModel):
    price: str | None


class AppointmentOnTimeline(Appointment):
    """A timeline item's data: the appointment and what its card shows."""
    service_name: str
    staff_name: str
    price_agorot: int
    display: AppointmentDisplay

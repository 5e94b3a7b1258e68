from __future__ import annotations

from pydantic import BaseModel, Field

from server.schemas.calls import Call


class DashboardToday(BaseModel):
    day: str
    calls: int
    messages: int
    open_tasks: int
    overdue_tasks: int
    appointments: int


class DashboardDay(BaseModel):
    day: str
    calls: int
    messages: int


class DashboardAppointment(BaseModel):
    id: int
    customer_id: int
    customer_name: str
    service_name: str
    staff_name: str
    start: str
    end: str
    status: str


class NoShowRate(BaseModel):
    days: int
    appointments: int
    no_shows: int
    rate: float | None = Field(description="no_shows / appointments (0..1); null when there were none")


class Dashboard(BaseModel):
    time_zone: str
    today: DashboardToday
    days: list[DashboardDay]
    recent_calls: list[Call]
    appointments_today: list[DashboardAppointment]
    no_show: NoShowRate

from __future__ import annotations

from pydantic import BaseModel

from server.schemas.calls import Call


class DashboardToday(BaseModel):
    day: str
    calls: int
    messages: int
    open_tasks: int
    overdue_tasks: int


class DashboardDay(BaseModel):
    day: str
    calls: int
    messages: int


class Dashboard(BaseModel):
    time_zone: str
    today: DashboardToday
    days: list[DashboardDay]
    recent_calls: list[Call]

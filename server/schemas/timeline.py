from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, Field

from server.schemas.appointments import AppointmentOnTimeline
from server.schemas.calls import Call
from server.schemas.common import IsoTime
from server.schemas.records import Contract, Invoice, Task
from server.schemas.whatsapp import WhatsAppMessage


class CallItem(BaseModel):
    type: Literal["call"]
    at: IsoTime
    data: Call


class WhatsAppItem(BaseModel):
    type: Literal["whatsapp"]
    at: IsoTime
    data: WhatsAppMessage


class TaskItem(BaseModel):
    type: Literal["task"]
    at: IsoTime
    data: Task


class InvoiceItem(BaseModel):
    type: Literal["invoice"]
    at: IsoTime
    data: Invoice


class ContractItem(BaseModel):
    type: Literal["contract"]
    at: IsoTime
    data: Contract


class AppointmentItem(BaseModel):
    type: Literal["appointment"]
    at: IsoTime
    data: AppointmentOnTimeline


TimelineItem = Annotated[Union[CallItem, WhatsAppItem, TaskItem, InvoiceItem, ContractItem, AppointmentItem],
                         Field(discriminator="type")]
Timeline = list[TimelineItem]

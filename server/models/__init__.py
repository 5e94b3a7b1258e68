"""Models, one module per entity group. Importing this package registers every table."""
from server.models.appointments import Appointment, CalendarPolicy, Service, ServiceStaff, StaffCalendar
from server.models.audit import AuditEntry
from server.models.business import Business
from server.models.call import CallLog, CallTurn, StreamToken
from server.models.customer import Customer
from server.models.knowledge import KnowledgeDocument, KnowledgeEntry, KnowledgePassage
from server.models.privacy import DataExport
from server.models.records import Contract, Invoice, Task
from server.models.user import User
from server.models.whatsapp import WhatsAppMedia, WhatsAppMsg, WhatsAppTemplate

__all__ = [
    "Appointment", "AuditEntry", "Business", "CalendarPolicy", "CallLog", "CallTurn", "Contract", "Customer",
    "DataExport", "Invoice", "KnowledgeDocument", "KnowledgeEntry", "KnowledgePassage", "Service", "ServiceStaff",
    "StaffCalendar", "StreamToken", "Task", "User", "WhatsAppMedia", "WhatsAppMsg", "WhatsAppTemplate",
]

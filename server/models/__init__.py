"""Models, one module per entity group. Importing this package registers every table."""
from server.models.appointments import Appointment, CalendarPolicy, Service, ServiceStaff, StaffCalendar
from server.models.audit import AuditEntry
from server.models.automations import AutomationRun, AutomationSetting, Campaign, CampaignRecipient, CustomerTag
from server.models.business import Business
from server.models.call import CallLog, CallTurn, StreamToken
from server.models.conversation import Conversation
from server.models.customer import Customer
from server.models.knowledge import KnowledgeDocument, KnowledgeEntry, KnowledgePassage
from server.models.privacy import DataExport
from server.models.records import Contract, Invoice, Task
from server.models.user import User
from server.models.whatsapp import WhatsAppMedia, WhatsAppMsg, WhatsAppTemplate

__all__ = [
    "Appointment", "AuditEntry", "AutomationRun", "AutomationSetting", "Business", "CalendarPolicy", "CallLog",
    "CallTurn", "Campaign", "CampaignRecipient", "Contract", "Conversation", "Customer", "CustomerTag", "DataExport",
    "Invoice", "KnowledgeDocument", "KnowledgeEntry", "KnowledgePassage", "Service", "ServiceStaff", "StaffCalendar",
    "StreamToken", "Task", "User", "WhatsAppMedia", "WhatsAppMsg", "WhatsAppTemplate",
]

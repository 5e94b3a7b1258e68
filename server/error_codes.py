"""Every error code the API can answer, in one place.

An error is {"error": "<English text>", "code": "<code>"}; a field error also appears in
"field_codes" as {"code": "<code>", "params": {...}} (see errors.py). Clients branch on and
translate the code, never the text: the SPA's table (src/lib/strings.ts, `errorTexts`)
has a Hebrew string for each, and src/lib/error-codes.json (written by
`python -m server.error_codes`, checked by server/tests/test_error_codes.py) is the list
its test holds the table to. A code, once published, keeps its meaning; add, never rename.
"""
from __future__ import annotations

import json
import sys
from enum import StrEnum


class ErrorCode(StrEnum):
    # ---- by HTTP status: the answer when nothing more specific applies
    BAD_REQUEST = "bad_request"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    VALIDATION = "validation"
    TOO_MANY_REQUESTS = "too_many_requests"
    INTERNAL_ERROR = "internal_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    GONE = "gone"
    HTTP_ERROR = "http_error"  # any other HTTP status

    # ---- requests and sessions
    INVALID_JSON = "invalid_json"
    JSON_NOT_OBJECT = "json_not_object"
    JSON_TOO_DEEP = "json_too_deep"
    CSRF = "csrf"
    INVALID_CREDENTIALS = "invalid_credentials"
    BUSINESS_INACTIVE = "business_inactive"
    INVALID_SIGNATURE = "invalid_signature"
    INVALID_LINK = "invalid_link"
    INVALID_PAGING = "invalid_paging"

    # ---- something is not there
    BUSINESS_NOT_FOUND = "business_not_found"
    USER_NOT_FOUND = "user_not_found"
    CUSTOMER_NOT_FOUND = "customer_not_found"
    TASK_NOT_FOUND = "task_not_found"
    CONTRACT_NOT_FOUND = "contract_not_found"
    INVOICE_NOT_FOUND = "invoice_not_found"
    TEMPLATE_NOT_FOUND = "template_not_found"
    EXPORT_NOT_FOUND = "export_not_found"
    RECORDING_NOT_FOUND = "recording_not_found"
    SERVICE_NOT_FOUND = "service_not_found"
    STAFF_NOT_FOUND = "staff_not_found"
    APPOINTMENT_NOT_FOUND = "appointment_not_found"
    MEDIA_NOT_FOUND = "media_not_found"

    # ---- conflicts with what is stored
    EMAIL_EXISTS = "email_exists"
    SLOT_TAKEN = "slot_taken"  # with "next_slots"
    PHONE_EXISTS = "phone_exists"
    NAME_EXISTS = "name_exists"
    VOICE_NUMBER_EXISTS = "voice_number_exists"
    WHATSAPP_NUMBER_EXISTS = "whatsapp_number_exists"
    TEMPLATE_EXISTS = "template_exists"
    CANNOT_CHANGE_OWN_ROLE = "cannot_change_own_role"
    CANNOT_DEACTIVATE_SELF = "cannot_deactivate_self"
    CUSTOMER_HAS_HISTORY = "customer_has_history"
    CUSTOMER_ALREADY_ERASED = "customer_already_erased"
    OUTSIDE_24H_WINDOW = "outside_24h_window"
    EXPORT_NOT_READY = "export_not_ready"
    EXPORT_EXPIRED = "export_expired"
    LINK_EXPIRED = "link_expired"
    DEMO_REFUSED = "demo_refused"
    VOICE_NUMBER_ADMIN_ONLY = "voice_number_admin_only"
    WHATSAPP_NUMBER_ADMIN_ONLY = "whatsapp_number_admin_only"
    RECORDING_UNAVAILABLE = "recording_unavailable"
    INVOICE_ISSUED_NOT_EDITABLE = "invoice_issued_not_editable"
    INVOICE_ISSUED_NOT_DELETABLE = "invoice_issued_not_deletable"
    INVOICE_ALREADY_ISSUED = "invoice_already_issued"
    INVOICE_ALREADY_CANCELLED = "invoice_already_cancelled"
    INVOICE_NOT_PAYABLE = "invoice_not_payable"
    CREDIT_NOTE_NOT_PAYABLE = "credit_note_not_payable"
    CREDIT_NOTE_NOT_CANCELLABLE = "credit_note_not_cancellable"
    DRAFT_NOT_CANCELLABLE = "draft_not_cancellable"
    BACKUP_REFUSED = "backup_refused"
    BACKUP_TARGET_EXISTS = "backup_target_exists"
    # WhatsApp webhooks (strict mode): a message that cannot be taken
    INVALID_TEXT = "invalid_text"
    INVALID_SENDER = "invalid_sender"
    UNKNOWN_BUSINESS_NUMBER = "unknown_business_number"

    # ---- field errors (in "field_codes"; params in brackets)
    INVALID = "invalid"  # a field error without a more specific code
    REQUIRED = "required"
    NOT_NULL = "not_null"
    NOT_TEXT = "not_text"
    NOT_INTEGER = "not_integer"
    NOT_NUMBER = "not_number"
    NOT_BOOLEAN = "not_boolean"
    NOT_OBJECT = "not_object"
    NOT_LIST = "not_list"
    TOO_SHORT = "too_short"  # {min}: characters
    TOO_LONG = "too_long"  # {max}: characters
    TOO_FEW = "too_few"  # {min}: items
    TOO_MANY = "too_many"  # {max}: items
    MIN_VALUE = "min_value"  # {min}
    MAX_VALUE = "max_value"  # {max}
    GREATER_THAN = "greater_than"  # {limit}
    LESS_THAN = "less_than"  # {limit}
    WHOLE_NUMBER_RANGE = "whole_number_range"  # {min, max}
    SECONDS_RANGE = "seconds_range"  # {min, max}
    NUMBER_RANGE = "number_range"  # {min, max}
    ONE_OF = "one_of"  # {choices}: a list
    UNKNOWN_FIELD = "unknown_field"
    INVALID_FORMAT = "invalid_format"
    INVALID_DATE = "invalid_date"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    TIMEZONE_REQUIRED = "timezone_required"
    UNSTORABLE_NUL = "unstorable_nul"
    UNSTORABLE_TEXT = "unstorable_text"
    NAME_REQUIRED = "name_required"
    INVALID_NAME = "invalid_name"
    PHONE_REQUIRED = "phone_required"
    INVALID_PHONE = "invalid_phone"
    INVALID_EMAIL = "invalid_email"
    INVALID_DOMAIN = "invalid_domain"
    ID_LAST4 = "id_last4"
    BUSINESS_REQUIRED = "business_required"  # staff and viewers belong to a business
    BUSINESS_ID_REQUIRED = "business_id_required"  # a platform admin chooses one
    TEXT_OR_TEMPLATE = "text_or_template"
    TEXT_LENGTH = "text_length"  # {max}
    TEXT_OR_AUDIO_REQUIRED = "text_or_audio_required"
    AUDIO_REQUIRED = "audio_required"
    EMPTY_RECORDING = "empty_recording"
    UNKNOWN_TEMPLATE = "unknown_template"
    MISSING_VARIABLES = "missing_variables"  # {names}: a list
    TEMPLATE_WITHOUT_CONTENT_SID = "template_without_content_sid"
    TEMPLATE_NAME_CHARACTERS = "template_name_characters"
    UNKNOWN_SETTING = "unknown_setting"
    NOT_AGENT_SETTING = "not_agent_setting"
    UNKNOWN_PROVIDER_KIND = "unknown_provider_kind"
    HOURS_SPAN = "hours_span"
    RETENTION = "retention"  # {min, max, keys}
    TRUE_OR_FALSE = "true_or_false"
    SIGNED_AT_NEEDS_SIGNED = "signed_at_needs_signed"
    ENDS_BEFORE_STARTS = "ends_before_starts"
    AMOUNT_NEGATIVE = "amount_negative"
    AMOUNT_REQUIRED = "amount_required"
    AMOUNTS_DISAGREE = "amounts_disagree"
    INVALID_ALLOCATION_NUMBER = "invalid_allocation_number"
    ALLOCATION_NUMBER_REQUIRED = "allocation_number_required"  # {amount}: shekels before VAT
    INVALID_TAX_ID = "invalid_tax_id"
    TAX_ID_REQUIRED = "tax_id_required"
    VAT_RATE_UNKNOWN = "vat_rate_unknown"  # {date}
    INVALID_CURSOR = "invalid_cursor"
    UNKNOWN_TYPES = "unknown_types"  # {types, allowed}: lists
    UNKNOWN_ACTIONS = "unknown_actions"  # {actions}: a list
    SINCE_AFTER_UNTIL = "since_after_until"
    REASON_REQUIRED = "reason_required"
    FILE_ENCODING = "file_encoding"
    FILE_EMPTY = "file_empty"
    FILE_NAME_COLUMN = "file_name_column"
    FILE_TOO_MANY_ROWS = "file_too_many_rows"  # {max}
    FILE_ROWS_REJECTED = "file_rows_rejected"  # {rejected, total}
    REJECT_OR_SKIP = "reject_or_skip"
    EVENT_FIELDS_REQUIRED = "event_fields_required"
    OUTSIDE_HOURS = "outside_hours"
    SERVICE_INACTIVE = "service_inactive"
    WINDOW_TOO_LONG = "window_too_long"  # {max_days}

    # ---- knowledge base
    FILE_REQUIRED = "file_required"
    FILE_TOO_LARGE = "file_too_large"  # {max}: bytes
    UNSUPPORTED_DOCUMENT_TYPE = "unsupported_document_type"
    DOCUMENT_UNREADABLE = "document_unreadable"
    DOCUMENT_NO_TEXT = "document_no_text"
    QUESTION_REQUIRED = "question_required"

    # ---- automations and campaigns
    CAMPAIGN_NOT_FOUND = "campaign_not_found"
    # ---- WhatsApp media staff send
    MEDIA_TYPE_NOT_ALLOWED = "media_type_not_allowed"  # {allowed}: file extensions


def all_codes() -> list[str]:
    return [code.value for code in ErrorCode]


if __name__ == "__main__":  # python -m server.error_codes > src/lib/error-codes.json
    json.dump(all_codes(), sys.stdout, indent=1)
    sys.stdout.write("\n")

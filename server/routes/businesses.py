"""Business management (seed section 5.2): list for everyone, writes for admins only."""
from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, jsonify
from pydantic import BaseModel, BeforeValidator

from server.authz import auth_required, current_user, platform_admin_required, roles_required
from server.error_codes import ErrorCode
from server.errors import FieldError
from server.schemas.businesses import Business, BusinessDetails
from server.schemas.common import Ok
from server.schemas.fields import IsraeliPhone
from server.schemas.settings import WHATSAPP_PROVIDERS, BusinessSettingsUpdate, WhatsAppProviderName
from server.services import businesses as service
from server.validation import validate

businesses_bp = Blueprint("businesses", __name__, url_prefix="/api/businesses")


def _name(value: Any) -> Any:
    # The seed answers a name that is not text with its 400 "invalid name", not a 422.
    if value is not None and not isinstance(value, str):
        raise service.invalid_name()
    return value


def _number(value: Any) -> Any:
    """A routing number: blank clears it; anything but text is "phone required" (as before)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValueError(FieldError(ErrorCode.PHONE_REQUIRED, "phone required"))
    return value


def _provider(value: Any) -> Any:
    if value not in WHATSAPP_PROVIDERS:
        raise ValueError(FieldError(ErrorCode.ONE_OF, f"one of {', '.join(WHATSAPP_PROVIDERS)}",
                                    choices=list(WHATSAPP_PROVIDERS)))
    return value


RoutingNumber = Annotated[IsraeliPhone | None, BeforeValidator(_number)]


class BusinessBody(BaseModel):
    """Only these keys are read (others are ignored, as before). `name` errors keep the seed's
    400 messages; the service checks what needs the database (taken names and numbers)."""
    name: Annotated[str | None, BeforeValidator(_name)] = None
    domain: str | None = None
    voice_number: RoutingNumber = None
    whatsapp_number: RoutingNumber = None
    whatsapp_provider: Annotated[WhatsAppProviderName, BeforeValidator(_provider)] = None
    settings: BusinessSettingsUpdate | None = None


def _fields(body: BusinessBody) -> dict:
    # Only the keys the client sent: PUT changes what it names and nothing else.
    return {key: getattr(body, key) for key in body.model_fields_set}


@businesses_bp.get("")
@auth_required
@validate(response=list[BusinessDetails | Business])
def list_businesses():
    """Every business for the platform admin; your own business otherwise."""
    user = current_user()
    items = service.list_businesses(user)
    show = service.business_details if user.role == "admin" else (lambda b: b.to_dict())
    return jsonify([show(b) for b in items]), 200


@businesses_bp.get("/<int:bid>")
@auth_required
@validate(response=BusinessDetails | Business)
def get_business(bid: int):
    """One business (its settings for admins)."""
    user = current_user()
    business = service.get_business(user, bid)
    return jsonify(service.business_details(business) if user.role == "admin" else business.to_dict()), 200


@businesses_bp.post("")
@platform_admin_required
@validate(body=BusinessBody, response=BusinessDetails, status=201)
def create_business(body: BusinessBody):
    """Create a business (platform admin)."""
    business = service.create_business(current_user(), _fields(body))
    return jsonify(service.business_details(business)), 201


@businesses_bp.put("/<int:bid>")
@roles_required("admin")
@validate(body=BusinessBody, response=BusinessDetails)
def update_business(bid: int, body: BusinessBody):
    """Update name, domain, WhatsApp provider or settings (admin of the business); numbers: platform admin."""
    business = service.update_business(current_user(), bid, _fields(body))
    return jsonify(service.business_details(business)), 200


@businesses_bp.post("/<int:bid>/deactivate")
@platform_admin_required
@validate(response=Business)
def deactivate_business(bid: int):
    """Deactivate: the business's users are refused until it is reactivated."""
    return jsonify(service.set_business_active(current_user(), bid, False).to_dict()), 200


@businesses_bp.post("/<int:bid>/reactivate")
@platform_admin_required
@validate(response=Business)
def reactivate_business(bid: int):
    """Reactivate a deactivated business."""
    return jsonify(service.set_business_active(current_user(), bid, True).to_dict()), 200


@businesses_bp.delete("/<int:bid>")
@platform_admin_required
@validate(response=Ok)
def delete_business(bid: int):
    """Soft delete: kept for the record, gone from lists."""
    service.delete_business(current_user(), bid)
    return jsonify({"ok": True}), 200

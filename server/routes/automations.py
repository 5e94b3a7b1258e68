"""Follow-ups that run themselves: /api/automations (switches and texts) and /api/campaigns.
Staff and viewers read; the business admin writes and sends; a platform admin names the
business with ?business_id= (or business_id in the body)."""
from __future__ import annotations

from flask import Blueprint, jsonify

from server.authz import auth_required, current_user, roles_required, scoped_business_id
from server.schemas.automations import (AutomationRun, AutomationSettingsUpdate, AutomationsOut, Campaign, CampaignBody,
                                        CampaignDetail, CampaignPreview, CampaignPreviewBody, ScopeQuery)
from server.services.automations import campaigns as campaign_service
from server.services.automations import settings as settings_service
from server.validation import validate

automations_bp = Blueprint("automations", __name__, url_prefix="/api")
WRITERS = ("admin",)
TAGS = ["automations"]


def _out(data: dict) -> dict:
    return AutomationsOut.model_validate({**data, "recent": [AutomationRun.dump(r) for r in data["recent"]]}
                                         ).model_dump(mode="json")


@automations_bp.get("/automations")
@auth_required
@validate(query=ScopeQuery, response=AutomationsOut, tags=TAGS)
def get_automations(query: ScopeQuery):
    """The business's automations: each switch and text, the missed-call template, the latest firings."""
    return jsonify(_out(settings_service.describe(scoped_business_id(query.business_id)))), 200


@automations_bp.put("/automations")
@roles_required(*WRITERS)
@validate(query=ScopeQuery, body=AutomationSettingsUpdate, response=AutomationsOut, tags=TAGS)
def put_automations(query: ScopeQuery, body: AutomationSettingsUpdate):
    """Change switches and texts: only the keys sent change."""
    return jsonify(_out(settings_service.update_settings(scoped_business_id(query.business_id), body))), 200


@automations_bp.post("/campaigns/preview")
@roles_required(*WRITERS)
@validate(body=CampaignPreviewBody, response=CampaignPreview, tags=TAGS)
def preview_campaign(body: CampaignPreviewBody):
    """How many customers the filter reaches (opted-out customers are counted apart, never sent)."""
    return jsonify(campaign_service.preview(scoped_business_id(body.business_id), body.filters)), 200


@automations_bp.post("/campaigns")
@roles_required(*WRITERS)
@validate(body=CampaignBody, response=Campaign, status=201, tags=TAGS)
def create_campaign(body: CampaignBody):
    """Send an approved template to the filter's customers, in rate-limited batches."""
    business_id = scoped_business_id(body.business_id)
    campaign = campaign_service.create_campaign(business_id, name=body.name, template=body.template,
                                                variables=body.variables, filters=body.filters,
                                                created_by=current_user().id)
    data = campaign_service.campaign_detail(business_id, campaign.id)
    data.pop("recipients")
    return jsonify(Campaign.model_validate(data).model_dump(mode="json")), 201


@automations_bp.get("/campaigns")
@auth_required
@validate(query=ScopeQuery, response=list[Campaign], tags=TAGS)
def list_campaigns(query: ScopeQuery):
    """Campaigns, newest first, with counts per status."""
    rows = campaign_service.list_campaigns(scoped_business_id(query.business_id, required=False))
    return jsonify([Campaign.model_validate(r).model_dump(mode="json") for r in rows]), 200


@automations_bp.get("/campaigns/<int:campaign_id>")
@auth_required
@validate(query=ScopeQuery, response=CampaignDetail, tags=TAGS)
def get_campaign(campaign_id: int, query: ScopeQuery):
    """A campaign and each recipient's status (its WhatsApp message's, once queued)."""
    data = campaign_service.campaign_detail(scoped_business_id(query.business_id, required=False), campaign_id)
    return jsonify(CampaignDetail.model_validate(data).model_dump(mode="json")), 200

"""The blueprint table: the single place blueprints are registered (seed section 6)."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    # Imported here, the flaskr way, so module imports never cycle through the app.
    from server.routes.agent import agent_bp
    from server.routes.appointments import appointments_bp
    from server.routes.audit import audit_bp
    from server.routes.automations import automations_bp
    from server.routes.auth import auth_bp
    from server.routes.privacy import privacy_bp
    from server.routes.calendar_feed import calendar_feed_bp
    from server.routes.calls import calls_bp
    from server.routes.dashboard import dashboard_bp
    from server.routes.businesses import businesses_bp
    from server.routes.crm import crm_bp
    from server.routes.frontend import frontend_bp
    from server.routes.health import health_bp
    from server.routes.knowledge import knowledge_bp
    from server.routes.meta import meta_bp
    from server.routes.realtime import realtime_bp, register_socket_handlers
    from server.routes.media import media_bp
    from server.routes.twilio import twilio_bp
    from server.routes.media_stream import media_stream_bp
    from server.routes.records import records_bp
    from server.routes.timeline import timeline_bp
    from server.routes.whatsapp import whatsapp_bp
    from server.routes.whatsapp_webhooks import whatsapp_webhooks_bp
    from server.routes.users import users_bp

    app.register_blueprint(health_bp)      # /health
    app.register_blueprint(auth_bp)        # /api/auth/*
    app.register_blueprint(meta_bp)        # /api/openapi.json
    app.register_blueprint(twilio_bp)      # /webhook/incoming_call, handle_recording, turn_result, transfer_*, call_status
    app.register_blueprint(media_stream_bp)  # /webhook/media_stream (websocket), /webhook/media_stream/ended
    app.register_blueprint(media_bp)       # /static/voice_responses/*, /media/voice/*
    app.register_blueprint(audit_bp)       # /api/audit
    app.register_blueprint(timeline_bp)    # /api/customers/<id>/timeline
    app.register_blueprint(records_bp)     # /api/customers/<id>/{tasks,invoices,contracts}
    app.register_blueprint(privacy_bp)     # /api/crm/customers/<id>/export|erase, /api/crm/exports/*
    app.register_blueprint(whatsapp_bp)    # /api/whatsapp/*
    app.register_blueprint(whatsapp_webhooks_bp)  # /webhook/whatsapp/*
    app.register_blueprint(dashboard_bp)   # /api/dashboard
    app.register_blueprint(calls_bp)       # /api/calls (the calls log)
    app.register_blueprint(agent_bp)       # /api/agent/settings, /api/agent/try
    app.register_blueprint(knowledge_bp)   # /api/knowledge, /api/knowledge/documents, /api/knowledge/search
    app.register_blueprint(automations_bp)  # /api/automations, /api/campaigns
    register_socket_handlers()             # Socket.IO connect → business room
    app.register_blueprint(realtime_bp)    # /api/internal/realtime (the worker's events without Redis)
    app.register_blueprint(crm_bp)         # /api/crm/*
    app.register_blueprint(businesses_bp)  # /api/businesses
    app.register_blueprint(calendar_feed_bp)  # /calendar/<token>.ics
    app.register_blueprint(appointments_bp)  # /api/services, staff-calendars, calendar-policy, availability, appointments
    app.register_blueprint(users_bp)       # /api/users
    app.register_blueprint(frontend_bp)    # SPA/static — last: it owns the catch-all

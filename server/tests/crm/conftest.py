"""CRM fixtures: a second business for cross-tenant probes, and a logout helper."""
from __future__ import annotations

import pytest


@pytest.fixture()
def logout(client):
    def do_logout():
        client.post("/api/auth/logout")
        client.environ_base.pop("HTTP_X_CSRF_TOKEN", None)
    return do_logout

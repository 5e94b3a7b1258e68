"""Providers built from their typed configuration groups.

A provider names the groups it needs (`config_groups`) and takes them in its constructor;
`from_config` builds one from the whole configuration (or a flat dict of settings, as
tests and benches pass), so no provider reads a config dict itself.
"""
from __future__ import annotations

from server.config import KesherConfig, typed


class Configured:
    @classmethod
    def config_groups(cls, config: KesherConfig) -> tuple:
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: KesherConfig | dict):
        return cls(*cls.config_groups(typed(config)))

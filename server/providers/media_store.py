"""Where message files live: a small store interface, a local-disk implementation.

Keys are opaque strings (`whatsapp/<business>/<random>.<ext>`); nothing outside this module
knows they are paths, so an object store can replace the disk by implementing the same four
methods. The local store keeps files under MEDIA_DIR, written atomically, and refuses any
key that would leave that folder.
"""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Protocol

from server.config import KesherConfig, typed

_KEY = re.compile(r"^[a-z_]+/[0-9]+/[0-9a-f]{32}\.[a-z0-9]{1,8}$")


class MediaStore(Protocol):
    def put(self, folder: str, business_id: int, data: bytes, ext: str) -> str: ...

    def local_path(self, key: str) -> Path: ...

    def delete(self, key: str) -> bool: ...

    def exists(self, key: str) -> bool: ...


class LocalMediaStore:
    def __init__(self, root: str):
        self.root = Path(root)

    def put(self, folder: str, business_id: int, data: bytes, ext: str) -> str:
        key = f"{folder}/{int(business_id)}/{secrets.token_hex(16)}.{ext}"
        path = self.local_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)  # never serve a half-written file
        finally:
            tmp.unlink(missing_ok=True)
        return key

    def local_path(self, key: str) -> Path:
        if not isinstance(key, str) or not _KEY.match(key):
            raise ValueError("invalid media key")
        return self.root / key

    def delete(self, key: str) -> bool:
        path = self.local_path(key)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed

    def exists(self, key: str) -> bool:
        return self.local_path(key).is_file()


REGISTRY = {"local": lambda config: LocalMediaStore(config.app.media_dir)}


def get_store(config: KesherConfig | dict) -> MediaStore:
    return REGISTRY["local"](typed(config))

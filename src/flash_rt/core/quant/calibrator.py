"""The on-disk calibration cache (SPEC 7.2): `{ckpt_hash}_Se{Se}.json` under CACHE_DIR.

JSON (indent 2, version 1): ckpt_hash, Se, num_enc_scales, num_ae_scales, enc_scales,
enc_alpha (= enc_scales * enc_w_scales), ae_scales, enc_w_scales. Files are written
atomically (a temporary file renamed into place), so a crash never leaves half a cache.

Loading: a missing file, or one made for another version, checkpoint or sequence length, is
not an error: `load_calibration` returns None (and says why in a warning) and the caller
calibrates again. A file that is there but broken (not JSON, missing or mistyped fields,
lengths that disagree, scales that are not finite and positive) raises CalibrationCacheError
naming the file and the problem: a half-valid cache is never returned.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

VERSION = 1
# The cache directory: FLASH_RT_CALIBRATION_DIR, else ~/.flash_rt/calibration (SPEC 7.2).
CACHE_DIR = Path(os.environ.get("FLASH_RT_CALIBRATION_DIR", Path.home() / ".flash_rt" / "calibration"))
HASH_PREFIX_BYTES = 64 * 1024
# A checkpoint directory is hashed through the first of these that exists (SPEC 7.2).
CHECKPOINT_FILES = (
    "model.safetensors", "model.pkl", "checkpoint.pkl", "model.safetensors.index.json",
    "model-00001-of-00002.safetensors", "model-00001-of-00004.safetensors",
    "params/manifest.ocdbt", "params/ocdbt.process_0/manifest.ocdbt",
)
_LISTS = ("enc_scales", "enc_alpha", "ae_scales", "enc_w_scales")


class CalibrationCacheError(ValueError):
    """A calibration cache file exists but cannot be used as it is."""


def _cache_dir(cache_dir: str | os.PathLike | None) -> Path:
    return Path(cache_dir) if cache_dir is not None else CACHE_DIR


def checkpoint_hash(checkpoint_path: str | os.PathLike) -> str:
    """First 16 hex digits of SHA-256 over (the first 64 KiB of the checkpoint file) followed by
    (its size in bytes as decimal ASCII). A directory is hashed through the first existing file
    of CHECKPOINT_FILES; none -> FileNotFoundError."""
    path = Path(checkpoint_path)
    if path.is_dir():
        for name in CHECKPOINT_FILES:
            if (path / name).is_file():
                path = path / name
                break
        else:
            raise FileNotFoundError(f"checkpoint_hash: no checkpoint file in {path} (looked for "
                                    f"{', '.join(CHECKPOINT_FILES)})")
    with open(path, "rb") as f:
        head = f.read(HASH_PREFIX_BYTES)
    digest = hashlib.sha256(head + str(path.stat().st_size).encode("ascii"))
    return digest.hexdigest()[:16]


def cache_file(checkpoint_path: str | os.PathLike, Se: int, cache_dir=None) -> Path:
    return _cache_dir(cache_dir) / f"{checkpoint_hash(checkpoint_path)}_Se{int(Se)}.json"


def _scales(name: str, values: Sequence[float], *, allow_empty: bool = True) -> list[float]:
    out = [float(v) for v in values]
    if not allow_empty and not out:
        raise ValueError(f"save_calibration: '{name}' expected at least one scale, got none")
    bad = [v for v in out if not (math.isfinite(v) and v > 0.0)]
    if bad:
        raise ValueError(f"save_calibration: '{name}' expected finite positive scales, got {bad[0]!r}")
    return out


def save_calibration(checkpoint_path, Se: int, enc_scales, enc_alpha, ae_scales, enc_w_scales,
                     *, cache_dir=None) -> Path:
    """Write the cache file for (checkpoint, Se) and return its path. Validates first: every
    scale finite and positive, enc_alpha and enc_w_scales as long as enc_scales."""
    if int(Se) <= 0:
        raise ValueError(f"save_calibration: 'Se' expected a positive sequence length, got {Se!r}")
    lists = {"enc_scales": _scales("enc_scales", enc_scales, allow_empty=False),
             "enc_alpha": _scales("enc_alpha", enc_alpha),
             "ae_scales": _scales("ae_scales", ae_scales),
             "enc_w_scales": _scales("enc_w_scales", enc_w_scales)}
    n = len(lists["enc_scales"])
    for name in ("enc_alpha", "enc_w_scales"):
        if len(lists[name]) != n:
            raise ValueError(f"save_calibration: '{name}' expected {n} scales (one per enc_scales), "
                             f"got {len(lists[name])}")
    ckpt = checkpoint_hash(checkpoint_path)
    doc = {"version": VERSION, "ckpt_hash": ckpt, "Se": int(Se), "num_enc_scales": n,
           "num_ae_scales": len(lists["ae_scales"]), **lists}
    directory = _cache_dir(cache_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{ckpt}_Se{int(Se)}.json"
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _check_document(path: Path, doc) -> None:
    def fail(what: str):
        raise CalibrationCacheError(f"calibration cache {path}: {what}; delete it (clear_calibration) "
                                    f"to calibrate again")

    if not isinstance(doc, dict):
        fail(f"expected a JSON object, got {type(doc).__name__}")
    for key, kind in (("version", int), ("ckpt_hash", str), ("Se", int), ("num_enc_scales", int),
                      ("num_ae_scales", int)):
        if key not in doc:
            fail(f"field '{key}' is missing")
        if not isinstance(doc[key], kind) or isinstance(doc[key], bool):
            fail(f"field '{key}' expected {kind.__name__}, got {type(doc[key]).__name__}")
    for key in _LISTS:
        values = doc.get(key)
        if not isinstance(values, list):
            fail(f"field '{key}' expected a list of scales, got {type(values).__name__}")
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and v > 0):
                fail(f"field '{key}' expected finite positive scales, got {v!r}")
    n, m = doc["num_enc_scales"], doc["num_ae_scales"]
    for key, want in (("enc_scales", n), ("enc_alpha", n), ("enc_w_scales", n), ("ae_scales", m)):
        if len(doc[key]) != want:
            fail(f"field '{key}' has {len(doc[key])} scales, the header says {want}")


def load_calibration(checkpoint_path, Se: int, *, cache_dir=None) -> dict | None:
    """The cached calibration of (checkpoint, Se), or None when there is none for exactly this
    checkpoint, sequence length and format version. Raises CalibrationCacheError for a file that
    exists but is broken."""
    path = cache_file(checkpoint_path, Se, cache_dir)
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CalibrationCacheError(f"calibration cache {path}: not readable JSON ({e}); delete it "
                                    f"(clear_calibration) to calibrate again") from e
    if isinstance(doc, dict) and doc.get("version") != VERSION:
        warnings.warn(f"calibration cache {path}: format version {doc.get('version')!r}, this flash-rt "
                      f"reads {VERSION}; ignoring it", stacklevel=2)
        return None
    _check_document(path, doc)
    expected = checkpoint_hash(checkpoint_path)
    if doc["ckpt_hash"] != expected or doc["Se"] != int(Se):
        warnings.warn(f"calibration cache {path}: made for checkpoint {doc['ckpt_hash']} Se={doc['Se']}, "
                      f"not {expected} Se={int(Se)}; ignoring it", stacklevel=2)
        return None
    return doc


def clear_calibration(checkpoint_path=None, *, cache_dir=None) -> int:
    """Delete the cache files of one checkpoint (every Se), or all of them. Returns how many."""
    directory = _cache_dir(cache_dir)
    if not directory.is_dir():
        return 0
    pattern = f"{checkpoint_hash(checkpoint_path)}_Se*.json" if checkpoint_path is not None else "*_Se*.json"
    removed = 0
    for f in directory.glob(pattern):
        f.unlink()
        removed += 1
    return removed

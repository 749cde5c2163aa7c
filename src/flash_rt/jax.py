"""flash-rt under JAX: the XLA FFI handlers of flash_rt_jax_ffi.so (SPEC 6) as jit-able functions.

    import flash_rt.jax as frj
    xq = frj.quantize_fp8_static(x, x_scale)             # bf16 -> float8_e4m3fn, x's shape
    y = frj.fp8_gemm_bf16_out(xq, wq, x_scale, w_scale)  # FP8 [..., K] @ FP8 [K, N] -> bf16 [..., N]
    y = frj.fp8_dense(x, w)                               # training: FP8 forward, bf16 backward

Scales are float32 with one element (shape () or (1,), or a Python float), `amax / 448` of the
tensor they belong to: quantize divides by it, the GEMM multiplies by both (SPEC 1.2).

The library is a plain shared library (no Python, no jaxlib linked in) built only when the
building Python had jaxlib (its XLA FFI headers). `register()` loads it with ctypes and registers
its handlers for the CUDA platform under the original target names (`flashvla::...`) and under
`flash_rt::...`; the functions here call it on first use. `status()` says whether this build has
the library, without loading it; `import flash_rt` itself never needs jax.

CUDA graphs: both handlers carry XLA's command-buffer trait, so XLA may capture them into a CUDA
graph. The GEMM's cuBLASLt plan for each (M, N, K) must exist before that capture: the library
creates it in XLA's initialize stage, and `fp8_gemm_bf16_out` also prepares each new shape at
trace time on every local GPU (`warmup_fp8_gemm`; FLASH_RT_JAX_WARMUP=0 turns that off). See
src/cpp/ffi/jax/gemm.cpp.
"""

from __future__ import annotations

import ctypes
import math
import os
import threading
import warnings
from pathlib import Path

try:
    import jax
    import jax.numpy as jnp
except ImportError as e:  # pragma: no cover - exercised only without jax
    raise ImportError("flash_rt.jax needs jax: pip install jax (jax[cuda13] for NVIDIA GPUs), "
                      "or pip install 'flash-rt[jax]'") from e

from . import _loader
from ._loader import FlashRtImportError

__all__ = [
    "GEMM_TARGET",
    "QUANTIZE_TARGET",
    "TARGETS",
    "fp8_dense",
    "fp8_gemm_bf16_out",
    "fp8_scale",
    "is_available",
    "library",
    "quantize_fp8_static",
    "register",
    "stats",
    "status",
    "warmup_fp8_gemm",
]

QUANTIZE_TARGET = "flash_rt::quantize_fp8_static"
GEMM_TARGET = "flash_rt::fp8_gemm_bf16_out"
# Every name each handler is registered under: ours, then the original library's (pre-rename prefix).
TARGETS = {
    "quantize_fp8_static": (QUANTIZE_TARGET, "flashvla::quantize_fp8_static"),
    "fp8_gemm_bf16_out": (GEMM_TARGET, "flashvla::fp8_gemm_bf16_out"),
}
# C symbols per XLA execution stage.
_SYMBOLS = {
    "quantize_fp8_static": {"execute": "flash_rt_quantize_fp8_static"},
    "fp8_gemm_bf16_out": {"execute": "flash_rt_fp8_gemm_bf16_out",
                          "initialize": "flash_rt_fp8_gemm_bf16_out_initialize"},
}

BF16 = jnp.dtype(jnp.bfloat16)
F32 = jnp.dtype(jnp.float32)
FP8_STORAGE = (jnp.dtype(jnp.float8_e4m3fn), jnp.dtype(jnp.uint8), jnp.dtype(jnp.int8))
E4M3_MAX = 448.0
SCALE_FLOOR = 1e-12

_lock = threading.RLock()
_lib: ctypes.CDLL | None = None
_registered: dict | None = None     # what register() did (None: not yet)
_warm: set = set()                  # (device platform, device id, M, N, K) warmed up


# ---- the library -------------------------------------------------------------------------------


def status() -> dict:
    """What this build has, without loading anything: built, path, exists, status (why not built),
    jaxlib_at_build, ffi_api, override ($FLASH_RT_JAX_FFI_SO), plus registered (what register()
    did, or None) and available."""
    st = _loader.jax_ffi_status()
    st["registered"] = _registered
    st["available"] = bool((st["built"] or st["override"]) and st["exists"])
    return st


def is_available() -> bool:
    """True when this build has the JAX FFI library (or $FLASH_RT_JAX_FFI_SO names one) and the file
    is there. Needs no GPU; nothing is loaded."""
    return status()["available"]


def library() -> ctypes.CDLL:
    """The loaded flash_rt_jax_ffi.so (ctypes). Raises FlashRtImportError when this build lacks it."""
    global _lib
    with _lock:
        if _lib is not None:
            return _lib
        st = _loader.jax_ffi_status()
        if not (st["built"] or st["override"]):
            raise FlashRtImportError(
                f"flash_rt.jax: this flash-rt build has no JAX FFI library ({st['status']}). It is built when "
                f"jaxlib is installed for the Python that builds flash-rt: pip install jax, then rebuild "
                f"without isolation (pip install --no-build-isolation .; FLASH_RT_JAX_FFI=ON makes a missing "
                f"jaxlib a build error). Or set ${_loader.JAX_FFI_ENV} to a flash_rt_jax_ffi.so.",
                name="flash_rt.jax")
        if not st["exists"]:
            raise FlashRtImportError(
                f"flash_rt.jax: {st['path']} does not exist"
                + ("" if st["override"] else " although the build manifest lists it (a broken install?)"),
                name="flash_rt.jax")
        try:
            lib = ctypes.CDLL(st["path"])
        except OSError as e:
            raise FlashRtImportError(f"flash_rt.jax: cannot load {st['path']}: {e}", name="flash_rt.jax") from e
        major, minor = ctypes.c_int(0), ctypes.c_int(0)
        lib.flash_rt_jax_ffi_api_version(ctypes.byref(major), ctypes.byref(minor))
        lib.flash_rt_jax_ffi_stat_names.restype = ctypes.c_char_p
        lib.flash_rt_jax_ffi_stats.restype = ctypes.c_int
        lib.flash_rt_jax_ffi_stats.argtypes = [ctypes.POINTER(ctypes.c_int64), ctypes.c_int]
        lib.flash_rt_jax_ffi_prepare_fp8_gemm.restype = ctypes.c_int
        lib.flash_rt_jax_ffi_prepare_fp8_gemm.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64,
                                                          ctypes.c_int64, ctypes.c_char_p, ctypes.c_int]
        lib.ffi_api = (major.value, minor.value)
        _lib = lib
        return lib


def _installed_ffi_api() -> tuple[int, int] | None:
    """The XLA FFI API version of the installed jaxlib's headers (the running XLA's), if shipped."""
    try:
        import jaxlib
        text = (Path(jaxlib.__file__).parent / "include" / "xla" / "ffi" / "api" / "c_api.h").read_text()
    except (ImportError, OSError):
        return None
    vals = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "#define" and parts[1] in ("XLA_FFI_API_MAJOR", "XLA_FFI_API_MINOR"):
            vals[parts[1]] = int(parts[2])
    if len(vals) != 2:
        return None
    return vals["XLA_FFI_API_MAJOR"], vals["XLA_FFI_API_MINOR"]


def register() -> dict:
    """Load the library and register its handlers for the CUDA platform, once per process
    (thread-safe; later calls return the first call's record). Returns {target: stages}."""
    global _registered
    with _lock:
        if _registered is not None:
            return _registered
        lib = library()
        running = _installed_ffi_api()
        if running is not None and running != lib.ffi_api:
            warnings.warn(f"flash_rt.jax: flash_rt_jax_ffi.so was compiled against XLA FFI API "
                          f"{lib.ffi_api[0]}.{lib.ffi_api[1]} but the installed jaxlib has {running[0]}.{running[1]}; "
                          f"if XLA refuses the handlers, rebuild flash-rt against this jaxlib", stacklevel=2)
        try:
            jax.devices()  # initialise the backends first, so a CUDA plugin registers at once (and errors here)
        except RuntimeError:
            pass
        record: dict = {}
        for entry, names in TARGETS.items():
            capsules = {stage: jax.ffi.pycapsule(getattr(lib, sym)) for stage, sym in _SYMBOLS[entry].items()}
            for name in names:
                record[name] = _register_one(name, capsules)
        _registered = record
        return record


def _register_one(name: str, capsules: dict) -> tuple[str, ...]:
    """Register one target; returns the stages registered. A plugin that takes only an execute
    capsule (older jaxlib) gets that, and the GEMM then relies on the trace-time warm-up."""
    fn = capsules["execute"] if len(capsules) == 1 else capsules
    try:
        jax.ffi.register_ffi_target(name, fn, platform="CUDA", api_version=1)
        return tuple(capsules)
    except Exception as e:  # noqa: BLE001 - jaxlib raises XlaRuntimeError / ValueError / TypeError
        if fn is capsules["execute"]:
            raise FlashRtImportError(f"flash_rt.jax: registering {name} failed: {e}", name="flash_rt.jax") from e
        first = e
    try:
        jax.ffi.register_ffi_target(name, capsules["execute"], platform="CUDA", api_version=1)
    except Exception as e:  # noqa: BLE001
        raise FlashRtImportError(f"flash_rt.jax: registering {name} failed: {first}; with the execute stage "
                                 f"only: {e}", name="flash_rt.jax") from e
    warnings.warn(f"flash_rt.jax: this jaxlib took only the execute stage of {name} ({first}); GEMM shapes are "
                  "prepared for CUDA graphs by the trace-time warm-up only", stacklevel=3)
    return ("execute",)


def stats() -> dict:
    """The library's counters: launches, calls made while XLA captured a CUDA graph, GEMM plans
    created by the initialize stage / by an uncaptured execute call / by warmup_fp8_gemm, refused
    cold captures, errors."""
    lib = library()
    names = lib.flash_rt_jax_ffi_stat_names().decode().split(",")
    buf = (ctypes.c_int64 * len(names))()
    lib.flash_rt_jax_ffi_stats(buf, len(names))
    return dict(zip(names, buf, strict=True))


# ---- argument checks (trace time, with the messages the C++ side would give) ----------------


def _dtype_names(dtypes) -> str:
    names = [str(d) for d in dtypes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _array(entry: str, name: str, x, dtypes):
    dt = getattr(x, "dtype", None)
    if dt is None or jnp.dtype(dt) not in dtypes:
        got = jnp.dtype(dt) if dt is not None else type(x).__name__
        raise TypeError(f"{entry}: '{name}' expected dtype {_dtype_names(dtypes)}, got {got}")
    return jnp.asarray(x)


def _scale(entry: str, name: str, s):
    """A float32 scale of one element as shape (1,); a Python number becomes one."""
    if isinstance(s, (int, float)) and not isinstance(s, bool):
        return jnp.full((1,), s, F32)
    s = _array(entry, name, s, (F32,))
    if math.prod(s.shape) != 1:
        raise ValueError(f"{entry}: '{name}' expected exactly one float32 element (the per-tensor scale "
                         f"amax/448, shape () or (1,)), got shape {tuple(s.shape)}")
    return jnp.reshape(s, (1,))


# ---- the entries ---------------------------------------------------------------------------------


def quantize_fp8_static(x, scale, *, out_dtype=jnp.float8_e4m3fn):
    """E4M3(CLAMP448(x * (1 / scale))) for bf16 `x` of any shape (SPEC 2.4.1, no floor on scale).

    scale: float32, one element (amax/448). out_dtype: float8_e4m3fn (default), or uint8 / int8
    for the same bytes. Every element is written, odd counts included.
    """
    entry = "quantize_fp8_static"
    x = _array(entry, "x", x, (BF16,))
    scale = _scale(entry, "scale", scale)
    out_dtype = jnp.dtype(out_dtype)
    if out_dtype not in FP8_STORAGE:
        raise TypeError(f"{entry}: 'out_dtype' expected {_dtype_names(FP8_STORAGE)}, got {out_dtype}")
    if x.size > 2**31 - 1:
        raise ValueError(f"{entry}: 'x' expected at most 2147483647 elements (32-bit sizes), got {x.size}")
    register()
    call = jax.ffi.ffi_call(QUANTIZE_TARGET, jax.ShapeDtypeStruct(x.shape, out_dtype), vmap_method="sequential")
    return call(x, scale)


def _gemm_call(x, w, act_scale, w_scale):
    out = jax.ShapeDtypeStruct((*x.shape[:-1], w.shape[1]), BF16)
    return jax.ffi.ffi_call(GEMM_TARGET, out, vmap_method="sequential")(x, w, act_scale, w_scale)


def fp8_gemm_bf16_out(x, w, act_scale, w_scale):
    """y = act_scale * w_scale * (x @ w): FP8 x [..., K] (rank >= 2), FP8 w [K, N], bf16 y [..., N].

    x and w hold E4M3 codes (float8_e4m3fn, or uint8 / int8 bytes); the scales are float32 with
    one element. fp32 accumulation, one rounding to bf16 (cuBLASLt, GemmRunner.fp8_nn_dev).
    K and N must be multiples of 16. On SM89/SM90 (cuBLASLt's FP8 kernels there take only
    K-contiguous operands) the [K, N] weight is transposed per call, except for M <= 64 (M = the
    product of x's leading dims), where flash-rt's own kernel reads it in place.
    """
    entry = "fp8_gemm_bf16_out"
    x = _array(entry, "x", x, FP8_STORAGE)
    w = _array(entry, "w", w, FP8_STORAGE)
    act_scale = _scale(entry, "act_scale", act_scale)
    w_scale = _scale(entry, "w_scale", w_scale)
    if x.ndim < 2:
        raise ValueError(f"{entry}: 'x' expected rank >= 2 ([..., K]), got shape {tuple(x.shape)}")
    if w.ndim != 2:
        raise ValueError(f"{entry}: 'w' expected rank 2 ([K, N]), got shape {tuple(w.shape)}")
    K, N = x.shape[-1], w.shape[1]
    if w.shape[0] != K:
        raise ValueError(f"{entry}: 'w' expected [K, N] with K = {K} (the last dim of x, shape "
                         f"{tuple(x.shape)}), got shape {tuple(w.shape)}")
    M = math.prod(x.shape[:-1])
    for what, v in (("M (the product of x's leading dims)", M), ("N", N), ("K", K)):
        if v > 2**31 - 1:
            raise ValueError(f"{entry}: {what} expected at most 2147483647 (32-bit sizes), got {v}")
    if M and N:
        if K % 16:
            raise ValueError(f"{entry}: 'K' expected a multiple of 16 (cuBLASLt FP8), got {K}")
        if N % 16:
            raise ValueError(f"{entry}: 'N' expected a multiple of 16 (cuBLASLt FP8), got {N}")
    register()
    if M and N and os.environ.get("FLASH_RT_JAX_WARMUP", "1").lower() not in ("0", "false", "no", "off"):
        try:
            warmup_fp8_gemm(M, N, K)
        except RuntimeError as e:  # not fatal: the initialize stage may still create the plan
            warnings.warn(str(e), stacklevel=2)
    return _gemm_call(x, w, act_scale, w_scale)


def _local_gpus() -> list:
    try:
        return list(jax.local_devices(backend="gpu"))
    except RuntimeError:  # no GPU backend in this process
        return []


def warmup_fp8_gemm(m: int, n: int, k: int, devices=None) -> int:
    """Create the cuBLASLt plans of an (M, N, K) fp8_gemm_bf16_out on `devices` (default: every
    local GPU), for both operand alignments, outside any CUDA graph; once per shape and device per
    process. Returns how many plans were created.

    fp8_gemm_bf16_out does this at trace time (unless FLASH_RT_JAX_WARMUP=0). It matters for an
    XLA that captures a command buffer without running the initialize stage first; otherwise the
    initialize stage creates the plans anyway. It first waits for every live JAX array (so no
    earlier GEMM of this library is still running: the plans share the device's cuBLASLt
    workspace), then runs each GEMM once on scratch buffers on a private stream and waits for it.
    Do not call it from a callback running inside a JAX computation.
    """
    lib = library()
    todo = []
    for d in (_local_gpus() if devices is None else devices):
        key = (d.platform, d.id, int(m), int(n), int(k))
        with _lock:
            if key not in _warm:
                todo.append((d, key))
    if not todo:
        return 0
    jax.block_until_ready(jax.live_arrays())
    created = 0
    for d, key in todo:
        err = ctypes.create_string_buffer(2048)
        ordinal = getattr(d, "local_hardware_id", None)
        rc = lib.flash_rt_jax_ffi_prepare_fp8_gemm(d.id if ordinal is None else ordinal, int(m), int(n), int(k),
                                                   err, len(err))
        if rc < 0:
            raise RuntimeError(f"flash_rt.jax.warmup_fp8_gemm on {d}: {err.value.decode(errors='replace')}")
        created += rc
        with _lock:
            _warm.add(key)
    return created


# ---- an FP8 dense layer for training -------------------------------------------------------------


def fp8_scale(x):
    """The per-tensor FP8 scale amax(|x|) / 448 as float32 (1,), floored at 1e-12 (an all-zero
    tensor would otherwise get scale 0 and quantize to NaN * 0)."""
    amax = jnp.max(jnp.abs(jnp.asarray(x).astype(F32)))
    return jnp.maximum(amax / E4M3_MAX, SCALE_FLOOR).reshape(1)


@jax.custom_vjp
def _fp8_dense(x, w, x_scale, w_scale):
    return _fp8_dense_fwd(x, w, x_scale, w_scale)[0]


def _fp8_dense_fwd(x, w, x_scale, w_scale):
    xq = quantize_fp8_static(x, x_scale)
    wq = quantize_fp8_static(w, w_scale)
    return fp8_gemm_bf16_out(xq, wq, x_scale, w_scale), (x, w, x_scale, w_scale)


def _fp8_dense_bwd(res, g):
    # bf16 backward from the bf16 inputs kept as residuals, fp32 accumulation (straight-through:
    # the quantization is treated as identity). The scales are statistics, not parameters.
    x, w, x_scale, w_scale = res
    g = g.astype(BF16)
    K, N = w.shape
    dx = jnp.dot(g, w.T, preferred_element_type=F32).astype(x.dtype)
    dw = jnp.dot(x.reshape(-1, K).T, g.reshape(-1, N), preferred_element_type=F32).astype(w.dtype)
    return dx, dw, jnp.zeros_like(x_scale), jnp.zeros_like(w_scale)


_fp8_dense.defvjp(_fp8_dense_fwd, _fp8_dense_bwd)


def fp8_dense(x, w, x_scale=None, w_scale=None):
    """y = x @ w for bf16 x [..., K] and a bf16 weight w [K, N]: FP8 forward, bf16 backward.

    Forward: both operands quantized with quantize_fp8_static, then fp8_gemm_bf16_out (bf16 out).
    Backward (custom_vjp): dx = g @ w^T and dw = x^T g in bf16 with fp32 accumulation from the
    bf16 x and w saved by the forward pass. Scales default to the current amax/448 of each tensor
    (fp8_scale, no gradient); pass calibrated ones (delayed scaling) to skip the two reductions.
    K and N must be multiples of 16.
    """
    entry = "fp8_dense"
    x = _array(entry, "x", x, (BF16,))
    w = _array(entry, "w", w, (BF16,))
    x_scale = jax.lax.stop_gradient(fp8_scale(x) if x_scale is None else _scale(entry, "x_scale", x_scale))
    w_scale = jax.lax.stop_gradient(fp8_scale(w) if w_scale is None else _scale(entry, "w_scale", w_scale))
    return _fp8_dense(x, w, x_scale, w_scale)

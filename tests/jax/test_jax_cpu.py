"""flash_rt.jax and flash_rt_jax_ffi.so without a GPU (SPEC 6).

* The package imports without jax; `flash_rt.jax` reports the library as absent when the build
  did not make it (a fake manifest), and says how to get it.
* Where the build has it: it loads (no GPU needed), exports the handlers, and its handlers answer
  hand-made XLA call frames (a fake XLA_FFI_Api whose Error_Create records the error): the
  command-buffer trait in their metadata, InvalidArgument with the JAX-side names for bad
  operands, success without touching a device for empty operands, and an error (not a crash,
  not an exception) when the operands are fine but there is no CUDA device.
* The wrappers: trace-time argument checks, and the StableHLO they lower to for CUDA.
"""

from __future__ import annotations

import ctypes as C
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import flash_rt
from flash_rt import _build, _loader

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
frj = pytest.importorskip("flash_rt.jax")

SRC_DIR = Path(flash_rt.__file__).resolve().parent.parent


def _run(code: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC_DIR), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def _built() -> bool:
    return _loader.jax_ffi_status()["built"]


needs_library = pytest.mark.skipif(not _built(), reason="this build has no flash_rt_jax_ffi "
                                   f"({_loader.jax_ffi_status()['status']})")


# ---- without the library ---------------------------------------------------------------------


def test_import_flash_rt_without_jax():
    r = _run(
        "import sys\n"
        "sys.modules['jax'] = None; sys.modules['jaxlib'] = None  # as if not installed\n"
        "import flash_rt\n"
        "from flash_rt import _loader, _doctor\n"
        "st = _loader.jax_ffi_status()\n"
        "assert set(st) >= {'built', 'path', 'exists', 'status'}, st\n"
        "assert 'jax' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
        "try:\n"
        "    import flash_rt.jax\n"
        "except ImportError as e:\n"
        "    assert 'needs jax' in str(e), e\n"
        "else:\n"
        "    raise SystemExit('flash_rt.jax imported without jax')\n"
        "print('ok')\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


@pytest.fixture
def not_built(monkeypatch):
    """A manifest of a build whose configure found no jaxlib, and a fresh flash_rt.jax state."""
    m = types.ModuleType("flash_rt._build_info")
    m.VERSION, m.VARIANT, m.CUDA_VERSION, m.GIT_SHA = "0.1.0+cu130.sm80", "sm80", "13.0.88", "0123456"
    m.ARCH_OVERRIDE, m.MODULES_BUILT = False, ("flash_rt_kernels",)
    m.MODULE_ARCHS, m.CUBLAS_AT_BUILD = {"flash_rt_kernels": ("90a-real",)}, "test"
    m.LIBRARIES_BUILT = ()
    m.JAX_FFI_STATUS = "not built: JAX FFI headers not found at configure time (python (no jaxlib installed))"
    m.JAX_FFI_JAXLIB = m.JAX_FFI_API = ""
    monkeypatch.setitem(sys.modules, "flash_rt._build_info", m)
    monkeypatch.setattr(flash_rt, "_build_info", m, raising=False)
    monkeypatch.delenv(_loader.JAX_FFI_ENV, raising=False)
    monkeypatch.setattr(frj, "_lib", None)
    monkeypatch.setattr(frj, "_registered", None)
    _build.build_info.cache_clear()
    yield m
    _build.build_info.cache_clear()


def test_reports_absent_when_not_built(not_built):
    st = frj.status()
    assert not st["built"] and not st["available"] and st["path"] is None
    assert st["status"].startswith("not built: JAX FFI headers not found")
    assert not frj.is_available()
    for fn in (frj.library, frj.register):
        with pytest.raises(flash_rt.FlashRtImportError, match=r"has no JAX FFI library \(not built: JAX FFI "
                                                              r"headers not found.*--no-build-isolation"):
            fn()
    # The entries check their arguments first, then need the library.
    x = jnp.zeros((4, 32), jnp.bfloat16)
    with pytest.raises(flash_rt.FlashRtImportError, match="has no JAX FFI library"):
        frj.quantize_fp8_static(x, 1.0)


def test_manifest_without_the_field_is_not_built(monkeypatch):
    m = types.ModuleType("flash_rt._build_info")  # a manifest from before the library existed
    monkeypatch.setitem(sys.modules, "flash_rt._build_info", m)
    monkeypatch.delenv(_loader.JAX_FFI_ENV, raising=False)
    st = _loader.jax_ffi_status()
    assert not st["built"] and st["path"] is None and "predates" in st["status"]
    monkeypatch.setitem(sys.modules, "flash_rt._build_info", None)  # no manifest at all
    assert "source checkout" in _loader.jax_ffi_status()["status"]


def test_doctor_reports_the_library():
    r = _run("import sys; from flash_rt import _doctor; sys.exit(_doctor.main([]))", {"CUDA_VISIBLE_DEVICES": ""})
    assert r.returncode == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("library flash_rt_jax_ffi"))
    st = _loader.jax_ffi_status()
    assert ("built against jaxlib" in line) == st["built"], line
    assert ("not built" in line) == (not st["built"] and not st["override"]), line


def test_real_manifest_is_consistent():
    info = _loader.jax_ffi_status()
    try:
        from flash_rt import _build_info as b
    except ImportError:
        pytest.skip("source checkout without a build")
    if not hasattr(b, "LIBRARIES_BUILT"):
        pytest.skip("manifest written by a build that predates the JAX FFI library")
    if info["built"]:
        assert info["exists"], f"the manifest lists flash_rt_jax_ffi but {info['path']} is missing"
        assert info["status"].startswith("built against jaxlib"), info
        assert info["ffi_api"].count(".") == 1, info
    else:
        assert info["status"].startswith("not built"), info


# ---- the wrappers' argument checks (no library needed) -----------------------------------------


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: frj.quantize_fp8_static(jnp.zeros(8, jnp.float32), 1.0), TypeError,
     r"quantize_fp8_static: 'x' expected dtype bfloat16, got float32"),
    (lambda: frj.quantize_fp8_static(jnp.zeros(8, jnp.bfloat16), jnp.ones(2, jnp.float32)), ValueError,
     r"'scale' expected exactly one float32 element .* got shape \(2,\)"),
    (lambda: frj.quantize_fp8_static(jnp.zeros(8, jnp.bfloat16), jnp.ones(1, jnp.float16)), TypeError,
     r"'scale' expected dtype float32, got float16"),
    (lambda: frj.quantize_fp8_static(jnp.zeros(8, jnp.bfloat16), 1.0, out_dtype=jnp.bfloat16), TypeError,
     r"'out_dtype' expected float8_e4m3fn, uint8 or int8, got bfloat16"),
    (lambda: frj.fp8_gemm_bf16_out(jnp.zeros((4, 32), jnp.bfloat16), jnp.zeros((32, 16), jnp.uint8), 1.0, 1.0),
     TypeError, r"fp8_gemm_bf16_out: 'x' expected dtype float8_e4m3fn, uint8 or int8, got bfloat16"),
    (lambda: frj.fp8_gemm_bf16_out(jnp.zeros(32, jnp.uint8), jnp.zeros((32, 16), jnp.uint8), 1.0, 1.0),
     ValueError, r"'x' expected rank >= 2 \(\[\.\.\., K\]\), got shape \(32,\)"),
    (lambda: frj.fp8_gemm_bf16_out(jnp.zeros((4, 32), jnp.uint8), jnp.zeros((16, 32), jnp.uint8), 1.0, 1.0),
     ValueError, r"'w' expected \[K, N\] with K = 32 .* got shape \(16, 32\)"),
    (lambda: frj.fp8_gemm_bf16_out(jnp.zeros((4, 24), jnp.uint8), jnp.zeros((24, 32), jnp.uint8), 1.0, 1.0),
     ValueError, r"'K' expected a multiple of 16 \(cuBLASLt FP8\), got 24"),
    (lambda: frj.fp8_gemm_bf16_out(jnp.zeros((4, 32), jnp.uint8), jnp.zeros((32, 40), jnp.uint8), 1.0, 1.0),
     ValueError, r"'N' expected a multiple of 16 \(cuBLASLt FP8\), got 40"),
    (lambda: frj.fp8_gemm_bf16_out(jnp.zeros((4, 32), jnp.uint8), jnp.zeros((32, 16), jnp.uint8),
                                   jnp.ones((1, 2), jnp.float32), 1.0),
     ValueError, r"'act_scale' expected exactly one float32 element"),
    (lambda: frj.fp8_dense(jnp.zeros((4, 32), jnp.float32), jnp.zeros((32, 16), jnp.bfloat16)), TypeError,
     r"fp8_dense: 'x' expected dtype bfloat16, got float32"),
])
def test_wrapper_argument_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_fp8_scale():
    s = frj.fp8_scale(jnp.array([[-896.0, 3.0]], jnp.bfloat16))
    assert s.shape == (1,) and s.dtype == jnp.float32 and float(s[0]) == 2.0
    assert float(frj.fp8_scale(jnp.zeros(4, jnp.bfloat16))[0]) == pytest.approx(1e-12)  # floored


# ---- with the library ----------------------------------------------------------------------------


@needs_library
def test_library_loads_and_exports():
    lib = frj.library()
    for sym in ("flash_rt_quantize_fp8_static", "flashvla_quantize_fp8_static", "flash_rt_fp8_gemm_bf16_out",
                "flashvla_fp8_gemm_bf16_out", "flash_rt_fp8_gemm_bf16_out_initialize", "flash_rt_jax_ffi_stats",
                "flash_rt_jax_ffi_prepare_fp8_gemm"):
        assert getattr(lib, sym) is not None
    assert ".".join(map(str, lib.ffi_api)) == _loader.jax_ffi_status()["ffi_api"]
    s = frj.stats()
    assert set(s) == {"quantize_calls", "gemm_calls", "captured_calls", "warmup_initialize", "warmup_execute",
                      "warmup_prepare", "cold_capture", "errors"}
    assert all(isinstance(v, int) and v >= 0 for v in s.values())


@needs_library
def test_register_is_idempotent():
    first = frj.register()
    assert frj.register() is first
    assert set(first) == {"flash_rt::quantize_fp8_static", "flashvla::quantize_fp8_static",
                          "flash_rt::fp8_gemm_bf16_out", "flashvla::fp8_gemm_bf16_out"}
    assert first["flash_rt::quantize_fp8_static"] == ("execute",)
    assert "execute" in first["flash_rt::fp8_gemm_bf16_out"]
    assert frj.status()["registered"] is first


@needs_library
def test_lowering_for_cuda():
    x = jnp.zeros((3, 5, 32), jnp.bfloat16)
    w = jnp.zeros((32, 48), jnp.bfloat16)

    def f(x, w):
        xq = frj.quantize_fp8_static(x, 0.5)
        wq = frj.quantize_fp8_static(w, jnp.float32(0.25), out_dtype=jnp.uint8)
        return frj.fp8_gemm_bf16_out(xq, wq, 0.5, jnp.full((), 0.25, jnp.float32))

    text = jax.jit(f).trace(x, w).lower(lowering_platforms=("cuda",)).as_text()
    assert text.count('custom_call @"flash_rt::quantize_fp8_static"') == 2
    assert "-> tensor<3x5x32xf8E4M3FN>" in text and "-> tensor<32x48xui8>" in text
    assert ('custom_call @"flash_rt::fp8_gemm_bf16_out"' in text
            and "tensor<1xf32>, tensor<1xf32>) -> tensor<3x5x48xbf16>" in text)
    # The training layer: forward custom calls, bf16 dots in the backward pass.
    loss = lambda x, w: frj.fp8_dense(x, w).astype(jnp.float32).sum()  # noqa: E731
    text = jax.jit(jax.value_and_grad(loss, argnums=(0, 1))).trace(x, w).lower(lowering_platforms=("cuda",)).as_text()
    assert 'custom_call @"flash_rt::fp8_gemm_bf16_out"' in text and "stablehlo.dot_general" in text


# ---- the handlers, called with hand-made XLA call frames -----------------------------------------
# A mirror of xla/ffi/api/c_api.h (XLA FFI API 0.x): only what the handlers touch is filled in.


class _ExtBase(C.Structure):
    pass


_ExtBase._fields_ = [("struct_size", C.c_size_t), ("type", C.c_int), ("next", C.POINTER(_ExtBase))]


class _ApiVersion(C.Structure):
    _fields_ = [("struct_size", C.c_size_t), ("extension_start", C.c_void_p), ("major", C.c_int),
                ("minor", C.c_int)]


class _ErrorCreateArgs(C.Structure):
    _fields_ = [("struct_size", C.c_size_t), ("extension_start", C.c_void_p), ("message", C.c_char_p),
                ("errc", C.c_int)]


class _StreamGetArgs(C.Structure):
    _fields_ = [("struct_size", C.c_size_t), ("extension_start", C.c_void_p), ("ctx", C.c_void_p),
                ("stream", C.c_void_p)]


class _DeviceOrdinalGetArgs(C.Structure):
    _fields_ = [("struct_size", C.c_size_t), ("extension_start", C.c_void_p), ("ctx", C.c_void_p),
                ("device_ordinal", C.c_int32)]


_ERROR_CREATE = C.CFUNCTYPE(C.c_void_p, C.POINTER(_ErrorCreateArgs))
_STREAM_GET = C.CFUNCTYPE(C.c_void_p, C.POINTER(_StreamGetArgs))
_DEVICE_ORDINAL_GET = C.CFUNCTYPE(C.c_void_p, C.POINTER(_DeviceOrdinalGetArgs))


class _Api(C.Structure):
    _fields_ = [("struct_size", C.c_size_t), ("extension_start", C.c_void_p), ("api_version", _ApiVersion),
                ("internal_api", C.c_void_p), ("Error_Create", _ERROR_CREATE), ("Error_GetMessage", C.c_void_p),
                ("Error_Destroy", C.c_void_p), ("Handler_Register", C.c_void_p), ("Stream_Get", _STREAM_GET),
                # Type_Register .. DeviceOrdinal_Get and whatever a newer header adds: every slot is
                # filled with the DeviceOrdinal_Get fake (the only other function the handlers call),
                # so the fake does not depend on where a jaxlib version puts it.
                ("tail", _DEVICE_ORDINAL_GET * 32)]


class _Buffer(C.Structure):
    _fields_ = [("struct_size", C.c_size_t), ("extension_start", C.c_void_p), ("dtype", C.c_int),
                ("data", C.c_void_p), ("rank", C.c_int64), ("dims", C.POINTER(C.c_int64))]


class _Args(C.Structure):  # also XLA_FFI_Rets
    _fields_ = [("struct_size", C.c_size_t), ("extension_start", C.c_void_p), ("size", C.c_int64),
                ("types", C.POINTER(C.c_int)), ("args", C.POINTER(C.c_void_p))]


class _Attrs(C.Structure):
    _fields_ = [("struct_size", C.c_size_t), ("extension_start", C.c_void_p), ("size", C.c_int64),
                ("types", C.c_void_p), ("names", C.c_void_p), ("attrs", C.c_void_p)]


class _CallFrame(C.Structure):
    _fields_ = [("struct_size", C.c_size_t), ("extension_start", C.POINTER(_ExtBase)), ("api", C.POINTER(_Api)),
                ("ctx", C.c_void_p), ("stage", C.c_int), ("args", _Args), ("rets", _Args), ("attrs", _Attrs),
                ("future", C.c_void_p)]


class _Metadata(C.Structure):
    _fields_ = [("struct_size", C.c_size_t), ("api_version", _ApiVersion), ("traits", C.c_uint32),
                ("state_type_id", C.c_int64)]


class _MetadataExtension(C.Structure):
    _fields_ = [("base", _ExtBase), ("metadata", C.POINTER(_Metadata))]


# XLA_FFI_DataType / error codes / stages used below.
PRED, S8, U8, F16, F32, BF16, F8E4M3FN = 1, 2, 6, 10, 11, 16, 20
INVALID_ARGUMENT, INTERNAL = 3, 13
INITIALIZE, EXECUTE = 2, 3
FAKE_DATA = 0x10000  # never dereferenced: every call below stops before a launch


class FakeXla:
    """Call a handler symbol with a hand-made call frame; returns (errc, message) or None."""

    def __init__(self, lib):
        self.lib = lib
        self.errors: list[tuple[int, str]] = []
        self._keep: list = []

        @_ERROR_CREATE
        def error_create(a):
            self.errors.append((a.contents.errc, a.contents.message.decode()))
            return len(self.errors)  # a non-null XLA_FFI_Error*

        @_STREAM_GET
        def stream_get(a):
            a.contents.stream = None  # the legacy stream: never used before the device checks
            return None

        @_DEVICE_ORDINAL_GET
        def device_ordinal_get(a):
            a.contents.device_ordinal = 0
            return None

        self.api = _Api()
        self.api.struct_size = C.sizeof(_Api)
        self.api.Error_Create = error_create
        self.api.Stream_Get = stream_get
        for i in range(len(self.api.tail)):
            self.api.tail[i] = device_ordinal_get
        self._callbacks = (error_create, stream_get, device_ordinal_get)

    def buffer(self, dtype: int, shape, data: int = FAKE_DATA) -> _Buffer:
        dims = (C.c_int64 * max(1, len(shape)))(*shape)
        b = _Buffer(C.sizeof(_Buffer), None, dtype, C.c_void_p(data), len(shape), dims)
        self._keep += [dims, b]
        return b

    def _pack(self, bufs) -> _Args:
        types_ = (C.c_int * max(1, len(bufs)))(*([1] * len(bufs)))  # XLA_FFI_ArgType_BUFFER
        ptrs = (C.c_void_p * max(1, len(bufs)))(*[C.addressof(b) for b in bufs])
        self._keep += [types_, ptrs]
        return _Args(C.sizeof(_Args), None, len(bufs), types_, ptrs)

    def frame(self, args, rets, stage=EXECUTE, extension=None) -> _CallFrame:
        f = _CallFrame()
        f.struct_size = _CallFrame.attrs.offset + C.sizeof(_Attrs)  # XLA_FFI_CallFrame_STRUCT_SIZE
        f.extension_start = C.cast(C.pointer(extension), C.POINTER(_ExtBase)) if extension is not None else None
        f.api = C.pointer(self.api)
        f.ctx = C.c_void_p(1)
        f.stage = stage
        f.args, f.rets = self._pack(args), self._pack(rets)
        f.attrs = _Attrs(C.sizeof(_Attrs), None, 0, None, None, None)
        self._keep.append(f)
        return f

    def call(self, symbol: str, args, rets, stage=EXECUTE):
        fn = getattr(self.lib, symbol)
        fn.restype, fn.argtypes = C.c_void_p, [C.POINTER(_CallFrame)]
        before = len(self.errors)
        r = fn(C.byref(self.frame(args, rets, stage)))
        if r is None:
            assert len(self.errors) == before
            return None
        assert len(self.errors) == before + 1
        errc, msg = self.errors[-1]
        if "XLA_FFI_CallFrame size" in msg:
            pytest.skip(f"these fake call frames mirror another XLA FFI API version ({msg})")
        return errc, msg


@pytest.fixture
def fake():
    return FakeXla(frj.library())


@needs_library
@pytest.mark.parametrize("symbol, traits", [
    ("flash_rt_quantize_fp8_static", 1), ("flashvla_quantize_fp8_static", 1),
    ("flash_rt_fp8_gemm_bf16_out", 1), ("flashvla_fp8_gemm_bf16_out", 1),
    ("flash_rt_fp8_gemm_bf16_out_initialize", 0),
])
def test_handler_metadata(fake, symbol, traits):
    """What XLA reads at registration: the API version, and the command-buffer trait (bit 0)."""
    md = _Metadata()
    md.struct_size = C.sizeof(_Metadata)
    ext = _MetadataExtension(_ExtBase(C.sizeof(_MetadataExtension), 1, None), C.pointer(md))
    fn = getattr(fake.lib, symbol)
    fn.restype, fn.argtypes = C.c_void_p, [C.POINTER(_CallFrame)]
    assert fn(C.byref(fake.frame([], [], extension=ext))) is None, fake.errors
    assert (md.api_version.major, md.api_version.minor) == frj.library().ffi_api
    assert md.traits == traits


def _q(fake, x=(BF16, [3, 5]), scale=(F32, [1]), y=(U8, [3, 5])):
    return fake.call("flash_rt_quantize_fp8_static", [fake.buffer(*x), fake.buffer(*scale)], [fake.buffer(*y)])


def _g(fake, x=(F8E4M3FN, [4, 32]), w=(F8E4M3FN, [32, 48]), sa=(F32, [1]), sw=(F32, [1]), y=(BF16, [4, 48]),
       symbol="flash_rt_fp8_gemm_bf16_out", stage=EXECUTE):
    args = [fake.buffer(*x), fake.buffer(*w), fake.buffer(*sa), fake.buffer(*sw)]
    return fake.call(symbol, args, [fake.buffer(*y)], stage)


@needs_library
@pytest.mark.parametrize("kw, msg", [
    (dict(x=(F32, [3, 5])), "quantize_fp8_static: 'x' expected dtype bfloat16, got float32"),
    (dict(x=(F16, [3, 5])), "quantize_fp8_static: 'x' expected dtype bfloat16, got float16"),
    (dict(scale=(F32, [2])), "quantize_fp8_static: 'scale' expected exactly one float32 element (the per-tensor "
                             "scale amax/448, shape () or (1,)), got shape [2]"),
    (dict(scale=(BF16, [1])), "quantize_fp8_static: 'scale' expected dtype float32, got bfloat16"),
    (dict(y=(BF16, [3, 5])), "quantize_fp8_static: 'y' expected dtype float8_e4m3fn, uint8 or int8, got bfloat16"),
    (dict(y=(U8, [3, 4])), "quantize_fp8_static: 'y' expected 15 elements (as many as x, shape [3, 5]), got "
                           "shape [3, 4]"),
    (dict(x=(BF16, [65536, 32768]), y=(U8, [65536, 32768])),
     "quantize_fp8_static: the element count of 'x' expected at most 2147483647 (32-bit sizes), got 2147483648"),
    (dict(x=(BF16, [1] * 9), y=(U8, [1])), "quantize_fp8_static: 'x' expected at most 8 dimensions, got shape "
                                           "[1, 1, 1, 1, 1, 1, 1, 1, 1]"),
])
def test_quantize_handler_invalid_argument(fake, kw, msg):
    assert _q(fake, **kw) == (INVALID_ARGUMENT, msg)


@needs_library
@pytest.mark.parametrize("kw, msg", [
    (dict(x=(BF16, [4, 32])), "fp8_gemm_bf16_out: 'x' expected dtype float8_e4m3fn, uint8 or int8, got bfloat16"),
    (dict(w=(F16, [32, 48])), "fp8_gemm_bf16_out: 'w' expected dtype float8_e4m3fn, uint8 or int8, got float16"),
    (dict(y=(F32, [4, 48])), "fp8_gemm_bf16_out: 'y' expected dtype bfloat16, got float32"),
    (dict(sa=(F32, [1, 2])), "fp8_gemm_bf16_out: 'act_scale' expected exactly one float32 element (the "
                             "per-tensor scale amax/448, shape () or (1,)), got shape [1, 2]"),
    (dict(sw=(PRED, [1])), "fp8_gemm_bf16_out: 'w_scale' expected dtype float32, got bool"),
    (dict(x=(U8, [32]), y=(BF16, [48])), "fp8_gemm_bf16_out: 'x' expected rank >= 2 ([..., K]), got shape [32]"),
    (dict(w=(U8, [1, 32, 48])), "fp8_gemm_bf16_out: 'w' expected rank 2 ([K, N]), got shape [1, 32, 48]"),
    (dict(w=(U8, [16, 48])), "fp8_gemm_bf16_out: 'w' expected [K, N] with K = 32 (the last dim of x, shape "
                             "[4, 32]), got shape [16, 48]"),
    (dict(y=(BF16, [4, 32])), "fp8_gemm_bf16_out: 'y' expected x's leading dims and N = 48 (x [4, 32], w "
                              "[32, 48]), got shape [4, 32]"),
    (dict(x=(S8, [2, 3, 32]), y=(BF16, [3, 2, 48])), "fp8_gemm_bf16_out: 'y' expected x's leading dims and "
                                                     "N = 48 (x [2, 3, 32], w [32, 48]), got shape [3, 2, 48]"),
    (dict(x=(U8, [65536, 32768, 32]), y=(BF16, [65536, 32768, 48])),
     "fp8_gemm_bf16_out: M (the product of x's leading dims) expected at most 2147483647 (32-bit sizes), "
     "got 2147483648"),
])
def test_gemm_handler_invalid_argument(fake, kw, msg):
    assert _g(fake, **kw) == (INVALID_ARGUMENT, msg)
    # The original target's symbol is the same handler.
    assert _g(fake, symbol="flashvla_fp8_gemm_bf16_out", **kw) == (INVALID_ARGUMENT, msg)
    # The initialize stage leaves bad operands to the execute stage (one report).
    assert _g(fake, symbol="flash_rt_fp8_gemm_bf16_out_initialize", stage=INITIALIZE, **kw) is None


@needs_library
def test_handlers_empty_operands_launch_nothing(fake):
    """Zero elements: success without asking CUDA anything (works without a GPU)."""
    assert _q(fake, x=(BF16, [0, 5]), y=(U8, [0, 5])) is None
    assert _g(fake, x=(U8, [0, 32]), y=(BF16, [0, 48])) is None
    assert _g(fake, x=(U8, [3, 0, 32]), y=(BF16, [3, 0, 48])) is None
    assert _g(fake, w=(U8, [32, 0]), y=(BF16, [4, 0])) is None
    assert _g(fake, x=(U8, [0, 32]), y=(BF16, [0, 48]), symbol="flash_rt_fp8_gemm_bf16_out_initialize",
              stage=INITIALIZE) is None


@needs_library
def test_handlers_without_a_device_return_an_error(fake, has_gpu):
    """Valid operands, odd element count, no CUDA device: an INTERNAL error naming CUDA's error,
    no exception through XLA, no crash."""
    if has_gpu:
        pytest.skip("a GPU is visible: the call would launch on fake addresses")
    errc, msg = _q(fake, x=(BF16, [3, 5]), y=(U8, [3, 5]))
    assert errc == INTERNAL and msg.startswith("quantize_fp8_static: no usable CUDA device ("), msg
    errc, msg = _g(fake)
    assert errc == INTERNAL and msg.startswith("fp8_gemm_bf16_out: no usable CUDA device"), msg
    errc, msg = _g(fake, symbol="flash_rt_fp8_gemm_bf16_out_initialize", stage=INITIALIZE)
    assert errc == INTERNAL and msg.startswith("fp8_gemm_bf16_out: no usable CUDA device"), msg


@needs_library
def test_handler_rejects_the_wrong_stage(fake):
    """XLA calls each stage's handler with that stage; a mix-up is an error, not a launch."""
    errc, msg = _g(fake, stage=INITIALIZE)
    assert errc == INVALID_ARGUMENT and "Wrong execution stage" in msg


@needs_library
def test_prepare_checks_and_errors(has_gpu):
    """warmup_fp8_gemm's C entry point: bad sizes are refused before any CUDA call; without a
    device it returns -1 with CUDA's words, never raising through ctypes."""
    lib = frj.library()
    err = C.create_string_buffer(512)
    assert lib.flash_rt_jax_ffi_prepare_fp8_gemm(0, 0, 16, 16, err, len(err)) == -1
    assert err.value.decode() == "warmup_fp8_gemm: 'M' expected a positive size, got 0"
    assert lib.flash_rt_jax_ffi_prepare_fp8_gemm(0, 16, 16, 2**31, err, len(err)) == -1
    assert err.value.decode() == "warmup_fp8_gemm: K expected at most 2147483647 (32-bit sizes), got 2147483648"
    if not has_gpu:
        assert lib.flash_rt_jax_ffi_prepare_fp8_gemm(0, 16, 16, 16, err, len(err)) == -1
        assert err.value.decode().startswith("warmup_fp8_gemm: no usable CUDA device ("), err.value
    assert frj.warmup_fp8_gemm(16, 16, 16, devices=[]) == 0  # nothing to do without devices

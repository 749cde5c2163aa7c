"""Argument validation of the GEMM group (SPEC 2.5), without a GPU where possible.

Same conventions as tests/test_errors.py: messages "<entry>: '<arg>' expected <what>, got
<actual>"; TypeError for a wrong dtype or a non-tensor, ValueError for sizes, shapes, device,
null or misaligned addresses. The fp8_gemm_descale_* entries validate before they create their
process-global cuBLASLt runner, so every check is reachable on a CPU-only machine; the other
arguments are fake 16-byte-aligned int addresses there (real device buffers with a GPU).
GemmRunner methods and gmm_fp16 need an object that needs a device (GemmRunner, FvkContext),
so their validation tests are marked gpu.
"""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")

FP8 = torch.float8_e4m3fn
M, N, K = 4, 32, 16
DESCALE = {"fp8_gemm_descale_fp16": torch.float16, "fp8_gemm_descale_bf16out": torch.bfloat16,
           "fp8_gemm_descale_f32out": torch.float32}
DESCALE_PARAMS = [pytest.param(n, id=n) for n in DESCALE]
BASE = 0x7F00_0000_0000


def expect(entry: str, arg: str, what: str) -> str:
    return rf"^{re.escape(entry)}: '{re.escape(arg)}' expected {what}"


@pytest.fixture
def addrs(has_gpu):
    """{arg: valid int address} for A [M,K], B [K,N], C [M,N], act_descale, w_descale."""
    if not has_gpu:
        yield {n: BASE + (i + 1) * 0x10_0000 for i, n in enumerate(("A", "B", "C", "act_descale", "w_descale"))}
        return
    keep = {"A": torch.zeros(M, K, dtype=FP8, device="cuda"), "B": torch.zeros(K, N, dtype=FP8, device="cuda"),
            "C": torch.zeros(M, N, dtype=torch.float32, device="cuda"),
            "act_descale": torch.ones(1, device="cuda"), "w_descale": torch.ones(1, device="cuda")}
    yield {n: t.data_ptr() for n, t in keep.items()}
    keep.clear()


def call(fvk, entry, a, **override):
    kw = {"A": a["A"], "B": a["B"], "C": a["C"], "M": M, "N": N, "K": K,
          "act_descale": a["act_descale"], "w_descale": a["w_descale"]}
    kw.update(override)
    getattr(fvk, entry)(**kw)


@pytest.mark.parametrize("entry", DESCALE_PARAMS)
def test_descale_cpu_tensor(fvk, addrs, entry):
    shapes = {"A": (M, K), "B": (K, N), "C": (M, N), "act_descale": (1,), "w_descale": (1,)}
    dtypes = {"A": FP8, "B": FP8, "C": DESCALE[entry], "act_descale": torch.float32, "w_descale": torch.float32}
    for arg in shapes:
        t = torch.zeros(shapes[arg], dtype=dtypes[arg])
        with pytest.raises(ValueError, match=expect(entry, arg, "a CUDA tensor, got a tensor on cpu")):
            call(fvk, entry, addrs, **{arg: t})


@pytest.mark.parametrize("entry", DESCALE_PARAMS)
def test_descale_fp8_bytes_accepted(fvk, addrs, entry):
    """uint8 and int8 storage of E4M3 operands pass the dtype check (reach the device check)."""
    for dt in (torch.uint8, torch.int8):
        with pytest.raises(ValueError, match=expect(entry, "A", "a CUDA tensor")):
            call(fvk, entry, addrs, A=torch.zeros(M, K, dtype=dt))


@pytest.mark.parametrize("entry", DESCALE_PARAMS)
def test_descale_wrong_dtype(fvk, addrs, entry):
    cases = {"A": torch.zeros(M, K, dtype=torch.float16), "B": torch.zeros(K, N, dtype=torch.bfloat16),
             "C": torch.zeros(M, N, dtype=torch.float16 if DESCALE[entry] != torch.float16 else torch.float32),
             "act_descale": torch.zeros(1, dtype=torch.float16), "w_descale": torch.zeros(1, dtype=torch.float64)}
    for arg, t in cases.items():
        with pytest.raises(TypeError, match=expect(entry, arg, "dtype")):
            call(fvk, entry, addrs, **{arg: t})


@pytest.mark.parametrize("entry", DESCALE_PARAMS)
def test_descale_wrong_shape(fvk, addrs, entry):
    out = DESCALE[entry]
    cases = {"A": torch.zeros(M, K + 16, dtype=FP8),          # wrong element count
             "B": torch.zeros(N, K + 16, dtype=FP8),          # [N, K'] where [K, N] is expected: count differs
             "C": torch.zeros(M + 1, N, dtype=out),
             "act_descale": torch.zeros(2, dtype=torch.float32)}
    for arg, t in cases.items():
        with pytest.raises(ValueError, match=expect(entry, arg, "")):
            call(fvk, entry, addrs, **{arg: t})


@pytest.mark.gpu
@pytest.mark.parametrize("entry", DESCALE_PARAMS)
def test_descale_wrong_row_width(fvk, addrs, entry):
    """Right element count, wrong row width ([2K, N/2] for B [K, N]); checked after the device."""
    with pytest.raises(ValueError, match=expect(entry, "B", "rows of")):
        call(fvk, entry, addrs, B=torch.zeros(K * 2, N // 2, dtype=FP8, device="cuda"))


@pytest.mark.parametrize("entry", DESCALE_PARAMS)
def test_descale_non_contiguous(fvk, addrs, entry):
    t = torch.zeros(K, M, dtype=FP8).T  # [M, K], strides of a transpose
    with pytest.raises(ValueError, match=expect(entry, "A", "a contiguous")):
        call(fvk, entry, addrs, A=t)


@pytest.mark.parametrize("entry", DESCALE_PARAMS)
@pytest.mark.parametrize("size", ["M", "N", "K"])
@pytest.mark.parametrize("value", [0, -1])
def test_descale_sizes_positive(fvk, addrs, entry, size, value):
    with pytest.raises(ValueError, match=expect(entry, size, "a positive size, got " + str(value))):
        call(fvk, entry, addrs, **{size: value})


@pytest.mark.parametrize("entry", DESCALE_PARAMS)
@pytest.mark.parametrize("size, value", [("K", 20), ("K", 8), ("N", 24), ("N", 1)])
def test_descale_fp8_multiple_of_16(fvk, addrs, entry, size, value):
    with pytest.raises(ValueError, match=expect(entry, size, rf"a multiple of 16 \(cuBLASLt FP8\), got {value}")):
        call(fvk, entry, addrs, **{size: value})


@pytest.mark.parametrize("entry", DESCALE_PARAMS)
def test_descale_null_address(fvk, addrs, entry):
    for arg in ("A", "B", "C", "act_descale", "w_descale"):
        with pytest.raises(ValueError, match=expect(entry, arg, "a non-null device address, got 0")):
            call(fvk, entry, addrs, **{arg: 0})


@pytest.mark.parametrize("entry", DESCALE_PARAMS)
def test_descale_misaligned_address(fvk, addrs, entry):
    """cuBLASLt operands need 16-byte alignment (the heuristic is asked for exactly that)."""
    for arg in ("A", "B", "C"):
        with pytest.raises(ValueError, match=expect(entry, arg, "an address aligned to 16 bytes")):
            call(fvk, entry, addrs, **{arg: addrs[arg] + 8})


@pytest.mark.parametrize("entry", DESCALE_PARAMS)
def test_descale_not_a_tensor(fvk, addrs, entry):
    with pytest.raises(TypeError, match=expect(entry, "A", r"an int device address .* got None")):
        call(fvk, entry, addrs, A=None)
    with pytest.raises(TypeError, match=expect(entry, "w_descale", r"an int device address .* got an object of type")):
        call(fvk, entry, addrs, w_descale="x")


@pytest.mark.parametrize("entry", DESCALE_PARAMS)
def test_descale_without_gpu_raises_runtime_error(fvk, addrs, has_gpu, entry):
    """Valid arguments reach the per-device runner, which needs a device."""
    if has_gpu:
        pytest.skip("needs a machine without a usable CUDA device")
    with pytest.raises(RuntimeError, match=rf"^{entry}: no usable CUDA device"):
        call(fvk, entry, addrs)


def test_gemm_runner_without_gpu_raises_runtime_error(fvk, has_gpu):
    if has_gpu:
        pytest.skip("needs a machine without a usable CUDA device")
    with pytest.raises(RuntimeError, match=r"^GemmRunner: no usable CUDA device"):
        fvk.GemmRunner()


def test_gemm_runner_methods(fvk):
    """The non-fp4 methods of SPEC 2.5.1 are bound (fp4 ones only in SM120 builds)."""
    methods = {"fp16_nn", "bf16_nn", "bf16_nn_res", "bf16_nn_bias", "bf16_nn_bias_gelu", "bf16_nn_bias_res",
               "fp8_run_dev", "fp8_nn_dev", "fp8_descale_fp16", "fp8_nn_bias", "fp8_nn_bias_res",
               "fp8_nn_gelu_bias", "bf16_gemm", "fp8_gemm", "autotune_bf16_nn", "autotune_fp8_nn_dev",
               "register_static_weight", "unregister_static_weight", "static_weight_count"}
    assert methods <= set(dir(fvk.GemmRunner))
    assert {"fp8_gemm_descale_register_static_weight", "fp8_gemm_descale_unregister_static_weight"} <= set(dir(fvk))


# ---- with a device: GemmRunner methods and gmm_fp16 -------------------------------------------

@pytest.mark.gpu
def test_runner_validation(fvk):
    r = fvk.GemmRunner()
    a = torch.zeros(M, K, dtype=torch.bfloat16, device="cuda")
    b = torch.zeros(K, N, dtype=torch.bfloat16, device="cuda")
    d = torch.zeros(M, N, dtype=torch.bfloat16, device="cuda")
    with pytest.raises(ValueError, match=expect("bf16_nn", "A", "a CUDA tensor, got a tensor on cpu")):
        r.bf16_nn(a.cpu(), b, d, M, N, K)
    with pytest.raises(TypeError, match=expect("fp16_nn", "A", "dtype float16")):
        r.fp16_nn(a, b, d, M, N, K)
    with pytest.raises(ValueError, match=expect("bf16_nn_bias", "bias", "")):
        r.bf16_nn_bias(a, b, d, torch.zeros(N + 1, dtype=torch.bfloat16, device="cuda"), M, N, K)
    fa = torch.zeros(M, K, dtype=FP8, device="cuda")
    fb = torch.zeros(N, K, dtype=FP8, device="cuda")
    s = torch.ones(1, device="cuda")
    with pytest.raises(ValueError, match=expect("fp8_run_dev", "K", "a multiple of 16")):
        r.fp8_run_dev(fa, fb, d, M, N, 20, s, s)
    with pytest.raises(ValueError, match=expect("fp8_run_dev", "d_scale_a", "a non-null device address")):
        r.fp8_run_dev(fa, fb, d, M, N, K, 0, s)
    with pytest.raises(ValueError, match=expect("fp8_nn_bias", "M", "a positive size")):
        r.fp8_nn_bias(fa, fb, d, s, 0, N, K)


@pytest.mark.gpu
def test_gmm_fp16_validation(fvk):
    ctx = fvk.FvkContext()
    a = torch.zeros(M, K, dtype=torch.float16, device="cuda")
    b = torch.zeros(K, N, dtype=torch.float16, device="cuda")
    c = torch.zeros(M, N, dtype=torch.float16, device="cuda")
    with pytest.raises(ValueError, match=expect("gmm_fp16", "C", "a CUDA tensor, got a tensor on cpu")):
        fvk.gmm_fp16(ctx, a, b, c.cpu(), M, N, K)
    with pytest.raises(TypeError, match=expect("gmm_fp16", "B", "dtype float16")):
        fvk.gmm_fp16(ctx, a, b.bfloat16(), c, M, N, K)
    with pytest.raises(ValueError, match=expect("gmm_fp16", "K", "a positive size")):
        fvk.gmm_fp16(ctx, a, b, c, M, N, 0)
    with pytest.raises(TypeError):
        fvk.gmm_fp16(None, a, b, c, M, N, K)


# ---- cutlass_fp8_* (SPEC 2.5.4): validated before the device is consulted -------------------

CUTLASS = {"cutlass_fp8_sq": torch.float16, "cutlass_fp8_gelu": torch.float16,
           "cutlass_fp8_wide_f32out": torch.float32, "cutlass_fp8_t1_bf16out": torch.bfloat16}
CUTLASS_ALL = ("cutlass_fp8_sq", "cutlass_fp8_t1", "cutlass_fp8_wide", "cutlass_fp8_plain", "cutlass_fp8_gelu",
               "cutlass_fp8_sq_f32out", "cutlass_fp8_wide_f32out", "cutlass_fp8_sq_bf16out",
               "cutlass_fp8_wide_bf16out", "cutlass_fp8_t1_bf16out")
CM, CN, CK = 4, 32, 64
CUTLASS_ADDR = {"A": BASE + 0x10_0000, "B": BASE + 0x20_0000, "D": BASE + 0x30_0000}


def test_cutlass_entries_exist(fvk):
    for name in CUTLASS_ALL:
        assert callable(getattr(fvk, name)), name
    assert isinstance(fvk.cutlass_fp8_archs(), str)


def test_cutlass_sm90_backend_policy(fvk):
    """The SM90 policy: queried with no argument, set by name, refused for another name (and left
    as it was)."""
    assert fvk.cutlass_fp8_sm90_backend() == "auto"
    try:
        for name in ("cutlass", "cublaslt", "auto"):
            assert fvk.cutlass_fp8_sm90_backend(name) == name
            assert fvk.cutlass_fp8_sm90_backend() == name
        fvk.cutlass_fp8_sm90_backend("cutlass")
        with pytest.raises(ValueError, match=r"^cutlass_fp8_sm90_backend: 'policy' expected 'auto', 'cutlass', "
                                             r"'cublaslt' or '' \(query\), got 'cuBLAS'$"):
            fvk.cutlass_fp8_sm90_backend("cuBLAS")
        assert fvk.cutlass_fp8_sm90_backend() == "cutlass"
    finally:
        fvk.cutlass_fp8_sm90_backend("auto")


def cutlass_call(fvk, entry, **override):
    kw = {"A": CUTLASS_ADDR["A"], "B": CUTLASS_ADDR["B"], "D": CUTLASS_ADDR["D"], "M": CM, "N": CN, "K": CK}
    kw.update(override)
    return getattr(fvk, entry)(**kw)


@pytest.mark.parametrize("entry", list(CUTLASS))
def test_cutlass_sizes(fvk, entry):
    for arg in ("M", "N", "K"):
        with pytest.raises(ValueError, match=expect(entry, arg, "a positive")):
            cutlass_call(fvk, entry, **{arg: 0})
    with pytest.raises(ValueError, match=expect(entry, "K", "a multiple of 16")):
        cutlass_call(fvk, entry, K=40)
    step = 4 if CUTLASS[entry] == torch.float32 else 8
    with pytest.raises(ValueError, match=expect(entry, "N", f"a multiple of {step} ")):
        cutlass_call(fvk, entry, N=CN + step // 2)


@pytest.mark.parametrize("entry", list(CUTLASS))
def test_cutlass_addresses(fvk, entry):
    for arg in ("A", "B", "D"):
        with pytest.raises(ValueError, match=expect(entry, arg, "an address aligned to 16 bytes")):
            cutlass_call(fvk, entry, **{arg: CUTLASS_ADDR[arg] + 8})
        with pytest.raises(ValueError, match=expect(entry, arg, "")):
            cutlass_call(fvk, entry, **{arg: 0})


@pytest.mark.parametrize("entry", list(CUTLASS))
def test_cutlass_tensors(fvk, entry):
    out = CUTLASS[entry]
    wrong = torch.float16 if out != torch.float16 else torch.bfloat16
    with pytest.raises(TypeError, match=expect(entry, "D", "dtype")):
        cutlass_call(fvk, entry, D=torch.zeros(CM, CN, dtype=wrong, device="cuda" if torch.cuda.is_available()
                                               else "cpu"))
    with pytest.raises(TypeError, match=expect(entry, "A", "dtype")):
        cutlass_call(fvk, entry, A=torch.zeros(CM, CK, dtype=torch.float16))
    with pytest.raises(ValueError, match=expect(entry, "B", "a CUDA tensor, got a tensor on cpu")):
        cutlass_call(fvk, entry, B=torch.zeros(CN, CK, dtype=FP8))
    with pytest.raises(ValueError, match=expect(entry, "B", "")):
        cutlass_call(fvk, entry, B=torch.zeros(CK, CN + 16, dtype=FP8))  # [K, N]: the NN layout is refused

"""Argument validation of every catalog entry in the case table, without a GPU (STYLE 5, step 5).

Messages follow "<entry>: '<arg>' expected <what>, got <actual>"; TypeError for a wrong dtype
or an object that is not a tensor, ValueError for shape/device/stride/alignment/null/size/eps.
Validation runs before anything touches a device, in this order per tensor: dtype, element
count, density, alignment, device. So on a CPU-only machine every check up to "expected a CUDA
tensor" can be reached with CPU tensors. To isolate one argument, the others are passed as
valid int addresses (only null-ness and alignment are checkable for those): fake aligned
numbers without a GPU, real device buffers with one, so that nothing here could ever launch a
kernel on memory that does not exist.
"""

from __future__ import annotations

import math
import re

import pytest

torch = pytest.importorskip("torch")

from flash_rt.testing.cases import ALL_CASES  # noqa: E402

CASES = list(ALL_CASES.values())
S, D = 4, 16
OMIT = object()

WRONG_DTYPE = {
    torch.bfloat16: torch.float16,
    torch.float16: torch.bfloat16,
    torch.float32: torch.float16,
    torch.float8_e4m3fn: torch.float16,
}
DTYPE_NAME = {torch.bfloat16: "bfloat16", torch.float16: "float16", torch.float32: "float32",
              torch.float8_e4m3fn: "float8_e4m3fn"}

# Entries whose d_scale the original defaulted to 0 (SPEC 2.1); the noweight pair never had a default.
D_SCALE_DEFAULTED = {"rms_norm_fp8", "rms_norm_fp8_fp16", "ada_rms_norm_style_fp8"}
# Entries whose tensors are raw bytes (SPEC 2.8 gpu_copy): any dtype, any alignment.
UNTYPED = {"gpu_copy"}
# Arguments addressed through offsets, strides or byte counts (KV caches, strided sources, a
# velocity read from an offset, copy buffers): any dense shape holding at least the span the call
# touches, so only too few elements are an error ("expected at least N ...").
SPANS = {("qkv_split_rope_kvcache_fp16", "Kc"), ("qkv_split_rope_kvcache_fp16", "Vc"), ("gpu_copy", "dst"),
         ("gpu_copy", "src"), ("gpu_strided_copy_fp16", "src"), ("gpu_euler_step", "velocity")}

ARG_PARAMS = [pytest.param(c, a, id=f"{c.name}-{a.name}") for c in CASES for a in c.tensor_args]
CASE_PARAMS = [pytest.param(c, id=c.name) for c in CASES]
EPS_PARAMS = [pytest.param(c, id=c.name) for c in CASES if c.eps is not None]


@pytest.fixture(scope="module")
def addresses(case_addresses):
    """addresses(case) -> {tensor arg: valid int address} (conftest.case_addresses at S, D)."""
    return lambda case: case_addresses(case, S, D)


def call(fvk, case, addrs, **override):
    """Call `case` positionally: tensors from `addrs`, sizes S/D, the default eps; `override`
    replaces any argument by name (OMIT drops it, only for a trailing argument)."""
    args = []
    for a in case.args:
        if a.name in override:
            v = override[a.name]
            if v is OMIT:
                continue
            args.append(v)
        elif a.is_tensor:
            args.append(addrs[a.name])
        elif a.kind == "S":
            args.append(S)
        elif a.kind == "D":
            args.append(D)
        elif a.kind == "eps":
            args.append(case.eps)
        elif a.kind in ("int", "float"):
            args.append(a.value_fn(S, D))
    getattr(fvk, case.name)(*args)


def expect(case, arg: str, what: str) -> str:
    """Regex for the message convention: starts with the entry, names the argument."""
    return rf"^{re.escape(case.name)}: '{re.escape(arg)}' expected {what}"


def cpu_tensor(arg, dtype=None, shape=None):
    dtype = dtype or arg.dtype
    return torch.zeros(shape or arg.shape(S, D), dtype=dtype)


# ---- tensors on the wrong device / of the wrong kind ----------------------------------------

@pytest.mark.parametrize("case, arg", ARG_PARAMS)
def test_cpu_tensor(fvk, addresses, case, arg):
    with pytest.raises(ValueError, match=expect(case, arg.name, "a CUDA tensor, got a tensor on cpu")):
        call(fvk, case, addresses(case), **{arg.name: cpu_tensor(arg)})


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_dlpack_capsule_is_accepted(fvk, addresses, case):
    """A to_dlpack capsule is read like the tensor (same shape/dtype checks, same CPU error)."""
    from torch.utils.dlpack import to_dlpack

    for arg in case.tensor_args:
        with pytest.raises(ValueError, match=expect(case, arg.name, "a CUDA tensor, got a tensor on cpu")):
            call(fvk, case, addresses(case), **{arg.name: to_dlpack(cpu_tensor(arg))})
        if case.name in UNTYPED:
            continue
        wrong = cpu_tensor(arg, dtype=WRONG_DTYPE[arg.dtype])
        with pytest.raises(TypeError, match=expect(case, arg.name, "dtype")):
            call(fvk, case, addresses(case), **{arg.name: to_dlpack(wrong)})


@pytest.mark.parametrize("case, arg", [p for p in ARG_PARAMS if p.values[0].name not in UNTYPED])
def test_wrong_dtype_before_device(fvk, addresses, case, arg):
    wrong = WRONG_DTYPE[arg.dtype]
    msg = expect(case, arg.name, rf"dtype .*{DTYPE_NAME[arg.dtype]}.*, got {DTYPE_NAME[wrong]}$")
    with pytest.raises(TypeError, match=msg):
        call(fvk, case, addresses(case), **{arg.name: cpu_tensor(arg, dtype=wrong)})


@pytest.mark.parametrize("case", [c for c in CASE_PARAMS if any(a.dtype == torch.float8_e4m3fn
                                                                  for a in c.values[0].tensor_args)])
def test_fp8_output_accepts_byte_storage(fvk, addresses, case):
    """FP8 outputs may come as float8_e4m3fn, uint8 or int8 (the dtype check passes; the CPU
    check is the one that fires)."""
    for arg in case.tensor_args:
        if arg.dtype != torch.float8_e4m3fn:
            continue
        for dt in (torch.float8_e4m3fn, torch.uint8, torch.int8):
            with pytest.raises(ValueError, match=expect(case, arg.name, "a CUDA tensor")):
                call(fvk, case, addresses(case), **{arg.name: cpu_tensor(arg, dtype=dt)})


@pytest.mark.parametrize("case, arg", ARG_PARAMS)
def test_wrong_size(fvk, addresses, case, arg):
    shape = arg.shape(S, D)
    numel = math.prod(shape)
    if (case.name, arg.name) in SPANS:  # half the elements: below any span the call touches
        msg = expect(case, arg.name, rf"at least .*got shape \[{numel // 2}\]")
        with pytest.raises(ValueError, match=msg):
            call(fvk, case, addresses(case), **{arg.name: cpu_tensor(arg, shape=(numel // 2,))})
        return
    for bad in ((shape[0], shape[-1] + 1) if len(shape) == 2 else (shape[0] + 1,), (S + 1, arg.width * D)):
        if math.prod(bad) == numel:
            continue
        msg = expect(case, arg.name, rf"{numel} elements, got shape \[{', '.join(map(str, bad))}\]")
        with pytest.raises(ValueError, match=msg):
            call(fvk, case, addresses(case), **{arg.name: cpu_tensor(arg, shape=bad)})


@pytest.mark.parametrize("case, arg", [p for p in ARG_PARAMS if p.values[1].kind != "scale"])
def test_non_contiguous(fvk, addresses, case, arg):
    shape = arg.shape(S, D)
    if len(shape) == 2:
        strided = torch.zeros(shape[1], shape[0], dtype=arg.dtype).t()  # transposed
    else:
        strided = torch.zeros(*shape[:-1], 2 * shape[-1], dtype=arg.dtype)[..., ::2]  # every other element
    assert strided.shape == shape and not strided.is_contiguous()
    with pytest.raises(ValueError, match=expect(case, arg.name, "a contiguous")):
        call(fvk, case, addresses(case), **{arg.name: strided})


# ---- raw addresses -------------------------------------------------------------------------

@pytest.mark.parametrize("case, arg", ARG_PARAMS)
def test_null_address(fvk, addresses, case, arg):
    with pytest.raises(ValueError, match=expect(case, arg.name, "a non-null device address, got 0$")):
        call(fvk, case, addresses(case), **{arg.name: 0})


@pytest.mark.parametrize("case, arg", [p for p in ARG_PARAMS
                                       if p.values[1].dtype.itemsize > 1 and p.values[0].name not in UNTYPED])
def test_misaligned_address(fvk, addresses, case, arg):
    size = arg.dtype.itemsize
    addrs = addresses(case)
    for off in range(1, size):
        bad = addrs[arg.name] + off
        with pytest.raises(ValueError, match=expect(case, arg.name, rf"an address aligned to {size} bytes.*"
                                                    rf"got 0x{bad:x}$")):
            call(fvk, case, addrs, **{arg.name: bad})


@pytest.mark.parametrize("case, arg", ARG_PARAMS)
def test_not_a_tensor(fvk, addresses, case, arg):
    addrs = addresses(case)
    for bad, got in (("x", "an object of type str"), (1.5, "an object of type float"),
                     ([0], "an object of type list"), (-16, "an int that is not a valid address")):
        with pytest.raises(TypeError, match=expect(case, arg.name, rf"an int device address or a DLPack tensor.*"
                                                   rf"got {got}")):
            call(fvk, case, addrs, **{arg.name: bad})
    # None: a TypeError always. Only arguments bound with a None default (d_scale) reach the
    # caster, which names the argument; for the others nanobind rejects None itself with its
    # generic "incompatible function arguments" message.
    with pytest.raises(TypeError) as e:
        call(fvk, case, addrs, **{arg.name: None})
    if arg.name == "d_scale" and case.name in D_SCALE_DEFAULTED:
        assert re.match(expect(case, arg.name, r".*got None \(this argument is required\)"), str(e.value))


@pytest.mark.parametrize("case", [c for c in CASE_PARAMS if c.values[0].args[-1].name == "d_scale"])
def test_missing_d_scale_is_required(fvk, addresses, case):
    """Leaving d_scale out is a TypeError. Where the original defaulted it to a null pointer
    (SPEC 2.1: d_scale=0) the signature keeps a None default so the argument order still
    works, and the message says it is required."""
    with pytest.raises(TypeError) as e:
        call(fvk, case, addresses(case), d_scale=OMIT)
    if case.name in D_SCALE_DEFAULTED:
        assert re.match(expect(case, "d_scale", ".*required"), str(e.value)), str(e.value)


# ---- scalars -------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASE_PARAMS)
def test_non_positive_sizes(fvk, addresses, case):
    for arg in (a for a in case.args if a.kind in ("S", "D")):
        for bad in (0, -1, -(2**31)):
            with pytest.raises(ValueError, match=expect(case, arg.name, rf"a positive size, got {bad}$")):
                call(fvk, case, addresses(case), **{arg.name: bad})


@pytest.mark.parametrize("case", EPS_PARAMS)
def test_bad_eps(fvk, addresses, case):
    for bad, shown in ((-1e-6, "-1e-06"), (float("nan"), "nan"), (float("inf"), "inf"), (-float("inf"), "-inf")):
        with pytest.raises(ValueError, match=expect(case, "eps", rf"a finite value >= 0, got {shown}$")):
            call(fvk, case, addresses(case), eps=bad)


@pytest.mark.parametrize("case", EPS_PARAMS)
def test_eps_zero_is_valid(fvk, addresses, case, has_gpu):
    """eps = 0 passes validation (reaching the device: RuntimeError without a GPU)."""
    if has_gpu:
        pytest.skip("would launch; covered by the GPU tests")
    with pytest.raises(RuntimeError, match=rf"^{case.name}: no usable CUDA device"):
        call(fvk, case, addresses(case), eps=0.0)


# ---- names and the device ------------------------------------------------------------------

@pytest.mark.parametrize("case", CASE_PARAMS)
def test_keyword_names(fvk, addresses, case):
    """Every argument can be passed by its catalog name (SPEC 2.1)."""
    addrs = addresses(case)
    kwargs = {}
    for a in case.args:
        if a.is_tensor:
            kwargs[a.name] = addrs[a.name]
        elif a.kind in ("int", "float"):
            kwargs[a.name] = a.value_fn(S, D)
        else:
            kwargs[a.name] = {"S": S, "D": D, "eps": case.eps}[a.kind]
    first = case.tensor_args[-1]
    kwargs[first.name] = cpu_tensor(first)
    with pytest.raises(ValueError, match=expect(case, first.name, "a CUDA tensor")):
        getattr(fvk, case.name)(**kwargs, stream=0)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_no_device_is_runtime_error(fvk, addresses, case, has_gpu):
    """Valid arguments on a machine without a GPU: RuntimeError naming the entry, no crash."""
    if has_gpu:
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match=rf"^{case.name}: no usable CUDA device"):
        call(fvk, case, addresses(case))


def test_context_without_gpu(fvk, has_gpu):
    if has_gpu:
        ctx = fvk.FvkContext()
        assert isinstance(ctx.handle_ptr, int) and ctx.handle_ptr != 0
        return
    with pytest.raises(RuntimeError, match="^FvkContext: "):
        fvk.FvkContext()


def test_probe_functions(fvk, has_gpu):
    for name in ("has_nvfp4", "has_cutlass_sm100", "has_cutlass_fmha"):
        assert isinstance(getattr(fvk, name)(), bool)
    if not has_gpu:
        with pytest.raises(RuntimeError, match="^get_sm_version: "):
            fvk.get_sm_version()
        assert not fvk.has_nvfp4() and not fvk.has_cutlass_sm100()
    else:
        major, minor = torch.cuda.get_device_capability()
        assert fvk.get_sm_version() == 10 * major + minor


NOT_CASES = {"FvkContext", "GemmRunner", "get_sm_version", "has_nvfp4", "has_cutlass_sm100", "has_cutlass_fmha"}
# Entries with three sizes (M, N, K) or a context argument, which the (S, D) case table does not
# describe; tests/gemm/test_gemm_errors.py and tests/gemm/test_gemm.py test them.
DEDICATED_TESTS = {"gmm_fp16", "fp8_gemm_descale_fp16", "fp8_gemm_descale_bf16out", "fp8_gemm_descale_f32out",
                   "fp8_gemm_descale_register_static_weight", "fp8_gemm_descale_unregister_static_weight",
                   "cutlass_fp8_archs", "cutlass_fp8_sm90_backend", "cutlass_fp8_sq", "cutlass_fp8_t1", "cutlass_fp8_wide", "cutlass_fp8_plain",
                   "cutlass_fp8_gelu", "cutlass_fp8_sq_f32out", "cutlass_fp8_wide_f32out", "cutlass_fp8_sq_bf16out",
                   "cutlass_fp8_wide_bf16out", "cutlass_fp8_t1_bf16out"}


def test_every_entry_is_in_the_case_table(fvk):
    """Every function the module exposes is described in the case table (so it is tested and
    benchmarked), except the classes, the probes and the GEMM entries with dedicated tests."""
    entries = {n for n in dir(fvk) if not n.startswith("_")} - NOT_CASES - DEDICATED_TESTS
    assert entries == set(ALL_CASES)

"""Argument validation of every quantize entry (SPEC 2.4.1), without a GPU (STYLE 5, step 5),
plus self-checks of the reference.

Same rules as tests/test_errors.py: messages "<entry>: '<arg>' expected <what>, got <actual>";
TypeError for a wrong dtype or a non-tensor, ValueError for size/device/stride/alignment/null
and for n. Per tensor the order is dtype, element count, density, alignment, device, so CPU
tensors reach every check up to "expected a CUDA tensor". The other arguments are valid int
addresses: fake aligned numbers without a GPU, real device buffers with one.

The quantize entries see `n` flat elements: any tensor shape with n elements is accepted.
n >= 1 for the dynamic entries (the amax of nothing is undefined), n >= 0 for the static ones
and the cast (0 is a no-op).
"""

from __future__ import annotations

import math
import re

import pytest

torch = pytest.importorskip("torch")

from flash_rt.testing.cases import quantize as QC  # noqa: E402
from flash_rt.testing.ref import quantize as R  # noqa: E402

CASES = list(QC.CASES.values())
S, D = 4, 16
N = S * D
OMIT = object()
DYNAMIC = {"quantize_fp8", "quantize_fp8_device", "quantize_fp8_device_fp16"}

WRONG_DTYPE = {
    torch.bfloat16: torch.float16,
    torch.float16: torch.bfloat16,
    torch.float32: torch.float16,
    torch.float8_e4m3fn: torch.float16,
}
DTYPE_NAME = {torch.bfloat16: "bfloat16", torch.float16: "float16", torch.float32: "float32",
              torch.float8_e4m3fn: "float8_e4m3fn"}

ARG_PARAMS = [pytest.param(c, a, id=f"{c.name}-{a.name}") for c in CASES for a in c.tensor_args]
CASE_PARAMS = [pytest.param(c, id=c.name) for c in CASES]


@pytest.fixture(scope="module")
def addresses(case_addresses):
    """addresses(case) -> {tensor arg: valid int address} (conftest.case_addresses at S, D)."""
    return lambda case: case_addresses(case, S, D)


def call(fvk, case, addrs, **override):
    """Call `case` positionally: tensors from `addrs`, n = S * D; `override` replaces any
    argument by name (OMIT drops it)."""
    args = []
    for a in case.args:
        if a.name in override:
            v = override[a.name]
            if v is not OMIT:
                args.append(v)
        elif a.is_tensor:
            args.append(addrs[a.name])
        else:
            args.append(a.value_fn(S, D))
    return getattr(fvk, case.name)(*args)


def expect(case, arg: str, what: str) -> str:
    return rf"^{re.escape(case.name)}: '{re.escape(arg)}' expected {what}"


def cpu_tensor(arg, dtype=None, shape=None):
    return torch.zeros(shape or arg.shape(S, D), dtype=dtype or arg.dtype)


# ---- tensors on the wrong device / of the wrong kind ----------------------------------------

@pytest.mark.parametrize("case, arg", ARG_PARAMS)
def test_cpu_tensor(fvk, addresses, case, arg):
    with pytest.raises(ValueError, match=expect(case, arg.name, "a CUDA tensor, got a tensor on cpu")):
        call(fvk, case, addresses(case), **{arg.name: cpu_tensor(arg)})


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_dlpack_capsule_is_accepted(fvk, addresses, case):
    from torch.utils.dlpack import to_dlpack

    for arg in case.tensor_args:
        with pytest.raises(ValueError, match=expect(case, arg.name, "a CUDA tensor, got a tensor on cpu")):
            call(fvk, case, addresses(case), **{arg.name: to_dlpack(cpu_tensor(arg))})
        wrong = cpu_tensor(arg, dtype=WRONG_DTYPE[arg.dtype])
        with pytest.raises(TypeError, match=expect(case, arg.name, "dtype")):
            call(fvk, case, addresses(case), **{arg.name: to_dlpack(wrong)})


@pytest.mark.parametrize("case, arg", ARG_PARAMS)
def test_wrong_dtype_before_device(fvk, addresses, case, arg):
    wrong = WRONG_DTYPE[arg.dtype]
    msg = expect(case, arg.name, rf"dtype .*{DTYPE_NAME[arg.dtype]}.*, got {DTYPE_NAME[wrong]}$")
    with pytest.raises(TypeError, match=msg):
        call(fvk, case, addresses(case), **{arg.name: cpu_tensor(arg, dtype=wrong)})


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_fp8_output_accepts_byte_storage(fvk, addresses, case):
    for dt in (torch.float8_e4m3fn, torch.uint8, torch.int8):
        with pytest.raises(ValueError, match=expect(case, "output", "a CUDA tensor")):
            call(fvk, case, addresses(case), output=cpu_tensor(case.arg("output"), dtype=dt))


@pytest.mark.parametrize("case, arg", ARG_PARAMS)
def test_any_shape_with_n_elements(fvk, addresses, case, arg):
    """Flat semantics: [n], [S, D], [2S, D/2], [D, S] (contiguous) all pass the size check."""
    if arg.kind == "scale":
        shapes = [(1,), (1, 1)]
    else:
        shapes = [(N,), (S, D), (2 * S, D // 2), (D, S), (2, 2, N // 4)]
    for shape in shapes:
        with pytest.raises(ValueError, match=expect(case, arg.name, "a CUDA tensor")):
            call(fvk, case, addresses(case), **{arg.name: cpu_tensor(arg, shape=shape)})


@pytest.mark.parametrize("case, arg", ARG_PARAMS)
def test_wrong_size(fvk, addresses, case, arg):
    numel = math.prod(arg.shape(S, D))
    for bad in ((numel + 1,), (S + 1, D), (numel - 1,)):
        if math.prod(bad) == 0:
            continue
        msg = expect(case, arg.name, rf"{numel} elements, got shape \[{', '.join(map(str, bad))}\]")
        with pytest.raises(ValueError, match=msg):
            call(fvk, case, addresses(case), **{arg.name: cpu_tensor(arg, shape=bad)})


@pytest.mark.parametrize("case, arg", [p for p in ARG_PARAMS if p.values[1].kind != "scale"])
def test_non_contiguous(fvk, addresses, case, arg):
    for strided in (torch.zeros(D, S, dtype=arg.dtype).t(), torch.zeros(2 * N, dtype=arg.dtype)[::2]):
        assert strided.numel() == N and not strided.is_contiguous()
        with pytest.raises(ValueError, match=expect(case, arg.name, "a contiguous")):
            call(fvk, case, addresses(case), **{arg.name: strided})


# ---- raw addresses -------------------------------------------------------------------------

@pytest.mark.parametrize("case, arg", ARG_PARAMS)
def test_null_address(fvk, addresses, case, arg):
    with pytest.raises(ValueError, match=expect(case, arg.name, "a non-null device address, got 0$")):
        call(fvk, case, addresses(case), **{arg.name: 0})


@pytest.mark.parametrize("case, arg", [p for p in ARG_PARAMS if p.values[1].dtype.itemsize > 1])
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
                     ([0], "an object of type list"), (-16, "an int that is not a valid address"),
                     (None, r"None \(this argument is required\)")):
        with pytest.raises(TypeError, match=expect(case, arg.name, rf"an int device address or a DLPack tensor.*"
                                                   rf"got {got}")):
            call(fvk, case, addrs, **{arg.name: bad})


@pytest.mark.parametrize("case", [c for c in CASE_PARAMS if any(a.name == "d_scale" for a in c.values[0].args)])
def test_d_scale_is_required(fvk, addresses, case):
    """d_scale has no default (SPEC 2.4.1): leaving it out is a TypeError."""
    addrs = addresses(case)
    with pytest.raises(TypeError):
        getattr(fvk, case.name)(addrs["input"], addrs["output"], n=N)


# ---- n -------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASE_PARAMS)
def test_bad_n(fvk, addresses, case):
    bads = (0, -1, -(2**31)) if case.name in DYNAMIC else (-1, -(2**31))
    what = "a positive size" if case.name in DYNAMIC else ">= 0"
    for bad in bads:
        with pytest.raises(ValueError, match=expect(case, "n", rf"{what}, got {bad}$")):
            call(fvk, case, addresses(case), n=bad)
    with pytest.raises(TypeError):  # not an int at all: nanobind's own overload error
        call(fvk, case, addresses(case), n=2**31)


@pytest.mark.parametrize("case", [c for c in CASE_PARAMS if c.values[0].name not in DYNAMIC])
def test_n_zero_is_a_no_op_for_static_entries(fvk, addresses, case):
    """n = 0 validates the arguments and returns before touching the device (no GPU needed)."""
    assert call(fvk, case, addresses(case), n=0) is None
    with pytest.raises(ValueError, match=expect(case, "input", "a non-null device address")):
        call(fvk, case, addresses(case), n=0, input=0)


# ---- names, return type, the device -------------------------------------------------------

@pytest.mark.parametrize("case", CASE_PARAMS)
def test_keyword_names(fvk, addresses, case):
    """Every argument can be passed by its catalog name (SPEC 2.4.1)."""
    addrs = addresses(case)
    kwargs = {a.name: addrs[a.name] if a.is_tensor else N for a in case.args}
    kwargs["input"] = cpu_tensor(case.arg("input"))
    with pytest.raises(ValueError, match=expect(case, "input", "a CUDA tensor")):
        getattr(fvk, case.name)(**kwargs, stream=0)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_no_device_is_runtime_error(fvk, addresses, case, has_gpu):
    """Valid arguments on a machine without a GPU: RuntimeError naming the entry, no crash."""
    if has_gpu:
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match=rf"^{case.name}: no usable CUDA device"):
        call(fvk, case, addresses(case))


def test_signatures(fvk):
    """Argument names and order as SPEC 2.4.1; quantize_fp8 alone returns a float."""
    for case in CASES:
        doc = getattr(fvk, case.name).__doc__.splitlines()[0]
        names = re.findall(r"(\w+):", doc.split("(", 1)[1])
        assert names == [a.name for a in case.args] + ["stream"], doc
        assert doc.endswith("-> float" if case.name == "quantize_fp8" else "-> None"), doc


def test_every_quantize_entry_is_in_the_case_table(fvk):
    fp8_like = {n for n in dir(fvk) if n.startswith("quantize_fp8") or n == "cast_fp16_fp8"}
    assert fp8_like == set(QC.CASES)
    assert all(c.group == "quantize" for c in CASES)


# ---- the reference itself ------------------------------------------------------------------

def test_reference_scale():
    """floor(amax / 448) in float32, amax over every element (odd tail included), NaN kept."""
    x = torch.tensor([0.5, 3.0, -1000.0], dtype=torch.bfloat16)
    assert float(R.amax_scale(x)) == float(torch.tensor(1000.0, dtype=torch.float32) / 448.0)
    assert float(R.amax_scale(torch.zeros(3, dtype=torch.float16))) == float(torch.tensor(1e-12))
    assert math.isnan(float(R.amax_scale(torch.tensor([1.0, float("nan")], dtype=torch.float16))))
    assert float(R.amax_scale(torch.tensor([1.0, -float("inf")], dtype=torch.float16))) == math.inf


def test_reference_reciprocal_is_correctly_rounded():
    """float64 then one rounding equals the correctly rounded float32 reciprocal: check against
    exact rational arithmetic on a spread of scales."""
    from fractions import Fraction

    import numpy as np

    gen = torch.Generator().manual_seed(0)
    scales = torch.cat([(torch.rand(2000, generator=gen) + 0.5) * 10.0 ** torch.randint(-12, 12, (2000,), generator=gen),
                        torch.tensor([1e-12, 448.0, 1.0 / 3.0, 7.0])]).to(torch.float32)
    got = R.reciprocal(scales)
    for s, r in zip(scales.tolist(), got.tolist(), strict=True):
        exact = 1 / Fraction(s)
        below = float(np.nextafter(np.float32(r), np.float32(0)))
        above = float(np.nextafter(np.float32(r), np.float32(np.inf)))
        err = abs(Fraction(r) - exact)
        assert err <= abs(Fraction(below) - exact) and err <= abs(Fraction(above) - exact), s


def test_reference_static_formula():
    x = torch.tensor([1.0, 0.0, -1.0, float("nan"), 2.0, -448.0, 1e6], dtype=torch.bfloat16)
    codes = R.quantize_fp8_static(x, torch.tensor([0.0])).view(torch.uint8).tolist()
    assert codes == [0x7E, 0xFE, 0xFE, 0xFE, 0x7E, 0xFE, 0x7E]  # r = inf: +-448, 0 * inf -> NaN -> -448
    codes = R.quantize_fp8_static_fp16(x.to(torch.float16), torch.tensor([float("nan")])).view(torch.uint8)
    assert bool((codes == 0xFE).all())  # the floor keeps a NaN scale
    codes = R.quantize_fp8_static_fp16(x.to(torch.float16), torch.tensor([0.0])).view(torch.uint8).tolist()
    assert codes == [0x7E, 0x00, 0xFE, 0xFE, 0x7E, 0xFE, 0x7E]  # floored to 1e-12


# ---- overlapping buffers -----------------------------------------------------------------------

@pytest.mark.parametrize("case", CASE_PARAMS)
def test_output_overlapping_input_is_refused(fvk, addresses, case):
    """The kernels read input while other threads write output: an overlap (the same address, or
    output starting inside input's 2 n bytes) is a ValueError before anything runs."""
    addrs = addresses(case)
    for out in (addrs["input"], addrs["input"] + N, addrs["input"] + 2 * N - 1):
        with pytest.raises(ValueError, match=expect(case, "output", "memory that does not overlap 'input'")):
            call(fvk, case, addrs, output=out)


@pytest.mark.parametrize("case", [p for p in CASE_PARAMS if any(a.name == "d_scale" for a in p.values[0].tensor_args)])
def test_scale_overlapping_the_data_is_refused(fvk, addresses, case):
    """d_scale is read by every thread (static) or written as the result (dynamic) while output
    is written: inside output is refused, and for the dynamic entries inside input too."""
    addrs = addresses(case)
    with pytest.raises(ValueError, match=expect(case, "d_scale", "memory that does not overlap 'output'")):
        call(fvk, case, addrs, d_scale=addrs["output"] + 4)
    if case.name in DYNAMIC:
        with pytest.raises(ValueError, match=expect(case, "d_scale", "memory that does not overlap 'input'")):
            call(fvk, case, addrs, d_scale=addrs["input"] + 8)

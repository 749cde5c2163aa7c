"""Scalar validation of every rope, utility and patch entry (SPEC 2.6-2.8), without a GPU.

tests/test_errors.py checks every tensor argument of every case (dtype, size, density, device,
null, alignment, non-tensors) and the S/D sizes; this file adds what it does not reach for these
groups: the sizes and offsets passed as derived integers (q_dim, head_dim, n, nbytes, repeat,
kc_offset, src_stride, ...) and the named message for a None tensor. Group-specific rules are in
tests/{rope,utility,patch}/test_*_errors.py. Other arguments are valid int addresses (fake
aligned numbers without a GPU, real buffers with one), and every call here is rejected before a
launch.
"""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")

from flash_rt.testing.cases import ALL_CASES  # noqa: E402

GROUPS = ("rope", "utility", "patch")
CASES = [c for c in ALL_CASES.values() if c.group in GROUPS]
S, D = 4, 16

# Integer arguments that are sizes (must be positive) and offsets/strides (must be >= 0).
SIZES = {"seq", "q_dim", "k_dim", "v_dim", "head_dim", "S", "Q_dim", "K_dim", "HD", "qkv_stride", "num_heads",
         "NH", "n", "D", "nbytes", "rows", "dst_cols", "NH_src", "repeat", "T", "action_dim", "nv", "S_per_view",
         "seq_len"}
OFFSETS = {"kc_offset", "kc_stride", "src_stride", "col_offset", "vel_elem_offset"}

ARG_PARAMS = [pytest.param(c, a, id=f"{c.name}-{a.name}") for c in CASES for a in c.tensor_args]
CASE_PARAMS = [pytest.param(c, id=c.name) for c in CASES]


def scalar_value(a):
    return {"S": S, "D": D}[a.kind] if a.kind in ("S", "D") else a.value_fn(S, D)


@pytest.fixture(scope="module")
def addresses(case_addresses):
    """addresses(case) -> {tensor arg: valid int address} (conftest.case_addresses at S, D)."""
    return lambda case: case_addresses(case, S, D)


def call(fvk, case, addrs, **override):
    args = []
    for a in case.args:
        if a.name in override:
            args.append(override[a.name])
        elif a.is_tensor:
            args.append(addrs[a.name])
        else:
            args.append(scalar_value(a))
    getattr(fvk, case.name)(*args)


def expect(case, arg: str, what: str) -> str:
    return rf"^{re.escape(case.name)}: '{re.escape(arg)}' expected {what}"


def test_group_sizes():
    assert {g: sum(c.group == g for c in CASES) for g in GROUPS} == {"rope": 8, "utility": 9, "patch": 2}


def test_every_scalar_is_classified():
    for case in CASES:
        for a in case.args:
            if not a.is_tensor:
                assert a.name in SIZES | OFFSETS | {"dt"}, (case.name, a.name)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_non_positive_sizes(fvk, addresses, case):
    sizes = [a for a in case.args if not a.is_tensor and a.name in SIZES]
    assert sizes, "every entry has at least one size"
    for a in sizes:
        for bad in (0, -1, -(2**31)):
            with pytest.raises(ValueError, match=expect(case, a.name, rf"a positive size, got {bad}$")):
                call(fvk, case, addresses(case), **{a.name: bad})


@pytest.mark.parametrize("case", [c for c in CASE_PARAMS if any(a.name in OFFSETS for a in c.values[0].args)])
def test_negative_offsets(fvk, addresses, case):
    for a in (a for a in case.args if a.name in OFFSETS):
        with pytest.raises(ValueError, match=expect(case, a.name, r">= 0, got -1$")):
            call(fvk, case, addresses(case), **{a.name: -1})


@pytest.mark.parametrize("case, arg", ARG_PARAMS)
def test_none_is_named(fvk, addresses, case, arg):
    """A None tensor reaches the caster and is reported with the entry and argument."""
    with pytest.raises(TypeError, match=expect(case, arg.name, r".*got None \(this argument is required\)$")):
        call(fvk, case, addresses(case), **{arg.name: None})

"""Test selection and shared fixtures.

* `@pytest.mark.gpu` tests run only where torch sees a CUDA device; elsewhere they are skipped
  with the reason (torch missing, or no CUDA device). `pytest -m gpu` selects them,
  `pytest -m "not gpu"` the CPU tests (loader, manifest, argument validation).
* Tests that need a sub-extension skip on the build manifest (`flash_rt.build_info()`), never
  on a failed import: a module that was built but fails to load is a failure, not a skip.
  Mark them `@pytest.mark.needs_module("flash_rt_fp4")`; the `fvk` fixture does the same for
  `flash_rt_kernels`.
"""

from __future__ import annotations

import functools
import importlib.util

import pytest

import flash_rt
from flash_rt import _loader


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_module(name): skip unless this build has flash_rt.<name>")


@functools.lru_cache(maxsize=1)
def _no_gpu_reason() -> str | None:
    if importlib.util.find_spec("torch") is None:
        return "GPU tests need torch, which is not installed"
    import torch

    if not torch.cuda.is_available():
        return f"no CUDA device visible to torch {torch.__version__}"
    return None


def _module_skip_reason(name: str) -> str | None:
    info = flash_rt.build_info()
    if name not in info["modules"]:
        return (f"flash_rt.{name} is not in this build (variant {info['variant']}, "
                f"modules: {', '.join(info['modules']) or 'none'})")
    # Built, but not for this GPU: judged from the manifest's arch list, like the loader does.
    return _loader.coverage_error(name, info)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("gpu") is not None:
            reason = _no_gpu_reason()
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))
                continue
        for mark in item.iter_markers("needs_module"):
            reason = _module_skip_reason(mark.args[0])
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def fvk():
    """flash_rt.flash_rt_kernels, or a skip when this build lacks it (or lacks this GPU's arch)."""
    reason = _module_skip_reason("flash_rt_kernels")
    if reason:
        pytest.skip(reason)
    return flash_rt.flash_rt_kernels


@pytest.fixture(scope="session")
def device():
    """The CUDA device the GPU tests run on (the current device)."""
    import torch

    if not torch.cuda.is_available():
        pytest.skip(_no_gpu_reason() or "no CUDA device")
    return torch.device("cuda", torch.cuda.current_device())


@pytest.fixture(scope="session")
def has_gpu() -> bool:
    """True when torch sees a CUDA device (CPU tests use real device memory then)."""
    return _no_gpu_reason() is None


@pytest.fixture(scope="module")
def case_addresses(has_gpu):
    """case_addresses(case, S, D) -> {tensor argument: a valid integer address} for the
    integer-address calls of the error tests: real device buffers of the case's inputs where
    there is a GPU (kept alive for the module), else fake addresses 16 MiB apart and 256-byte
    aligned, which pass every dtype's alignment check (the entries reject bad calls before
    touching memory)."""
    keep = []

    def make(case, S, D):
        if has_gpu:
            t = case.make(S, D, device="cuda", seed=0)
            keep.append(t)
            return {n: v.data_ptr() for n, v in t.items()}
        return {a.name: 0x7F00_0000_0000 + (i + 1) * 0x100_0000 for i, a in enumerate(case.tensor_args)}

    yield make
    keep.clear()

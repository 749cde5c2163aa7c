"""`flash_rt.core.context.FvkContext`: the Python-side context that model code passes around
(SPEC 2.9): the extension's `FvkContext` (one cuBLAS handle) as `.cpp`, and one `GemmRunner`
(cuBLASLt plans and workspace) as `.gemm`.

Entries that take a context (`gmm_fp16`, the cuBLAS attention entries) are handed `ctx.cpp`;
code written against FlashRT's wrapper that passes `ctx` itself keeps working through `cpp_of`.
The runner is created on first use of `.gemm`, so a context that never runs a GEMM costs no
32 MiB workspace. Like its two members, a context is not thread-safe: one per thread, or
serialised calls (see src/cpp/ops/gemm/gemm.h for the capture and warm-up rules).
"""

from __future__ import annotations

from typing import Any


class FvkContext:
    """cuBLAS handle (`.cpp`) + lazily created `GemmRunner` (`.gemm`) on the current CUDA device.

    Raises RuntimeError (from the extension) when there is no usable CUDA device, and the
    loader's error when `flash_rt_kernels` does not cover this GPU."""

    def __init__(self) -> None:
        import flash_rt

        self._fvk = flash_rt.flash_rt_kernels
        self.cpp = self._fvk.FvkContext()
        self._gemm = None

    @property
    def gemm(self) -> Any:
        """The context's `GemmRunner`, created on first access."""
        if self._gemm is None:
            self._gemm = self._fvk.GemmRunner()
        return self._gemm

    @property
    def handle_ptr(self) -> int:
        """The cuBLAS handle as an int (the extension object's `handle_ptr`)."""
        return self.cpp.handle_ptr

    def __repr__(self) -> str:
        gemm = "created" if self._gemm is not None else "not yet created"
        return f"FvkContext(handle_ptr={self.cpp.handle_ptr:#x}, gemm {gemm})"


def cpp_of(ctx: Any) -> Any:
    """The extension `FvkContext` behind `ctx`: the wrapper's `.cpp`, or `ctx` itself when it is
    already the extension object (SPEC 7.4 accepts either)."""
    inner = getattr(ctx, "cpp", None)
    return inner if inner is not None else ctx

"""flash_rt.core.context (SPEC 2.9's Python wrapper): `.cpp`, lazy `.gemm`, `cpp_of`."""

from __future__ import annotations

import pytest

from flash_rt.core import context


def test_cpp_of_accepts_both_kinds():
    class Raw:  # stands in for the extension object: no `.cpp`
        pass

    raw = Raw()
    assert context.cpp_of(raw) is raw

    class Wrapper:
        cpp = raw

    assert context.cpp_of(Wrapper()) is raw


def test_without_a_device_the_extension_error_comes_through(fvk, has_gpu):
    if has_gpu:
        pytest.skip("a GPU is visible: construction succeeds (tested below)")
    with pytest.raises(RuntimeError, match="^FvkContext: "):
        context.FvkContext()


@pytest.mark.gpu
def test_wrapper_on_the_gpu(fvk):
    torch = pytest.importorskip("torch")
    ctx = context.FvkContext()
    assert ctx.handle_ptr == ctx.cpp.handle_ptr != 0
    assert "not yet created" in repr(ctx)
    runner = ctx.gemm
    assert ctx.gemm is runner and "created" in repr(ctx)
    M, N, K = 4, 16, 8
    a = torch.randn(M, K, dtype=torch.float16, device="cuda")
    b = torch.randn(K, N, dtype=torch.float16, device="cuda")
    c = torch.empty(M, N, dtype=torch.float16, device="cuda")
    fvk.gmm_fp16(context.cpp_of(ctx), a, b, c, M, N, K)
    torch.cuda.synchronize()
    assert torch.allclose(c.float(), a.float() @ b.float(), rtol=2e-3, atol=2e-3)

"""GEMM group references (SPEC 2.5): float64 products of the (dequantised) inputs.

Every GEMM entry accumulates in fp32 and rounds once to D's dtype, so tests compare the entry
against these float64 results with a rel-L2 tolerance (the accumulation order is cuBLAS's).
FP8 scales are amax/448 and are multiplied in (SPEC 1.2): D = sa * sb * A . B.
"""

from __future__ import annotations

import math

import torch


def _f64(t: torch.Tensor, scale: torch.Tensor | float = 1.0) -> torch.Tensor:
    s = scale.double().reshape(()) if isinstance(scale, torch.Tensor) else scale
    return t.double() * s


def gemm_nn(A: torch.Tensor, B: torch.Tensor, scale_a: torch.Tensor | float = 1.0,
            scale_b: torch.Tensor | float = 1.0) -> torch.Tensor:
    """D[M,N] = (sa A)[M,K] . (sb B)[K,N] in float64."""
    return _f64(A, scale_a) @ _f64(B, scale_b)


def gemm_nt(A: torch.Tensor, B: torch.Tensor, scale_a: torch.Tensor | float = 1.0,
            scale_b: torch.Tensor | float = 1.0) -> torch.Tensor:
    """D[M,N] = (sa A)[M,K] . (sb B)[N,K]^T in float64."""
    return _f64(A, scale_a) @ _f64(B, scale_b).T


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    """0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), the GELU cuBLASLt's GELU_BIAS is taken to be."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def bias_epilogue(acc: torch.Tensor, bias: torch.Tensor, *, gelu: bool = False,
                  residual: torch.Tensor | None = None) -> torch.Tensor:
    """acc + bias[N] (broadcast over rows), then GELU or + residual, in float64."""
    y = acc + bias.double()
    if gelu:
        y = gelu_tanh(y)
    if residual is not None:
        y = y + residual.double()
    return y


def gelu_erf(x: torch.Tensor) -> torch.Tensor:
    """0.5 x (1 + erf(x / sqrt(2))): the exact GELU of cutlass_fp8_gelu."""
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def cutlass_fp8(A: torch.Tensor, B: torch.Tensor, alpha: float, beta: float = 0.0,
                C: torch.Tensor | None = None, *, gelu: bool = False) -> torch.Tensor:
    """cutlass_fp8_* (SPEC 2.5.4): act(alpha * A[M,K] . B[N,K]^T + beta * C) in float64, with A and
    B the E4M3 codes (as float) and act the erf GELU for cutlass_fp8_gelu, else the identity."""
    y = alpha * (A.double() @ B.double().T)
    if beta != 0.0:
        y = y + beta * C.double()
    return gelu_erf(y) if gelu else y

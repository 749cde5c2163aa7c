"""jnp references for flash_rt.jax (SPEC 6), evaluated on XLA's CPU backend (IEEE float32, no
flush-to-zero, no fast math), so they do not depend on the GPU they check.

  quantize_fp8_static(x, scale): the E4M3 codes (uint8) of E4M3(CLAMP448(x * r)), r = 1/scale
      correctly rounded in float32 (what __frcp_rn gives; formed in float64 and rounded once,
      exact as ref/quantize.py explains), the product one float32 multiply, CLAMP448 with
      fmaxf/fminf semantics (NaN -> -448), the cast round-to-nearest-even. Equal bytes expected.
  fp8_gemm_bf16_out(x_codes, w_codes, act_scale, w_scale): act_scale * w_scale * (x @ w) of the
      dequantised E4M3 codes, float32 with HIGHEST precision; the entry (fp32 accumulation, one
      bf16 rounding) is compared by relative L2 error.
Inputs are numpy arrays or jax arrays (copied to the host); outputs are numpy arrays.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

E4M3_MAX = 448.0


def _cpu():
    return jax.devices("cpu")[0]


def _host(a) -> np.ndarray:
    return np.asarray(jax.device_get(a))


def reciprocal(scale) -> np.float32:
    """The correctly rounded float32 reciprocal of a float32 scale of one element."""
    s = np.float64(np.asarray(_host(scale), np.float32).reshape(()))
    return np.float32(1.0 / s)


@jax.jit
def _encode(x32, r):
    y = x32 * r
    y = jnp.fmin(jnp.fmax(y, -E4M3_MAX), E4M3_MAX)  # fmax drops a NaN: NaN -> -448, as fmaxf does
    return jax.lax.bitcast_convert_type(y.astype(jnp.float8_e4m3fn), jnp.uint8)


def quantize_fp8_static(x, scale) -> np.ndarray:
    """uint8 E4M3 codes of x's shape."""
    x32 = _host(x).astype(np.float32)  # bf16 -> float32 is exact
    with jax.default_device(_cpu()):
        return _host(_encode(jnp.asarray(x32), jnp.float32(reciprocal(scale))))


def e4m3_values(codes) -> np.ndarray:
    """float32 values of E4M3 codes (uint8 / int8 / float8_e4m3fn arrays)."""
    c = _host(codes)
    if c.dtype != np.uint8:
        c = c.view(np.uint8)
    with jax.default_device(_cpu()):
        v = jax.lax.bitcast_convert_type(jnp.asarray(c), jnp.float8_e4m3fn).astype(jnp.float32)
        return _host(v)


def fp8_gemm_bf16_out(x_codes, w_codes, act_scale, w_scale) -> np.ndarray:
    """float32 [..., N] = act_scale * w_scale * (x @ w), x [..., K] and w [K, N] as E4M3 codes."""
    x = e4m3_values(x_codes)
    w = e4m3_values(w_codes)
    s = np.float32(np.asarray(_host(act_scale), np.float32).reshape(())) * np.float32(
        np.asarray(_host(w_scale), np.float32).reshape(()))
    with jax.default_device(_cpu()):
        y = jnp.matmul(jnp.asarray(x), jnp.asarray(w), precision=jax.lax.Precision.HIGHEST) * s
        return _host(y)


def rel_l2(out, ref) -> float:
    """||out - ref|| / ||ref|| in float64 (0 when both are zero)."""
    o = _host(out).astype(np.float64)
    r = _host(ref).astype(np.float64)
    den = np.linalg.norm(r)
    return float(np.linalg.norm(o - r) / den) if den > 0 else float(np.linalg.norm(o))

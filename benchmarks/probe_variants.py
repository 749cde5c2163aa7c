"""Loading a probe's kernel-variant library (benchmarks/probe_*_variants.cu, probe_im2col_views.cu).

Each library exports `const char* probe_variant_name(int v)` (null past the last variant) and
`int probe_launch(int v, ...)`; the scripts time the variants with the benchmark's own timer.
"""

from __future__ import annotations

import ctypes


def load(path: str, launch_argtypes: list) -> tuple[ctypes.CDLL, dict[int, str]]:
    """The library, with probe_launch's argument types set, and its variants' names by number."""
    lib = ctypes.CDLL(path)
    lib.probe_variant_name.restype = ctypes.c_char_p
    lib.probe_launch.argtypes = launch_argtypes
    names = {}
    for v in range(64):
        n = lib.probe_variant_name(v)
        if n is None:
            break
        names[v] = n.decode()
    return lib, names

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


def time_row(case, S: int, D: int, fvk, names: dict[int, str], launch, *, repeats: int, captures: int = 1,
             sets: int = 1, compile_last: bool = False) -> list:
    """[compile, entry, variant 0, 1, ...] us per call on the benchmark's inputs (Case.make, warm L2;
    sets > 1: that many input sets rotated, as the benchmark's cold rows, bench.input_sets).

    launch(v, t, stream) launches variant v on the case's tensors t and returns its status (0: ok).
    Each variant's output is first compared byte for byte with the entry's (nan where it differs
    or does not launch); each column is timed in `captures` separate CUDA graphs (time_graph,
    median of `repeats` replays each), so a column is a list of `captures` times.

    compile_last: torch.compile is compiled, run and timed after every variant (its column stays
    first). Its kernels can leave state behind that favours the next timings: inductor loads a
    broadcast input with eviction_policy='evict_last', so after its timing the KV head of
    gpu_repeat_interleave_heads stayed in the L2 across the cold rotation (session 19, H100: the
    entry 25.6 us timed after compile, 27.8 before it, in every order tried)."""
    import torch

    from flash_rt.testing.bench import input_sets, providers, time_graph

    all_sets = input_sets(case, S, D, sets)
    t = all_sets[0]
    out = t[case.outputs[0].name]  # in-place entries: the updated input
    stream = lambda: torch.cuda.current_stream().cuda_stream  # noqa: E731
    saved = {k: v.clone() for k, v in t.items()}

    def restore() -> None:
        for k, v in saved.items():
            t[k].copy_(v)

    def tm(step) -> list[float]:
        return [time_graph(step, sets, repeats=repeats)["median_us"] for _ in range(captures)]

    compiled = providers(case, S, D, fvk, ("compile",))["compile"]()
    cols = [None if compile_last else tm(lambda i: compiled(all_sets[i])),
            tm(lambda i: case.call(fvk, all_sets[i], S, D, stream=stream()))]
    restore()
    case.call(fvk, t, S, D, stream=stream())
    want = out.clone()
    in_place = case.outputs[0].inplace
    for v in names:
        restore()
        if not in_place:
            out.view(torch.uint8).fill_(0x7F)
        rc = launch(v, t, stream())
        torch.cuda.synchronize()
        if rc != 0 or not torch.equal(out.view(torch.uint8), want.view(torch.uint8)):
            cols.append([float("nan")])
            continue
        cols.append(tm(lambda i, v=v: launch(v, all_sets[i], stream())))
    if compile_last:
        restore()
        cols[0] = tm(lambda i: compiled(all_sets[i]))
    return cols


def format_cols(cols: list, every: bool = False) -> str:
    """One number per column (one capture), min-max (several), or every capture's (every)."""
    def one(ts: list[float]) -> str:
        if every and len(ts) > 1:
            return "/".join(f"{x:.2f}" for x in ts)
        return f"{ts[0]:6.2f}" if len(ts) == 1 else f"{min(ts):5.2f}-{max(ts):<5.2f}"
    return " ".join(one(ts) for ts in cols)

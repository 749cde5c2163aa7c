"""`python -m flash_rt check`: every entry against its reference on this GPU, a few shapes each.

A quick self-check for users (seconds), not the test suite: `pytest -m gpu` is the thorough one.
Exit code 0 when every entry matches, 1 otherwise, 0 with a message when there is no GPU.
"""

from __future__ import annotations

import argparse

# Row groups (norms): real widths and awkward ones. Other groups give S and D their own meaning
# (FFN width, head dim, flat length): their first two benchmark shapes, valid by construction.
NORM_SHAPES = ((1, 2048), (7, 83), (64, 769), (33, 4096), (3, 5125))
DEFAULT_SHAPES = ((1, 2048), (16, 2048))


def shapes_for(case) -> tuple[tuple[int, int], ...]:
    if case.group in ("norm", "fused_norm"):
        return NORM_SHAPES
    return tuple((case.bench_shapes or DEFAULT_SHAPES)[:2])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m flash_rt check")
    parser.add_argument("--entries", default="", help="comma-separated entry names (default: all)")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("flash_rt check needs torch (pip install torch).")
        return 1
    if not torch.cuda.is_available():
        print("flash_rt check: no CUDA GPU visible; nothing to check here. (`python -m flash_rt` tells more.)")
        return 0
    import flash_rt
    from flash_rt.testing.cases import ALL_CASES
    from flash_rt.testing.numerics import assert_close

    fvk = flash_rt.flash_rt_kernels
    wanted = [e for e in args.entries.split(",") if e] or list(ALL_CASES)
    failures = 0
    print(f"flash_rt check on {torch.cuda.get_device_name()} ({flash_rt.build_info()['version']})")
    for name in wanted:
        case = ALL_CASES[name]
        problems = []
        for S, D in shapes_for(case):
            t = case.make(S, D, device="cuda", seed=S * 7919 + D)
            expected = case.reference({k: v.clone() for k, v in t.items()})
            try:
                case.call(fvk, t, S, D)
                torch.cuda.synchronize()
            except (ValueError, TypeError, RuntimeError, NotImplementedError) as e:
                problems.append(f"[{S}x{D}] {type(e).__name__}: {e}")
                continue
            for arg, ref in zip(case.outputs, expected, strict=True):
                try:  # the test suite's comparison rules (testing/numerics.py)
                    assert_close(t[arg.name], ref, arg.name)
                except AssertionError as e:
                    problems.append(f"[{S}x{D}] {e}")
        failures += bool(problems)
        print(f"  {'ok  ' if not problems else 'FAIL'} {name}" + "".join(f"\n         {p}" for p in problems))
    print(f"{len(wanted) - failures} passed, {failures} failed")
    return 1 if failures else 0

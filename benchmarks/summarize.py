"""Turn `python -m flash_rt bench` JSON files into one markdown table per group.

    python benchmarks/summarize.py bench-results/*.json > results.md
    python benchmarks/summarize.py --misses docs/raw-2026-12-07-session14/*.json

Columns: flash-rt / torch.compile time (us, CUDA-graph replay, median), compile/flash-rt ratio
(> 1: flash-rt faster), the same ratio measured paired (replays interleaved; inference rows since
session 19, "-" where not measured; reported, not judged), flash-rt's fraction of the copy bandwidth measured in the same run, and
the target and verdict of flash_rt.testing.bench.verdict (the rule the harness prints; JSON from
before session 14 lacks the size class and byte counts it uses, and gets the S-based rule).
--misses: only the rows below target (and those without a verdict), one table for all files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict

from flash_rt.testing.bench import verdict

HEAD = ["| entry | S | D | flash-rt us | compile us | compile / flash-rt | paired | frac of copy | target | |",
        "|---|---|---|---|---|---|---|---|---|---|"]


def row_line(r: dict, copy: float) -> tuple[str, str]:
    p = r["providers"]
    fr = p.get("flash-rt", {}).get("median_us")
    co = p.get("compile", {}).get("median_us")
    ratio = f"{co / fr:.2f}" if fr and co else "-"
    paired = f"{r['paired']['ratio']:.2f}" if "ratio" in r.get("paired", {}) else "-"
    frac = f"{r['bytes'] / (fr * 1e-6) / 1e9 / copy:.2f}" if fr else "-"
    target, mark = verdict(r, copy)
    return mark, (f"| {r['entry']} | {r['S']} | {r['D']} | {fr if fr is None else round(fr, 2)} | "
                  f"{co if co is None else round(co, 2)} | {ratio} | {paired} | {frac} | {target} | {mark} |")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--misses", action="store_true", help="only rows below target, all files in one table")
    args = ap.parse_args(argv)
    groups: dict[str, list[str]] = defaultdict(list)
    misses: list[str] = []
    for path in args.paths:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        env, copy = d["env"], d["copy"]["gbps"]
        group = d["args"]["group"]
        name = path.rsplit("/", 1)[-1]
        groups[group] += [f"{env['gpu']}, torch {env['torch']}, copy ceiling {copy:.0f} GB/s, "
                          f"flash-rt {env['flash_rt']['version']} ({name})", "", *HEAD]
        for r in d["rows"]:
            mark, line = row_line(r, copy)
            groups[group].append(line)
            if mark != "PASS":
                misses.append(line[:-1] + f"| {env['gpu']}, {name} |")
        groups[group].append("")
    if args.misses:
        print(HEAD[0] + " run |\n" + HEAD[1] + "---|")
        print("\n".join(misses) if misses else "(none)")
        return 0
    for group, lines in groups.items():
        print(f"## {group}\n")
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

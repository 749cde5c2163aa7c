"""Turn `python -m flash_rt bench` JSON files into one markdown table per group.

    python benchmarks/summarize.py bench-results/*.json > results.md

Columns: flash-rt / torch.compile time (us, CUDA-graph replay, median), compile/flash-rt ratio
(> 1: flash-rt faster), flash-rt's fraction of the copy bandwidth measured in the same run,
and the target verdict the harness printed.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict


def main(paths: list[str]) -> int:
    groups: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        env, copy = d["env"], d["copy"]["gbps"]
        group = d["args"]["group"]
        groups[group].append(f"{env['gpu']}, torch {env['torch']}, copy ceiling {copy:.0f} GB/s, "
                             f"flash-rt {env['flash_rt']['version']} ({path.rsplit('/', 1)[-1]})")
        groups[group].append("")
        groups[group].append("| entry | S | D | flash-rt us | compile us | compile / flash-rt | frac of copy |")
        groups[group].append("|---|---|---|---|---|---|---|")
        for r in d["rows"]:
            p = r["providers"]
            fr = p.get("flash-rt", {}).get("median_us")
            co = p.get("compile", {}).get("median_us")
            ratio = f"{co / fr:.2f}" if fr and co else "-"
            frac = f"{r['bytes'] / (fr * 1e-6) / 1e9 / copy:.2f}" if fr else "-"
            groups[group].append(f"| {r['entry']} | {r['S']} | {r['D']} | {fr if fr is None else round(fr, 2)} | "
                                 f"{co if co is None else round(co, 2)} | {ratio} | {frac} |")
        groups[group].append("")
    for group, lines in groups.items():
        print(f"## {group}\n")
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

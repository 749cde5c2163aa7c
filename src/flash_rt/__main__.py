"""`python -m flash_rt [doctor|check|bench]`.

doctor (default): the manifest, the driver and GPUs, which modules load here, where
    libcublasLt came from, and the install command for this GPU's variant.
check: a quick correctness pass of every entry against its reference on this GPU.
bench: the benchmark suite (flash-rt vs torch eager vs torch.compile), see --help.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv.pop(0) if argv and not argv[0].startswith("-") else "doctor"
    if command == "doctor":
        from ._doctor import main as doctor
        return doctor(argv)
    if command == "check":
        from ._check import main as check
        return check(argv)
    if command == "bench":
        from .testing.bench import main as bench
        return bench(argv)
    parser = argparse.ArgumentParser(prog="python -m flash_rt", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.print_help()
    print(f"\nunknown command {command!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

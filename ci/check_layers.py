#!/usr/bin/env python3
"""Check the include rules of STYLE.md section 1 (the layers of src/cpp).

    python ci/check_layers.py [--root REPO]

Rules (comments are ignored, string literals are not):
  src/cpp/include/flash_rt/**  device code, launch templates: no nanobind, Python, pybind11, torch, XLA
  src/cpp/ops/**               launchers: the same
  src/cpp/ffi/**               JAX FFI handlers: no nanobind, Python, pybind11, torch
  src/cpp/bindings/**          bindings: no kernel headers (`*.cuh`, `flash_rt/<group>/` other than
                               `flash_rt/core/`) and no kernel launches (`<<<`)
  src/cpp/bindings/<module>/*.cpp  binding files are declarations: no `reinterpret_cast`, no `#if`
                               (`bindings/common/` holds the shared tensor caster and is exempt)
  src/cpp/include, src/cpp/ops     kernels launch through device::launch (PDL, device/launch.cuh): no
                               `<<<`, and every `__global__` body starts with `pdl_begin()` (or
                               `pdl_wait()`, with a `pdl_trigger()` later in the file), after at
                               most a prologue without memory access that ends in `ready(...)`
                               or in L2 prefetches (`device::prefetch_l2`, no value read)
                               (the CUTLASS kernels under ops/gemm/cutlass/ are CUTLASS's own launches)

Prints `file:line: message` for each violation and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path

CPP_SUFFIXES = {".h", ".hpp", ".cuh", ".cu", ".cpp", ".cc", ".inc"}

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')
PREPROCESSOR_IF = re.compile(r"^\s*#\s*(if|ifdef|ifndef|elif|elifdef|elifndef)\b")

# What framework code looks like in an include path.
FRAMEWORK = {
    "nanobind": re.compile(r"^nanobind/"),
    "pybind11": re.compile(r"^pybind11/"),
    "Python": re.compile(r"^(Python\.h$|python3?\.\d*/)"),
    "torch": re.compile(r"^(torch/|ATen/|c10/|caffe2/)"),
    "XLA": re.compile(r"^(xla/|jaxlib/)"),
}
# Core layers that must stay framework-neutral, and what each may not include.
NEUTRAL_LAYERS = {
    "src/cpp/include/flash_rt": ("nanobind", "pybind11", "Python", "torch", "XLA"),
    "src/cpp/ops": ("nanobind", "pybind11", "Python", "torch", "XLA"),
    "src/cpp/ffi": ("nanobind", "pybind11", "Python", "torch"),
}
KERNEL_HEADER = re.compile(r"(\.cuh$|^flash_rt/(?!core/)[^/]+/)")


def strip_comments(text: str) -> list[str]:
    """The lines of `text` with // and /* */ comments blanked; line numbers are kept."""
    out = []
    in_block = False
    for line in text.splitlines():
        res = []
        i = 0
        in_str: str | None = None
        while i < len(line):
            c = line[i]
            if in_block:
                if line.startswith("*/", i):
                    in_block = False
                    i += 2
                else:
                    i += 1
                continue
            if in_str:
                res.append(c)
                if c == "\\" and i + 1 < len(line):
                    res.append(line[i + 1])
                    i += 2
                    continue
                if c == in_str:
                    in_str = None
                i += 1
                continue
            if line.startswith("//", i):
                break
            if line.startswith("/*", i):
                in_block = True
                i += 2
                continue
            if c in "\"'" and not (c == "'" and i > 0 and line[i - 1].isalnum()):  # 1'000 digit separators
                in_str = c
            res.append(c)
            i += 1
        out.append("".join(res))
    return out


PDL_STARTS = ("::flash_rt::device::pdl_begin();", "device::pdl_begin();", "pdl_begin();", "dv::pdl_begin();",
              "::flash_rt::device::pdl_wait();", "device::pdl_wait();", "pdl_wait();", "dv::pdl_wait();")
# A prologue may come before the wait when it ends in `ready(...)` (device/launch.cuh): type
# aliases, constants, `__shared__` declarations, and `const` values computed from parameters and
# built-ins (no subscript, dereference or load/store call: no global memory).
_PROLOGUE_LINE = re.compile(r"^(using |namespace |constexpr |__shared__ |(::flash_rt::device::|device::|dv::)?ready\()")
# An L2 prefetch, optionally under an `if`: it reads no value (device/launch.cuh, prefetch_l2).
_PREFETCH_LINE = re.compile(r"^(if \(.*\) )?(::flash_rt::device::|device::|dv::)?prefetch_l2\(.*\);$")
# In the value of a `const` line: a subscript, ->, a unary * (dereference), or a load/store/atomic call.
_MEMORY_ACCESS = re.compile(r"\[|->|(^|[=(,+\-*/&|?:!<>]\s*)\*\s*[A-Za-z_(]|\bload|\bstore|__ld|atomic")


def skip_pdl_prologue(body: str) -> str:
    """The body from the wait on, if it starts with an allowed prologue that ends in ready();
    else the body unchanged."""
    lines = body.split("\n")
    for i, raw in enumerate(lines):
        line = raw.strip()
        if line.startswith(PDL_STARTS):
            ends_ok = i and ("ready(" in lines[i - 1] or "prefetch_l2(" in lines[i - 1])
            return "\n".join(lines[i:]).lstrip() if ends_ok else body
        if not line or _PROLOGUE_LINE.match(line):
            continue
        if _PREFETCH_LINE.match(line) and not _MEMORY_ACCESS.search(line.replace("prefetch_l2(", "(")):
            continue
        if line.startswith("const ") and "=" in line and not _MEMORY_ACCESS.search(line.split("=", 1)[1].strip()):
            continue
        return body
    return body


def cpp_files(root: Path, sub: str) -> Iterator[Path]:
    base = root / sub
    if base.is_dir():
        yield from sorted(p for p in base.rglob("*") if p.suffix in CPP_SUFFIXES and p.is_file())


def check(root: Path) -> tuple[list[str], int]:
    errors: list[str] = []
    seen: set[Path] = set()

    def report(path: Path, lineno: int, msg: str) -> None:
        errors.append(f"{path.relative_to(root)}:{lineno}: {msg}")

    for layer, banned in NEUTRAL_LAYERS.items():
        for path in cpp_files(root, layer):
            seen.add(path)
            for lineno, line in enumerate(strip_comments(path.read_text(encoding="utf-8")), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                for what in banned:
                    if FRAMEWORK[what].search(m.group(1)):
                        report(path, lineno, f"{layer}/ must not include {what} (#include {m.group(1)!r}); "
                                             "framework code belongs in src/cpp/bindings/")

    bindings = root / "src/cpp/bindings"
    for path in cpp_files(root, "src/cpp/bindings"):
        seen.add(path)
        rel = path.relative_to(bindings)
        is_binding_file = len(rel.parts) == 2 and rel.parts[0] != "common" and path.suffix == ".cpp"
        for lineno, line in enumerate(strip_comments(path.read_text(encoding="utf-8")), 1):
            m = INCLUDE.match(line)
            if m and KERNEL_HEADER.search(m.group(1)):
                report(path, lineno, f"bindings must not include kernel headers (#include {m.group(1)!r}); "
                                     "include the group's ops/<group>/<group>.h instead")
            if "<<<" in line:
                report(path, lineno, "bindings must not launch kernels ('<<<'); call a launcher in src/cpp/ops/")
            if is_binding_file:
                if "reinterpret_cast" in line:
                    report(path, lineno, "binding files hold declarations only: no reinterpret_cast "
                                         "(the tensor caster and the launchers do the conversions)")
                if PREPROCESSOR_IF.match(line):
                    report(path, lineno, "binding files hold declarations only: no #if/#ifdef "
                                         "(arch-specific kernels register themselves in the launchers)")
    for layer in ("src/cpp/include/flash_rt", "src/cpp/ops"):
        for path in cpp_files(root, layer):
            if "cutlass" in path.parts or path.name == "launch.cuh":
                continue
            lines = strip_comments(path.read_text(encoding="utf-8"))
            for lineno, line in enumerate(lines, 1):
                if "<<<" in line:
                    report(path, lineno, "launch kernels with flash_rt::device::launch (device/launch.cuh), "
                                         "not '<<<': it adds Programmatic Dependent Launch")
            text = "\n".join(lines)
            for m in re.finditer(r"__global__\b", text):
                body = text.index("{", m.end())
                first = skip_pdl_prologue(text[body + 1:].lstrip())
                # pdl_begin(), or pdl_wait() when the kernel calls pdl_trigger() later itself
                if not first.startswith(PDL_STARTS) or ("pdl_wait();" in first.split("\n", 1)[0]
                                                        and "pdl_trigger()" not in text[body:]):
                    report(path, text.count("\n", 0, m.start()) + 1,
                           "a kernel launched with device::launch must call pdl_begin() first, or "
                           "pdl_wait() first and pdl_trigger() later "
                           "(before any global memory access; see device/launch.cuh)")
    return errors, len(seen)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="repository root (default: this script's repository)")
    args = ap.parse_args(argv)
    root = args.root.resolve()
    if not (root / "src/cpp").is_dir():
        print(f"check_layers: {root}/src/cpp not found", file=sys.stderr)
        return 2
    errors, nfiles = check(root)
    for e in errors:
        print(e)
    if errors:
        print(f"check_layers: {len(errors)} violation(s) in {nfiles} files (rules: STYLE.md section 1)",
              file=sys.stderr)
        return 1
    print(f"check_layers: {nfiles} files follow the layer rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())

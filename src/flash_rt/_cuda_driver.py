"""What GPUs and driver this process sees, without torch and without our extensions.

Reads the CUDA driver API through ctypes (libcuda.so.1). Nothing here allocates on a
device; cuInit is the only state it creates. No driver or no device gives an empty list.
"""

from __future__ import annotations

import ctypes
import functools
from dataclasses import dataclass

MIN_DRIVER = 13000  # CUDA 13.0 needs driver >= 580 (cuDriverGetVersion reports 13000+)

_ATTR_CC_MAJOR = 75
_ATTR_CC_MINOR = 76
_ATTR_SM_COUNT = 16


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    capability: tuple[int, int]
    multiprocessors: int
    total_memory: int

    @property
    def sm(self) -> int:
        return 10 * self.capability[0] + self.capability[1]


@dataclass(frozen=True)
class DriverInfo:
    loaded: bool
    version: int  # e.g. 13000 for CUDA 13.0; 0 if unknown
    devices: tuple[Device, ...]
    error: str = ""

    @property
    def version_str(self) -> str:
        return f"{self.version // 1000}.{self.version % 1000 // 10}" if self.version else "unknown"


@functools.lru_cache(maxsize=1)
def driver_info() -> DriverInfo:
    """Cached: the set of devices does not change while a process runs."""
    try:
        lib = ctypes.CDLL("libcuda.so.1")
    except OSError as e:
        return DriverInfo(False, 0, (), f"no CUDA driver (libcuda.so.1: {e})")
    version = ctypes.c_int(0)
    lib.cuDriverGetVersion(ctypes.byref(version))
    rc = lib.cuInit(0)
    if rc != 0:
        return DriverInfo(True, version.value, (), f"cuInit failed with CUDA error {rc}")
    count = ctypes.c_int(0)
    if lib.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return DriverInfo(True, version.value, (), "cuDeviceGetCount failed")
    devices = []
    for i in range(count.value):
        dev = ctypes.c_int(0)
        lib.cuDeviceGet(ctypes.byref(dev), i)
        name = ctypes.create_string_buffer(256)
        lib.cuDeviceGetName(name, 256, dev)
        major, minor, sms = ctypes.c_int(0), ctypes.c_int(0), ctypes.c_int(0)
        lib.cuDeviceGetAttribute(ctypes.byref(major), _ATTR_CC_MAJOR, dev)
        lib.cuDeviceGetAttribute(ctypes.byref(minor), _ATTR_CC_MINOR, dev)
        lib.cuDeviceGetAttribute(ctypes.byref(sms), _ATTR_SM_COUNT, dev)
        mem = ctypes.c_size_t(0)
        fn = getattr(lib, "cuDeviceTotalMem_v2", None) or lib.cuDeviceTotalMem
        fn(ctypes.byref(mem), dev)
        devices.append(Device(i, name.value.decode(errors="replace"), (major.value, minor.value),
                              sms.value, mem.value))
    return DriverInfo(True, version.value, tuple(devices))

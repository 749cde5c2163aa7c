// flash_rt::device::pdl_enabled (device/launch.cuh): SM90+ and FLASH_RT_PDL != "0".
#include <cuda_runtime.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "flash_rt/device/launch.cuh"

namespace flash_rt::device {

namespace {
constexpr int kMaxDevices = 64;
std::atomic<signed char> g_device_pdl[kMaxDevices];  // 0 unknown, 1 yes, -1 no (zero-initialised)

bool pdl_switch_on() {
  static const bool on = [] {
    const char* v = std::getenv("FLASH_RT_PDL");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }();
  return on;
}
}  // namespace

bool pdl_enabled() {
  if (!pdl_switch_on()) return false;
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || dev < 0 || dev >= kMaxDevices) {
    (void)cudaGetLastError();
    return false;
  }
  signed char known = g_device_pdl[dev].load(std::memory_order_relaxed);
  if (known == 0) {
    int major = 0;
    if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess) {
      (void)cudaGetLastError();
      return false;
    }
    known = major >= 9 ? 1 : -1;
    g_device_pdl[dev].store(known, std::memory_order_relaxed);
  }
  return known > 0;
}

}  // namespace flash_rt::device

// Element types the launchers understand, and how DLPack spells them.
#pragma once

#include <cstdint>

namespace flash_rt {

enum class DType : uint8_t {
  kUnknown,
  kF16,
  kBF16,
  kF32,
  kF8E4M3,  // float8_e4m3fn
  kU8,
  kI8,
  kI32,
  kI64,
};

constexpr int dtype_size(DType t) {
  switch (t) {
    case DType::kF16:
    case DType::kBF16: return 2;
    case DType::kF32:
    case DType::kI32: return 4;
    case DType::kI64: return 8;
    case DType::kF8E4M3:
    case DType::kU8:
    case DType::kI8: return 1;
    default: return 0;
  }
}

constexpr const char* dtype_name(DType t) {
  switch (t) {
    case DType::kF16: return "float16";
    case DType::kBF16: return "bfloat16";
    case DType::kF32: return "float32";
    case DType::kF8E4M3: return "float8_e4m3fn";
    case DType::kU8: return "uint8";
    case DType::kI8: return "int8";
    case DType::kI32: return "int32";
    case DType::kI64: return "int64";
    default: return "unknown";
  }
}

// DLPack type codes (dlpack.h v1.1): kDLInt=0, kDLUInt=1, kDLFloat=2, kDLBfloat=4,
// kDLFloat8_e4m3fn=10. Lanes must be 1.
constexpr DType dtype_from_dlpack(uint8_t code, uint8_t bits, uint16_t lanes) {
  if (lanes != 1) return DType::kUnknown;
  switch (code) {
    case 0: return bits == 8 ? DType::kI8 : bits == 32 ? DType::kI32 : bits == 64 ? DType::kI64 : DType::kUnknown;
    case 1: return bits == 8 ? DType::kU8 : DType::kUnknown;
    case 2: return bits == 16 ? DType::kF16 : bits == 32 ? DType::kF32 : DType::kUnknown;
    case 4: return bits == 16 ? DType::kBF16 : DType::kUnknown;
    case 10: return bits == 8 ? DType::kF8E4M3 : DType::kUnknown;
    default: return DType::kUnknown;
  }
}

}  // namespace flash_rt

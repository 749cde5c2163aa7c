# Variant -> CUDA arch list (CUDA 13.0). One table, read by the manifest and the loader.
#   sm80 : x86_64, Ampere/Ada + Hopper  (SM90 gets arch-specific 90a SASS)
#   sm100: x86_64, Blackwell datacenter + RTX Blackwell, family-portable SASS
#   sm110: aarch64, Jetson Thor
set(_flash_rt_archs_sm80  "80-real;86-real;89-real;90a-real")
set(_flash_rt_archs_sm100 "100f-real;120f-real")
set(_flash_rt_archs_sm110 "110f-real")

# The environment wins (it is also what labels the wheel's version); then -DFLASH_RT_VARIANT;
# then sm80. Not cached from the environment, so reusing a build dir for another variant
# reconfigures instead of failing.
if(DEFINED ENV{FLASH_RT_VARIANT} AND NOT "$ENV{FLASH_RT_VARIANT}" STREQUAL "")
  set(FLASH_RT_VARIANT "$ENV{FLASH_RT_VARIANT}")
elseif(NOT DEFINED FLASH_RT_VARIANT)
  set(FLASH_RT_VARIANT "sm80")
endif()
if(NOT DEFINED _flash_rt_archs_${FLASH_RT_VARIANT})
  message(FATAL_ERROR "FLASH_RT_VARIANT: expected sm80, sm100 or sm110, got '${FLASH_RT_VARIANT}'")
endif()

# The wheel's version label comes from the same variable (pyproject.toml overrides);
# a -D that disagrees with the environment would ship sm100 code under an sm80 label.
if(DEFINED SKBUILD_PROJECT_VERSION_FULL)
  set(FLASH_RT_VERSION "${SKBUILD_PROJECT_VERSION_FULL}")
  if(NOT FLASH_RT_VERSION MATCHES "\\.${FLASH_RT_VARIANT}$")
    message(FATAL_ERROR "flash-rt: version '${FLASH_RT_VERSION}' does not carry variant "
                        "'${FLASH_RT_VARIANT}'. Set the variant with the FLASH_RT_VARIANT "
                        "environment variable, not with -D.")
  endif()
else()
  file(STRINGS "${CMAKE_CURRENT_SOURCE_DIR}/src/flash_rt/_version.py" _v REGEX "__version__")
  string(REGEX REPLACE ".*\"([^\"]+)\".*" "\\1" _v "${_v}")
  set(FLASH_RT_VERSION "${_v}+cu130.${FLASH_RT_VARIANT}")
endif()

set(FLASH_RT_ARCH_OVERRIDE OFF)
if(DEFINED ENV{FLASH_RT_CUDA_ARCHS} AND NOT "$ENV{FLASH_RT_CUDA_ARCHS}" STREQUAL "")
  set(FLASH_RT_CUDA_ARCHS "$ENV{FLASH_RT_CUDA_ARCHS}")
endif()
if(DEFINED FLASH_RT_CUDA_ARCHS AND NOT "${FLASH_RT_CUDA_ARCHS}" STREQUAL "")
  # Developer build: one arch, fast. The manifest records the override so the loader
  # judges coverage by what was really compiled.
  string(REPLACE "," ";" FLASH_RT_ARCHS "${FLASH_RT_CUDA_ARCHS}")
  set(FLASH_RT_ARCH_OVERRIDE ON)
else()
  set(FLASH_RT_ARCHS "${_flash_rt_archs_${FLASH_RT_VARIANT}}")
endif()
message(STATUS "flash-rt: variant ${FLASH_RT_VARIANT}, version ${FLASH_RT_VERSION}, archs ${FLASH_RT_ARCHS}")

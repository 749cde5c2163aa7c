# CUTLASS/CuTe headers for the cutlass_fp8_* entries, from the `nvidia-cutlass` wheel
# (a build requirement in pyproject.toml), or -DFLASH_RT_CUTLASS_DIR=<dir holding include/cutlass>.
# The wheel is found with importlib.util.find_spec, which does not import it (importing
# cutlass_library runs code and pulls heavy dependencies).
#
# Defines flash_rt_cutlass_kernels, an object library of the per-architecture kernel
# translation units in src/cpp/ops/gemm/cutlass/, each compiled only for the archs it is
# for (CUTLASS kernels for sm_90a are empty shells on any other arch, and compiling them
# for every arch of the variant would only cost build time):
#   sm_90a                      -> sm90_*.cu    (FLASH_RT_CUTLASS_SM90)
#   sm_100f/100a, sm_110f/110a  -> sm100_*.cu   (FLASH_RT_CUTLASS_SM100)
# FLASH_RT_CUTLASS_ARCHS lists what was compiled (the manifest and the launcher report it).
if(NOT DEFINED FLASH_RT_CUTLASS_DIR AND DEFINED ENV{FLASH_RT_CUTLASS_DIR})
  set(FLASH_RT_CUTLASS_DIR "$ENV{FLASH_RT_CUTLASS_DIR}")
endif()
if(NOT DEFINED FLASH_RT_CUTLASS_DIR)
  execute_process(
    COMMAND "${Python_EXECUTABLE}" -c
      "import importlib.util as u, os; s = u.find_spec('cutlass_library'); print(os.path.join(s.submodule_search_locations[0], 'source'))"
    OUTPUT_VARIABLE FLASH_RT_CUTLASS_DIR OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _rc ERROR_QUIET)
  if(NOT _rc EQUAL 0)
    unset(FLASH_RT_CUTLASS_DIR)
  endif()
endif()
if(NOT DEFINED FLASH_RT_CUTLASS_DIR OR NOT EXISTS "${FLASH_RT_CUTLASS_DIR}/include/cutlass/cutlass.h")
  message(FATAL_ERROR
    "flash-rt: CUTLASS headers not found. Install them with\n"
    "  ${Python_EXECUTABLE} -m pip install --no-deps nvidia-cutlass==4.2.0.0\n"
    "or pass -DFLASH_RT_CUTLASS_DIR=<dir with include/cutlass/cutlass.h>.")
endif()
set(FLASH_RT_CUTLASS_INCLUDE "${FLASH_RT_CUTLASS_DIR}/include")
# packed_stride.hpp lives in CUTLASS's util tree (same place in the wheel and in a checkout).
set(FLASH_RT_CUTLASS_UTIL_INCLUDE "${FLASH_RT_CUTLASS_DIR}/tools/util/include")

set(_cutlass_sm90_archs "")
set(_cutlass_sm100_archs "")
foreach(_arch IN LISTS FLASH_RT_ARCHS)
  if(_arch MATCHES "^90a")
    list(APPEND _cutlass_sm90_archs "${_arch}")
  elseif(_arch MATCHES "^1(00|03|10)[af]")
    list(APPEND _cutlass_sm100_archs "${_arch}")
  endif()
endforeach()

set(FLASH_RT_CUTLASS_ARCHS ${_cutlass_sm90_archs} ${_cutlass_sm100_archs})
set(_cutlass_dir "${CMAKE_CURRENT_SOURCE_DIR}/src/cpp/ops/gemm/cutlass")
set(_cutlass_flags -DNDEBUG -diag-suppress=2908)  # NDEBUG: device asserts in the mainloop serialise wgmma

function(_flash_rt_cutlass_objects name archs glob define)
  if(NOT archs)
    return()
  endif()
  file(GLOB _srcs CONFIGURE_DEPENDS "${_cutlass_dir}/${glob}")
  add_library(${name} OBJECT ${_srcs})
  set_target_properties(${name} PROPERTIES CUDA_ARCHITECTURES "${archs}")
  target_include_directories(${name} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/src/cpp/include")
  target_include_directories(${name} SYSTEM PRIVATE "${FLASH_RT_CUTLASS_INCLUDE}" "${FLASH_RT_CUTLASS_UTIL_INCLUDE}")
  target_compile_options(${name} PRIVATE ${FLASH_RT_CUDA_FLAGS} ${_cutlass_flags})
  target_link_libraries(${name} PRIVATE CUDA::cudart_static)
  target_sources(flash_rt_ops PRIVATE $<TARGET_OBJECTS:${name}>)
  target_compile_definitions(flash_rt_ops PRIVATE ${define}=1)
endfunction()

_flash_rt_cutlass_objects(flash_rt_cutlass_sm90 "${_cutlass_sm90_archs}" "sm90_*.cu" FLASH_RT_CUTLASS_SM90)
_flash_rt_cutlass_objects(flash_rt_cutlass_sm100 "${_cutlass_sm100_archs}" "sm100_*.cu" FLASH_RT_CUTLASS_SM100)
string(REPLACE ";" ", " _shown "${FLASH_RT_CUTLASS_ARCHS}")
message(STATUS "flash-rt: CUTLASS ${FLASH_RT_CUTLASS_DIR}; cutlass_fp8_* kernels for [${_shown}]")

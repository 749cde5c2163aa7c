# flash_rt_jax_ffi.so (SPEC 6): the JAX FFI handlers, a plain shared library that links
# neither jaxlib nor Python. It needs only jaxlib's header-only XLA FFI API
# (<jaxlib>/include/xla/ffi/api/{c_api,api,ffi}.h), found without importing jax.
#
#   FLASH_RT_JAX_FFI           AUTO (default): build it when the headers are found, else say so
#                              ON: the headers are required (configure fails without them)
#                              OFF: never build it
#                              (-D or the environment variable of the same name; -D wins)
#   FLASH_RT_JAX_FFI_INCLUDE   directory holding xla/ffi/api/ffi.h, instead of asking the
#                              configure-time Python for jaxlib's
#
# XLA accepts a handler only if the FFI API version of these headers is one it supports, so
# build against the jaxlib that will run it. An isolated pip build has no jaxlib: release
# builds run without isolation (PACKAGING.md, Frameworks).
#
# Sets for the manifest (cmake/FlashRtManifest.cmake): FLASH_RT_LIBRARIES_BUILT (plain
# shared libraries, not Python modules), FLASH_RT_JAX_FFI_STATUS, FLASH_RT_JAX_FFI_JAXLIB,
# FLASH_RT_JAX_FFI_API.

if(NOT DEFINED FLASH_RT_JAX_FFI)
  if(DEFINED ENV{FLASH_RT_JAX_FFI} AND NOT "$ENV{FLASH_RT_JAX_FFI}" STREQUAL "")
    set(FLASH_RT_JAX_FFI "$ENV{FLASH_RT_JAX_FFI}")
  else()
    set(FLASH_RT_JAX_FFI "AUTO")
  endif()
endif()
string(TOUPPER "${FLASH_RT_JAX_FFI}" FLASH_RT_JAX_FFI)
if(FLASH_RT_JAX_FFI STREQUAL "TRUE" OR FLASH_RT_JAX_FFI STREQUAL "1" OR FLASH_RT_JAX_FFI STREQUAL "YES")
  set(FLASH_RT_JAX_FFI "ON")
elseif(FLASH_RT_JAX_FFI STREQUAL "FALSE" OR FLASH_RT_JAX_FFI STREQUAL "0" OR FLASH_RT_JAX_FFI STREQUAL "NO")
  set(FLASH_RT_JAX_FFI "OFF")
endif()
if(NOT FLASH_RT_JAX_FFI MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "FLASH_RT_JAX_FFI: expected AUTO, ON or OFF, got '${FLASH_RT_JAX_FFI}'")
endif()

set(FLASH_RT_LIBRARIES_BUILT "")
set(FLASH_RT_JAX_FFI_JAXLIB "")
set(FLASH_RT_JAX_FFI_API "")

if(FLASH_RT_JAX_FFI STREQUAL "OFF")
  set(FLASH_RT_JAX_FFI_STATUS "not built: disabled (FLASH_RT_JAX_FFI=OFF)")
  message(STATUS "flash-rt: flash_rt_jax_ffi disabled (FLASH_RT_JAX_FFI=OFF)")
  return()
endif()

# ---- the headers -----------------------------------------------------------------------------
set(_jax_inc "")
if(DEFINED FLASH_RT_JAX_FFI_INCLUDE AND NOT "${FLASH_RT_JAX_FFI_INCLUDE}" STREQUAL "")
  set(_jax_inc "${FLASH_RT_JAX_FFI_INCLUDE}")
  set(_jax_where "FLASH_RT_JAX_FFI_INCLUDE=${FLASH_RT_JAX_FFI_INCLUDE}")
else()
  # find_spec locates the package without importing it (importing jax at configure time
  # would be slow and could initialise a GPU backend).
  execute_process(
    COMMAND "${Python_EXECUTABLE}" -c
      "import importlib.util, importlib.metadata, os\ns = importlib.util.find_spec('jaxlib')\nif s is None or not s.submodule_search_locations: raise SystemExit(1)\nprint(os.path.join(list(s.submodule_search_locations)[0], 'include'))\ntry: print(importlib.metadata.version('jaxlib'))\nexcept Exception: print('unknown')"
    OUTPUT_VARIABLE _jax_out OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _jax_rc ERROR_QUIET)
  set(_jax_where "jaxlib of ${Python_EXECUTABLE}")
  if(_jax_rc EQUAL 0)
    string(REPLACE "\n" ";" _jax_out "${_jax_out}")
    list(GET _jax_out 0 _jax_inc)
    list(LENGTH _jax_out _n)
    if(_n GREATER 1)
      list(GET _jax_out 1 FLASH_RT_JAX_FFI_JAXLIB)
    endif()
  else()
    set(_jax_where "${Python_EXECUTABLE} has no jaxlib")
  endif()
endif()

if("${_jax_inc}" STREQUAL "" OR NOT EXISTS "${_jax_inc}/xla/ffi/api/ffi.h")
  set(FLASH_RT_JAX_FFI_JAXLIB "")
  if(FLASH_RT_JAX_FFI STREQUAL "ON")
    message(FATAL_ERROR
      "flash-rt: FLASH_RT_JAX_FFI=ON but the XLA FFI headers (xla/ffi/api/ffi.h) were not found: "
      "${_jax_where}. Install jaxlib for the building Python and build without isolation "
      "(pip install --no-build-isolation .), or pass -DFLASH_RT_JAX_FFI_INCLUDE=<dir>.")
  endif()
  set(FLASH_RT_JAX_FFI_STATUS "not built: JAX FFI headers not found at configure time (${_jax_where})")
  message(STATUS "flash-rt: JAX FFI headers not found; flash_rt_jax_ffi not built (${_jax_where})")
  return()
endif()

file(STRINGS "${_jax_inc}/xla/ffi/api/c_api.h" _api_lines REGEX "^#define XLA_FFI_API_(MAJOR|MINOR) ")
foreach(_l IN LISTS _api_lines)
  if(_l MATCHES "MAJOR ([0-9]+)")
    set(_major "${CMAKE_MATCH_1}")
  elseif(_l MATCHES "MINOR ([0-9]+)")
    set(_minor "${CMAKE_MATCH_1}")
  endif()
endforeach()
set(FLASH_RT_JAX_FFI_API "${_major}.${_minor}")

# ---- the library -----------------------------------------------------------------------------
file(GLOB FLASH_RT_JAX_FFI_SOURCES CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/src/cpp/ffi/jax/*.cpp")
add_library(flash_rt_jax_ffi SHARED ${FLASH_RT_JAX_FFI_SOURCES})
target_include_directories(flash_rt_jax_ffi PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/src/cpp")
target_include_directories(flash_rt_jax_ffi SYSTEM PRIVATE "${_jax_inc}")
target_link_libraries(flash_rt_jax_ffi PRIVATE flash_rt_ops)
# flash_rt_jax_ffi.so, no `lib` prefix (the original's name); cuBLAS from the nvidia-cublas
# wheel next to the package, as for flash_rt_kernels.
set_target_properties(flash_rt_jax_ffi PROPERTIES
  PREFIX ""
  SUFFIX ".so"
  INSTALL_RPATH "$ORIGIN/../nvidia/cu13/lib"
  BUILD_WITH_INSTALL_RPATH OFF)
target_link_options(flash_rt_jax_ffi PRIVATE "LINKER:--no-undefined")
install(TARGETS flash_rt_jax_ffi LIBRARY DESTINATION flash_rt)

list(APPEND FLASH_RT_LIBRARIES_BUILT "flash_rt_jax_ffi")
set(FLASH_RT_JAX_FFI_STATUS "built against jaxlib ${FLASH_RT_JAX_FFI_JAXLIB} (XLA FFI API ${FLASH_RT_JAX_FFI_API})")
message(STATUS "flash-rt: flash_rt_jax_ffi with XLA FFI headers of jaxlib ${FLASH_RT_JAX_FFI_JAXLIB} "
               "(API ${FLASH_RT_JAX_FFI_API}) from ${_jax_inc}")

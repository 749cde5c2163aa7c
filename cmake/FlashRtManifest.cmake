# Writes flash_rt/_build_info.py: what this wheel is, read by the loader and the doctor.
# The arch list comes from here and not from __CUDA_ARCH_LIST__, which drops the a/f suffixes.
find_package(Git QUIET)
set(FLASH_RT_GIT_SHA "unknown")
if(DEFINED ENV{FLASH_RT_GIT_SHA} AND NOT "$ENV{FLASH_RT_GIT_SHA}" STREQUAL "")
  # A copy of the tree without .git (e.g. a remote build machine) can pass the sha in.
  set(FLASH_RT_GIT_SHA "$ENV{FLASH_RT_GIT_SHA}")
elseif(GIT_FOUND)
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
                  WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
                  OUTPUT_VARIABLE _sha OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _rc ERROR_QUIET)
  if(_rc EQUAL 0)
    set(FLASH_RT_GIT_SHA "${_sha}")
    execute_process(COMMAND "${GIT_EXECUTABLE}" status --porcelain --untracked-files=no
                    WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
                    OUTPUT_VARIABLE _dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(NOT "${_dirty}" STREQUAL "")
      string(APPEND FLASH_RT_GIT_SHA "-dirty")
    endif()
  endif()
endif()

# Python literals for the per-module arch lists.
set(_arch_items "")
foreach(_a IN LISTS FLASH_RT_ARCHS)
  list(APPEND _arch_items "\"${_a}\"")
endforeach()
list(JOIN _arch_items ", " FLASH_RT_ARCHS_PY)
set(_mod_items "")
set(_mod_arch_items "")
foreach(_m IN LISTS FLASH_RT_MODULES_BUILT)
  list(APPEND _mod_items "\"${_m}\"")
  list(APPEND _mod_arch_items "    \"${_m}\": (${FLASH_RT_ARCHS_PY},),")
endforeach()
list(JOIN _mod_items ", " FLASH_RT_MODULES_PY)
# Plain shared libraries (not Python modules, loaded with ctypes by their wrappers), e.g.
# flash_rt_jax_ffi (cmake/FlashRtJaxFfi.cmake). A Python tuple literal, empty when none.
set(_lib_items "")
foreach(_l IN LISTS FLASH_RT_LIBRARIES_BUILT)
  list(APPEND _lib_items "\"${_l}\", ")
endforeach()
list(JOIN _lib_items "" FLASH_RT_LIBRARIES_PY)
if(NOT DEFINED FLASH_RT_JAX_FFI_STATUS)
  set(FLASH_RT_JAX_FFI_STATUS "not built: this build does not configure it")
endif()
list(JOIN _mod_arch_items "\n" FLASH_RT_MODULE_ARCHS_PY)
if(FLASH_RT_ARCH_OVERRIDE)
  set(FLASH_RT_ARCH_OVERRIDE_PY True)
else()
  set(FLASH_RT_ARCH_OVERRIDE_PY False)
endif()

configure_file("${CMAKE_CURRENT_LIST_DIR}/_build_info.py.in"
               "${CMAKE_CURRENT_BINARY_DIR}/_build_info.py" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/_build_info.py" DESTINATION flash_rt)

# CUDA toolkit and cuBLAS/cuBLASLt.
#
# Two kinds of CUDA install must work:
#  * a full toolkit (cuBLAS included): CUDAToolkit's own targets are used;
#  * a CUDA root assembled from pip wheels (nvcc, crt, cccl, cudart) with cuBLAS from the
#    `nvidia-cublas` wheel, which is also the package's runtime dependency. Its headers and
#    libraries live in <site-packages>/nvidia/cu13/{include,lib}.
find_package(CUDAToolkit 13.0 REQUIRED)
if(CUDAToolkit_VERSION_MAJOR LESS 13)
  message(FATAL_ERROR "flash-rt needs CUDA 13 (found ${CUDAToolkit_VERSION})")
endif()

set(FLASH_RT_CUBLAS_SOURCE "")
if(NOT DEFINED FLASH_RT_CUBLAS_ROOT AND DEFINED ENV{FLASH_RT_CUBLAS_ROOT})
  set(FLASH_RT_CUBLAS_ROOT "$ENV{FLASH_RT_CUBLAS_ROOT}")
endif()

if(NOT DEFINED FLASH_RT_CUBLAS_ROOT AND TARGET CUDA::cublasLt AND TARGET CUDA::cublas
   AND EXISTS "${CUDAToolkit_INCLUDE_DIRS}/cublasLt.h")
  add_library(flash_rt::cublas ALIAS CUDA::cublas)
  add_library(flash_rt::cublasLt ALIAS CUDA::cublasLt)
  set(FLASH_RT_CUBLAS_SOURCE "toolkit ${CUDAToolkit_LIBRARY_DIR}")
else()
  if(NOT DEFINED FLASH_RT_CUBLAS_ROOT)
    find_package(Python 3.10 REQUIRED COMPONENTS Interpreter)
    execute_process(
      COMMAND "${Python_EXECUTABLE}" -c
        "import importlib.metadata as m; print(m.distribution('nvidia-cublas').locate_file('nvidia/cu13'))"
      OUTPUT_VARIABLE FLASH_RT_CUBLAS_ROOT OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE _rc ERROR_QUIET)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR
        "flash-rt: cuBLAS not found. The CUDA toolkit at '${CUDAToolkit_LIBRARY_DIR}' has no "
        "cuBLAS and the 'nvidia-cublas' wheel is not installed for ${Python_EXECUTABLE}.\n"
        "Install it first (pip install 'nvidia-cublas>=13.0,<14') and build without isolation "
        "(pip install --no-build-isolation .), or pass -DFLASH_RT_CUBLAS_ROOT=<dir>.")
    endif()
  endif()
  foreach(_lib cublas cublasLt)
    set(_so "${FLASH_RT_CUBLAS_ROOT}/lib/lib${_lib}.so.13")
    if(NOT EXISTS "${_so}")
      message(FATAL_ERROR "flash-rt: ${_so} not found (FLASH_RT_CUBLAS_ROOT=${FLASH_RT_CUBLAS_ROOT})")
    endif()
    add_library(flash_rt::${_lib} SHARED IMPORTED)
    set_target_properties(flash_rt::${_lib} PROPERTIES
      IMPORTED_LOCATION "${_so}"
      IMPORTED_SONAME "lib${_lib}.so.13"
      INTERFACE_INCLUDE_DIRECTORIES "${FLASH_RT_CUBLAS_ROOT}/include")
  endforeach()
  set(FLASH_RT_CUBLAS_SOURCE "nvidia-cublas wheel ${FLASH_RT_CUBLAS_ROOT}")
endif()
message(STATUS "flash-rt: cuBLAS from ${FLASH_RT_CUBLAS_SOURCE}")

# All dependencies come from Debian 12 packages (see README.md and .ci/install-deps.sh).
find_package(Torch REQUIRED)            # libtorch-dev (LibTorch 1.13, CPU)
find_package(SQLite3 REQUIRED)          # libsqlite3-dev
find_package(spdlog REQUIRED)           # libspdlog-dev
find_package(nlohmann_json 3 REQUIRED)  # nlohmann-json3-dev
find_package(Threads REQUIRED)
# LibTorch's at::parallel_for is a header template: it runs in parallel only in code compiled with
# OpenMP (LibTorch itself uses libgomp). Without it our kernels' row loops run on one thread.
find_package(OpenMP COMPONENTS CXX)
if(NOT OpenMP_CXX_FOUND)
  message(WARNING "OpenMP not found: the fused kernels and the decode step will run on one thread")
endif()

# Debian's LibTorch calls the BLAS through libblas.so.3; with libopenblas0-openmp installed the
# alternatives system points that at OpenBLAS (about 20x faster than the reference BLAS).
find_file(THOUGHTBENCH_OPENBLAS libblas.so.3 PATHS /usr/lib/x86_64-linux-gnu/openblas-openmp
          /usr/lib/aarch64-linux-gnu/openblas-openmp NO_DEFAULT_PATH)
if(NOT THOUGHTBENCH_OPENBLAS)
  message(WARNING "OpenBLAS (libopenblas0-openmp) not found: LibTorch will use the reference BLAS, ~20x slower")
endif()

if(THOUGHTBENCH_BUILD_GUI)
  find_package(Qt6 REQUIRED COMPONENTS Core Gui Widgets PrintSupport Svg Test)
  find_package(QCustomPlotQt6 REQUIRED) # libqcustomplot-dev
  set(CMAKE_AUTOMOC ON)
elseif(THOUGHTBENCH_BUILD_TESTS)
  # Test suites use Qt Test; without Qt only the core builds and tests are skipped.
  find_package(Qt6 COMPONENTS Core Test)
  if(NOT Qt6Test_FOUND)
    message(STATUS "Qt6 Test not found: tests are off")
    set(THOUGHTBENCH_BUILD_TESTS OFF)
  endif()
  set(CMAKE_AUTOMOC ON)
endif()

# CUDA kernel paths (kernels/cuda/, docs/PERFORMANCE.md "CUDA kernels"). On by themselves when the
# LibTorch found is CUDA-enabled (it then defines the target torch_cuda and TORCH_CUDA_LIBRARIES,
# e.g. a pip PyTorch's: -DCMAKE_PREFIX_PATH=$(python3 -c 'import torch;
# print(torch.utils.cmake_prefix_path)')) and a CUDA compiler works; off otherwise, e.g. with
# Debian's CPU-only LibTorch even where nvcc is installed. THOUGHTBENCH_CUDA_AUTO=OFF keeps them
# off; THOUGHTBENCH_WITH_CUDA=ON demands them and refuses a LibTorch without CUDA.
option(THOUGHTBENCH_CUDA_AUTO "Turn the CUDA kernels on when LibTorch has CUDA and a CUDA compiler works" ON)
if(TARGET torch_cuda OR TORCH_CUDA_LIBRARIES)
  set(THOUGHTBENCH_TORCH_HAS_CUDA ON)
else()
  set(THOUGHTBENCH_TORCH_HAS_CUDA OFF)
endif()
if(THOUGHTBENCH_WITH_CUDA AND NOT THOUGHTBENCH_TORCH_HAS_CUDA)
  message(FATAL_ERROR "THOUGHTBENCH_WITH_CUDA=ON, but the LibTorch found (${Torch_DIR}) has no CUDA: "
                      "put a CUDA LibTorch first in CMAKE_PREFIX_PATH, or leave the option OFF")
endif()
if(NOT THOUGHTBENCH_WITH_CUDA AND THOUGHTBENCH_CUDA_AUTO AND THOUGHTBENCH_TORCH_HAS_CUDA)
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # A normal variable: it shadows the cache option (still OFF) for the whole configure, and is
    # decided again on each configure.
    set(THOUGHTBENCH_WITH_CUDA ON)
  else()
    message(STATUS "LibTorch has CUDA but no CUDA compiler works: the CUDA kernels are off "
                   "(set CMAKE_CUDA_COMPILER or CUDACXX to nvcc)")
  endif()
endif()
if(THOUGHTBENCH_WITH_CUDA)
  # Ampere and Hopper unless told otherwise (-DCMAKE_CUDA_ARCHITECTURES=native builds for the
  # GPU of the machine; CUDA 13 no longer targets anything older than Turing).
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES AND NOT DEFINED ENV{CUDAARCHS})
    set(CMAKE_CUDA_ARCHITECTURES "80;90" CACHE STRING "CUDA architectures of the kernels")
  endif()
  enable_language(CUDA)
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  find_package(CUDAToolkit REQUIRED)
  message(STATUS "CUDA kernels: on (${CMAKE_CUDA_COMPILER_ID} ${CMAKE_CUDA_COMPILER_VERSION}, "
                 "architectures ${CMAKE_CUDA_ARCHITECTURES})")
elseif(THOUGHTBENCH_TORCH_HAS_CUDA)
  message(STATUS "CUDA kernels: off (THOUGHTBENCH_CUDA_AUTO=OFF or no CUDA compiler)")
else()
  message(STATUS "CUDA kernels: off (LibTorch without CUDA)")
endif()

# All dependencies come from Debian 12 packages (see README.md and .ci/install-deps.sh).
find_package(Torch REQUIRED)            # libtorch-dev (LibTorch 1.13, CPU)
find_package(SQLite3 REQUIRED)          # libsqlite3-dev
find_package(spdlog REQUIRED)           # libspdlog-dev
find_package(nlohmann_json 3 REQUIRED)  # nlohmann-json3-dev
find_package(Threads REQUIRED)

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

if(THOUGHTBENCH_WITH_CUDA)
  enable_language(CUDA)
endif()

# Use ccache when it is installed: rebuilds on 2-core machines are dominated by LibTorch headers.
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
  set(THOUGHTBENCH_CCACHE ON)
else()
  set(THOUGHTBENCH_CCACHE OFF)
endif()

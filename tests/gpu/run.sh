#!/usr/bin/env bash
# One command on a GPU machine: build the CUDA kernel paths against the CUDA LibTorch of the
# machine's PyTorch (GUI off), run their tests (`ctest -L gpu`) and the CPU kernel tests of the
# same build, then build the CLI and run the GPU benchmarks. Everything it prints goes to files in
# OUTPUT_DIR (default ./gpu-results); it exits non-zero when a step failed.
#
#   tests/gpu/run.sh [OUTPUT_DIR]
#
# Environment (all optional):
#   TB_GPU_STEPS=kernels   stop after the kernel tests (skip the CLI build and the benchmarks, the
#                          slow part: the whole core compiles)
#   TB_GPU_BUILD_DIR=DIR   build folder (default build-gpu in the repository; kept between runs)
#   TB_GPU_JOBS=N          parallel compile jobs (default: all cores)
#   TB_GPU_ARCH=90         CUDA architectures (default: the first GPU's compute capability)
#
# The build dependencies that CUDA machine images usually lack (spdlog, fmt, nlohmann-json,
# SQLite headers, Qt 6 Core/Test for the test suites) come as Debian 12 packages in
# tests/gpu/debs/, fetched beforehand on a Debian machine with tests/gpu/fetch-debs.sh. They are
# unpacked into a private prefix inside the build folder with `dpkg -x` (nothing is installed,
# nothing outside the build folder changes) and found through CMAKE_PREFIX_PATH.
#
# At most seven files are written (the device tool brings back eight): summary.txt, machine.txt,
# configure.log, build.log, ctest-gpu.txt, ctest-cpu-kernels.txt, bench.txt (one JSON line per
# benchmark after its "==" header).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-gpu-results}
mkdir -p "$out" && out=$(cd "$out" && pwd)
build=${TB_GPU_BUILD_DIR:-$repo/build-gpu}
jobs=${TB_GPU_JOBS:-$(nproc)}
steps=${TB_GPU_STEPS:-all}
failed=0
: >"$out/summary.txt"

note() { echo "== $*" | tee -a "$out/summary.txt"; }
# step NAME LOG COMMAND...: runs a step, appends its output to LOG, records ok / FAILED.
step() {
  local name=$1 logFile=$2 start=$SECONDS status
  shift 2
  echo "== $name: $*" >>"$logFile"
  "$@" >>"$logFile" 2>&1
  status=$?
  if [ "$status" -eq 0 ]; then
    note "$name: ok ($((SECONDS - start)) s)"
  else
    note "$name: FAILED (exit $status, $((SECONDS - start)) s; see $(basename "$logFile"))"
    failed=1
  fi
  return "$status"
}
finish() {
  note "done: $([ "$failed" -eq 0 ] && echo all steps ok || echo some steps FAILED)"
  exit "$failed"
}

# 1. The machine: GPU, driver, CUDA compiler, PyTorch (and whether it sees the GPU).
{
  nvidia-smi || echo "nvidia-smi: not available"
  echo
  nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
  "$nvcc" --version || echo "nvcc: not found"
  cmake --version | head -1
  ninja --version
  c++ --version | head -1
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
              "available", torch.cuda.is_available(), "prefix", torch.utils.cmake_prefix_path)'
} >"$out/machine.txt" 2>&1
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
torchPrefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>>"$out/machine.txt")
if [ -z "$torchPrefix" ] || [ ! -x "$nvcc" ]; then
  note "machine: no python3 torch or no nvcc (see machine.txt)"
  failed=1
  finish
fi
note "machine: torch at $torchPrefix, nvcc $nvcc, $(nproc) cores"

# 2. Build dependencies from the carried Debian packages, when there are any.
deps=$build/deps
prefixes=$torchPrefix
if compgen -G "$repo/tests/gpu/debs/*.deb" >/dev/null; then
  rm -rf "$deps" && mkdir -p "$deps/runtime"
  for deb in "$repo"/tests/gpu/debs/*.deb; do dpkg -x "$deb" "$deps/root" || failed=1; done
  # Qt's CMake packages find moc at <prefix>/lib/qt6/libexec: unpacked, it is there already.
  # Run-time libraries: a folder of links to the unpacked ones (libQt6Core.so.6, libicuuc.so.72,
  # ...) on LD_LIBRARY_PATH, leaving out every name the machine's loader already knows (ldconfig
  # -p lists sonames), so that an older Debian copy never shadows a newer system one (glib, sqlite).
  systemLibs=$(ldconfig -p 2>/dev/null)
  for lib in "$deps"/root/usr/lib/x86_64-linux-gnu/lib*.so.*; do
    name=$(basename "$lib")
    grep -qF "	$name (" <<<"$systemLibs" || ln -sf "$lib" "$deps/runtime/$name"
  done
  export LD_LIBRARY_PATH=$deps/runtime${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  prefixes="$torchPrefix;$deps/root/usr"
  note "dependencies: $(ls "$repo"/tests/gpu/debs/*.deb | wc -l) packages unpacked; run-time links: $(ls "$deps/runtime" | tr '\n' ' ')"
else
  note "dependencies: no tests/gpu/debs/*.deb, using the machine's own packages"
fi

# 3. Configure: CUDA demanded (THOUGHTBENCH_WITH_CUDA=ON fails loudly if the LibTorch has none),
# GUI off, architectures of this GPU. PYTHON_EXECUTABLE and the cuDNN paths of the pip wheels only
# quiet LibTorch's own CUDA checks; our kernels use neither.
arch=${TB_GPU_ARCH:-$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')}
arch=${arch:-80;90}
cudnn=$(python3 -c 'import nvidia.cudnn as c; print(list(c.__path__)[0])' 2>/dev/null)
cudnnArgs=()
if [ -n "$cudnn" ] && [ -d "$cudnn/include" ]; then
  cudnnLib=$(ls "$cudnn"/lib/libcudnn.so* 2>/dev/null | head -1)
  cudnnArgs=(-DCUDNN_INCLUDE_PATH="$cudnn/include" -DCUDNN_LIBRARY_PATH="$cudnnLib" -DCUDNN_ROOT="$cudnn")
fi
: >"$out/configure.log"
step configure "$out/configure.log" \
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DTHOUGHTBENCH_BUILD_GUI=OFF -DTHOUGHTBENCH_BUILD_TESTS=ON -DTHOUGHTBENCH_WITH_CUDA=ON \
    -DCMAKE_PREFIX_PATH="$prefixes" -DCMAKE_CUDA_COMPILER="$nvcc" \
    -DCUDAToolkit_ROOT="$(dirname "$(dirname "$nvcc")")" -DCMAKE_CUDA_ARCHITECTURES="$arch" \
    -DPYTHON_EXECUTABLE="$(command -v python3)" "${cudnnArgs[@]}" || finish
grep -q "CUDA kernels: on" "$out/configure.log" || { note "configure: CUDA kernels not on"; failed=1; finish; }

# 4. The kernels and their tests first (tb_kernels only, no core): a failure later does not hide
# these results.
: >"$out/build.log"
step build-kernels "$out/build.log" cmake --build "$build" -j "$jobs" --target test_kernels_cuda test_kernels || finish
: >"$out/ctest-gpu.txt"
step ctest-gpu "$out/ctest-gpu.txt" ctest --test-dir "$build" -L gpu -V --output-on-failure
# The CPU paths in a CUDA build behave as in the CPU-only one.
: >"$out/ctest-cpu-kernels.txt"
step ctest-cpu-kernels "$out/ctest-cpu-kernels.txt" ctest --test-dir "$build" -R '^test_kernels$' --output-on-failure
[ "$steps" = kernels ] && finish

# 5. The CLI (the whole core) and the GPU benchmarks. bench rollout / train-step have no device
# option (CPU only), so the GPU figures are the Hugging Face model's (Qwen2.5-0.5B's shape, random
# weights) in bf16 and float32.
step build-cli "$out/build.log" cmake --build "$build" -j "$jobs" --target thoughtbench-cli || finish
cli=$build/bin/thoughtbench-cli
: >"$out/bench.txt"
step bench-hf-bf16 "$out/bench.txt" "$cli" bench hf-model --device cuda --dtype bfloat16
step bench-hf-bf16-batch16 "$out/bench.txt" "$cli" bench hf-model --device cuda --dtype bfloat16 --batch 16 --new-tokens 64
step bench-hf-float32 "$out/bench.txt" "$cli" bench hf-model --device cuda --dtype float32
finish

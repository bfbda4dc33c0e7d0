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
#   TB_GPU_STEPS=quick     only the CLI, one short LoRA GRPO run and the hf-model benchmarks (no
#                          kernel tests, no comparison with transformers): a re-measure in ~4 min
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
# At most eight files are written (what the device tool brings back): summary.txt, machine.txt,
# build.log (configure and build), tests.txt (ctest -L gpu: the CUDA kernels and, when configure
# found NCCL, the NCCL process group; then the CPU kernel tests of this build), hf-checks.txt / hf-checks.json (tests/gpu/hf_checks.py: logits and tokenizers against
# transformers and tokenizers), train.txt (GRPO runs of a Qwen2.5-0.5B-shaped checkpoint on the
# GPU, LoRA and full, LoRA in micro-batches and across 2 processes, with the GPU memory sampled), bench.txt (one JSON line per benchmark after
# its "==" header).
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
: >"$out/build.log"
step configure "$out/build.log" \
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DTHOUGHTBENCH_BUILD_GUI=OFF -DTHOUGHTBENCH_BUILD_TESTS=ON -DTHOUGHTBENCH_WITH_CUDA=ON \
    -DCMAKE_PREFIX_PATH="$prefixes" -DCMAKE_CUDA_COMPILER="$nvcc" \
    -DCUDAToolkit_ROOT="$(dirname "$(dirname "$nvcc")")" -DCMAKE_CUDA_ARCHITECTURES="$arch" \
    -DPYTHON_EXECUTABLE="$(command -v python3)" "${cudnnArgs[@]}" || finish
grep -q "CUDA kernels: on" "$out/build.log" || { note "configure: CUDA kernels not on"; failed=1; finish; }

# 4. One build of the kernel tests and the CLI (the whole core) with -k 0, so that one run shows
# every compile error of this LibTorch; the kernel tests run whenever they built. With
# TB_GPU_STEPS=kernels only the kernel tests are built.
targets=(test_kernels_cuda test_kernels)
[ "$steps" = quick ] && targets=()
[ "$steps" = kernels ] || targets+=(thoughtbench-cli)
# The NCCL process group's test, when configure found NCCL (one rank on this GPU).
grep -q "NCCL process group: on" "$out/build.log" && [ "$steps" = all ] && targets+=(test_nccl_cuda)
grep -h "NCCL process group" "$out/build.log" | head -1 | sed 's/^-- /configure: /' >>"$out/summary.txt"
step build "$out/build.log" cmake --build "$build" -j "$jobs" --target "${targets[@]}" -- -k 0
failedUnits=$(grep -o 'FAILED: [^ ]*' "$out/build.log" | sort -u)
[ -n "$failedUnits" ] && echo "$failedUnits" | tee -a "$out/summary.txt"
: >"$out/tests.txt"
if [ -x "$build/bin/test_kernels_cuda" ] || [ -x "$build/bin/test_nccl_cuda" ]; then
  step ctest-gpu "$out/tests.txt" ctest --test-dir "$build" -L gpu -V --output-on-failure
  # The CPU paths in a CUDA build behave as in the CPU-only one.
  step ctest-cpu-kernels "$out/tests.txt" ctest --test-dir "$build" -R '^test_kernels$' --output-on-failure
fi
[ "$steps" = kernels ] && finish

# 5. What needs the CLI: the HF path against Hugging Face's libraries, training a real-size
# checkpoint on the GPU, the GPU benchmarks. If only the NCCL unit failed to compile, build once
# more without it (GPU ranks then use Gloo); if the c10d/Gloo unit failed too, without both (one
# process; multi-process training is tested on the CPU).
if [ ! -x "$build/bin/thoughtbench-cli" ]; then
  if [ -n "$failedUnits" ] && [ "$(grep -vc 'NcclProcessGroup.cpp' <<<"$failedUnits")" -eq 0 ]; then
    step reconfigure-no-nccl "$out/build.log" cmake -S "$repo" -B "$build" -DTHOUGHTBENCH_NCCL=OFF || finish
    step build-cli-no-nccl "$out/build.log" cmake --build "$build" -j "$jobs" --target thoughtbench-cli || finish
  elif [ -n "$failedUnits" ] && [ "$(grep -vc 'Distributed.cpp\|NcclProcessGroup.cpp' <<<"$failedUnits")" -eq 0 ]; then
    step reconfigure-no-gloo "$out/build.log" cmake -S "$repo" -B "$build" -DTHOUGHTBENCH_GLOO=OFF || finish
    step build-cli-no-gloo "$out/build.log" cmake --build "$build" -j "$jobs" --target thoughtbench-cli || finish
  else
    finish
  fi
fi
cli=$build/bin/thoughtbench-cli
work=$build/hf-work
rm -rf "$work" && mkdir -p "$work"
: >"$out/hf-checks.txt"
step hf-checks "$out/hf-checks.txt" env PYTHONUNBUFFERED=1 python3 "$repo/tests/gpu/hf_checks.py" "$cli" "$work" \
  "$out/hf-checks.json" $([ "$steps" = quick ] && echo --write-only)

# GRPO on the Qwen2.5-0.5B-shaped checkpoint hf_checks.py wrote (random weights, so rewards stay
# near 0: this measures that training runs on the GPU, its speed and its memory, not learning).
# nvidia-smi samples the GPU's memory every 200 ms meanwhile; the largest reading is printed.
: >"$out/train.txt"
train() {
  local name=$1
  shift
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >"$work/$name.mem" 2>/dev/null &
  local sampler=$!
  step "$name" "$out/train.txt" "$cli" run --task gsm8k --algorithm grpo --db "$work/runs.sqlite" --name "$name" \
    --set model.hf_path="$work/qwen2_5_0_5b" --set model.device=cuda --set warmstart.steps=0 \
    --set rollout.prompts=8 --set rollout.group_size=8 --set rollout.max_new_tokens=128 --set eval.every=0 \
    --set run.checkpoint_every=0 --set train.lr=1e-4 "$@"
  local status=$?
  kill "$sampler" 2>/dev/null
  echo "$name: largest GPU memory in use while it ran: $(sort -n "$work/$name.mem" | tail -1) MiB" | tee -a "$out/train.txt" >>"$out/summary.txt"
  return "$status"
}
if [ -d "$work/qwen2_5_0_5b" ]; then
  train grpo-lora-cuda --iterations 3
  step metrics-lora "$out/train.txt" "$cli" metrics 1 --db "$work/runs.sqlite" --csv
  step samples-lora "$out/train.txt" "$cli" samples 1 --db "$work/runs.sqlite" --limit 2
  [ "$steps" = quick ] || step export-lora "$out/train.txt" "$cli" export model --run 1 --db "$work/runs.sqlite" --out "$work/export"
  [ "$steps" = quick ] || train grpo-full-cuda --iterations 2 --set model.lora_rank=0
  # The update in micro-batches of 8 rows (the same step; compare the largest memory reading).
  train grpo-lora-cuda-micro8 --iterations 2 --set train.micro_batch=8
  # Two ranks sharing this GPU (cuda:(LOCAL_RANK mod 1)): NCCL refuses that, so the ranks agree on
  # Gloo, their collectives through host memory; the backend and its reason go to the summary.
  if [ "$steps" != quick ]; then
    train grpo-lora-cuda-nproc2 --iterations 2 --nproc 2
    grep -h "^process group:" "$out/train.txt" | tail -1 | sed 's/^/grpo-lora-cuda-nproc2: /' >>"$out/summary.txt"
  fi
else
  note "train: skipped (hf_checks.py wrote no checkpoint)"
fi

: >"$out/bench.txt"
step bench-hf-bf16 "$out/bench.txt" "$cli" bench hf-model --device cuda --dtype bfloat16
step bench-hf-bf16-batch16 "$out/bench.txt" "$cli" bench hf-model --device cuda --dtype bfloat16 --batch 16 --new-tokens 64
step bench-hf-bf16-batch64 "$out/bench.txt" "$cli" bench hf-model --device cuda --dtype bfloat16 --batch 64 --new-tokens 64
[ "$steps" = quick ] || step bench-hf-float32 "$out/bench.txt" "$cli" bench hf-model --device cuda --dtype float32
finish

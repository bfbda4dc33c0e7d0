#!/usr/bin/env bash
# Side-by-side: `thoughtbench-cli bench rollout|train-step` against the plain PyTorch (Python)
# implementation of the same model and work (tests/bench/pytorch_baseline.py), at the reference
# configuration, on 1 and 2 threads; then torch.mm GFLOP/s and the rollout roofline.
#
#   tests/bench/compare-pytorch.sh [path/to/thoughtbench-cli]    (default build/bin/thoughtbench-cli)
#
# Environment: THREADS (default "1 2"), REPEATS (default 5), PYTHON (default /usr/bin/python3,
# Debian's interpreter, which sees python3-torch even when a pyenv python3 comes first in PATH),
# RAW=1 also prints every JSON line.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cli="${1:-build/bin/thoughtbench-cli}"
threads_list="${THREADS:-1 2}"
repeats="${REPEATS:-5}"
py="${PYTHON:-/usr/bin/python3}"
[[ -x "$py" ]] || py=python3

if [[ ! -x "$cli" ]]; then
  echo "compare-pytorch: $cli is not an executable (pass the CLI path as \$1)" >&2
  exit 2
fi

# Debian 12's python3-torch is 1.13.1, the libtorch the C++ links.
if ! dpkg -s python3-torch >/dev/null 2>&1; then
  sudo=""
  if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get install -y -qq --no-install-recommends python3-torch
fi

config=(--vocab 64 --d-model 256 --layers 4 --heads 8 --batch 64 --prompt-len 16 --new-tokens 48)
field() { "$py" -c 'import json,sys; d=json.loads(sys.argv[1]); v=d
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"; }

declare -A ours theirs
params_ours="" params_py=""
for bench in rollout train-step; do
  for t in $threads_list; do
    o="$(OMP_NUM_THREADS=$t "$cli" bench "$bench" "${config[@]}" --threads "$t" --repeats "$repeats" | tail -n 1)"
    p="$(OMP_NUM_THREADS=$t "$py" "$here/pytorch_baseline.py" --bench "$bench" "${config[@]}" --threads "$t" --repeats "$repeats" | tail -n 1)"
    if [[ "${RAW:-0}" == 1 ]]; then echo "ours:    $o"; echo "pytorch: $p"; fi
    ours[$bench/$t]="$(field "$o" tokens_per_s)"
    theirs[$bench/$t]="$(field "$p" tokens_per_s)"
    params_ours="$(field "$o" parameters)"
    params_py="$(field "$p" parameters)"
  done
done

echo
echo "reference configuration: ${config[*]} --repeats $repeats (median after one warm-up)"
echo "parameters: thoughtbench $params_ours, pytorch $params_py$([[ "$params_ours" == "$params_py" ]] && echo " (equal)" || echo "  ** DIFFERENT **")"
echo
printf "%-11s %7s %16s %16s %12s\n" bench threads "ours tok/s" "pytorch tok/s" "ours/pytorch"
for bench in rollout train-step; do
  for t in $threads_list; do
    a="${ours[$bench/$t]}" b="${theirs[$bench/$t]}"
    printf "%-11s %7s %16.0f %16.0f %12.2f\n" "$bench" "$t" "$a" "$b" "$("$py" -c "print($a / $b)")"
  done
done

echo
echo "matmul (torch.mm, float32 square) and roofline at the reference configuration:"
printf "%7s %6s %10s %22s %24s %22s\n" threads n "GFLOP/s" "rollout roof tok/s" "(with prefill) tok/s" "train-step roof tok/s"
for t in $threads_list; do
  m="$(OMP_NUM_THREADS=$t "$py" "$here/pytorch_baseline.py" --bench matmul "${config[@]}" --threads "$t" --repeats "$repeats" | tail -n 1)"
  if [[ "${RAW:-0}" == 1 ]]; then echo "matmul:  $m"; fi
  for n in 1024 256; do
    printf "%7s %6s %10.1f %22.0f %24.0f %22.0f\n" "$t" "$n" "$(field "$m" gflops.$n)" \
      "$(field "$m" roofline.$n.rollout_tokens_per_s)" "$(field "$m" roofline.$n.rollout_tokens_per_s_with_prefill)" \
      "$(field "$m" roofline.$n.train_step_tokens_per_s)"
  done
  flops="$(field "$m" rollout_flops_per_token)"
  flopsp="$(field "$m" rollout_flops_per_token_with_prefill)"
done
echo "rollout FLOPs per generated token: $flops (2 x parameters + 4 x layers x d_model x mean context);"
echo "  $flopsp counting the prefill and the exact per-position context."

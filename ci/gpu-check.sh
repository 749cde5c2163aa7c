#!/usr/bin/env bash
# One GPU round, for the lent GPU machine (or any CUDA 13 box with torch): build and install
# flash-rt, print the doctor, run `pytest -m gpu`, run the benchmarks. Logs go to $OUT
# (default ./gpu-check-out).
#
#   bash ci/gpu-check.sh [build|test|bench|all|round] [extra bench args...]
#   round: build for this GPU's arch only, every GPU test (jax included), the GEMM/JAX/launch-
#          floor benchmarks and a --quick run of every kernel group, all logs packed into
#          $OUT/round.tgz after each stage (the lent machine returns at most 8 files and stops a
#          command at 600 s; the round skips what its deadline, FLASH_RT_ROUND_SECONDS=560, leaves
#          no time for). FLASH_RT_BENCH_GROUPS / FLASH_RT_QUICK_GROUPS choose the benchmarks,
#          FLASH_RT_ROUND_EXTRA runs one more command (an experiment) after the tests,
#          FLASH_RT_FULL_GROUPS="patch quantize" full runs of those groups (every entry and shape,
#          no --budget cut) after it, logs in full-<group>.log.
#   FLASH_RT_BENCH_GROUPS="norm fused_norm" bash ci/gpu-check.sh bench     (default: every group)
#     extra groups: gemm (benchmarks/bench_gemm.py), jax (benchmarks/bench_jax.py),
#     launch_floor (benchmarks/bench_launch_floor.py)
#   FLASH_RT_TEST_PATHS="tests/gemm tests/core" bash ci/gpu-check.sh test  (default: tests/)
#
# Before a round on the lent machine (no network there), fetch what it lacks into .whl/ (git-
# ignored) on a machine with network, and name .whl in the device call's carry:
#   python3 -m pip download --no-deps -d .whl nvidia-cutlass==4.2.0.0
#
# The GPU machine has no network: the build runs without isolation against the installed
# scikit-build-core / nanobind / cmake / ninja and the toolkit's cuBLAS. CUTLASS headers: an
# importable nvidia-cutlass, FLASH_RT_CUTLASS_DIR, or a carried nvidia_cutlass-*.whl under .whl/
# or .exp/wheels/ (unpacked to /tmp). The JAX FFI library follows FLASH_RT_JAX_FFI (AUTO, ON,
# OFF; default AUTO), passed to CMake on every build so a kept build dir cannot hold an old value.
set -uo pipefail
stage="${1:-all}"; shift || true
OUT="${OUT:-$PWD/gpu-check-out}"
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
PY="${PYTHON:-python3}"
status=0

run() {  # run NAME CMD...: tee into $OUT/NAME.log, remember failures
  local name="$1"; shift
  echo "=== $name: $*"
  local t0=$SECONDS
  "$@" 2>&1 | tee "$OUT/$name.log"
  local rc=${PIPESTATUS[0]}
  echo "=== $name: exit $rc after $((SECONDS - t0)) s"
  [ "$rc" -eq 0 ] || status=1
  return "$rc"
}

if [[ "$stage" == round ]]; then
  # The lent machine stops a command at 600 s and returns at most 8 files: the logs go to a
  # scratch directory and are packed into $OUT/round.tgz after every stage, so a cut-off round
  # still returns everything done so far; later stages are skipped when the deadline is near.
  final_out="$OUT"
  export OUT=/tmp/flash-rt-round
  rm -rf "$OUT" && mkdir -p "$OUT"
  deadline=$((SECONDS + ${FLASH_RT_ROUND_SECONDS:-560}))
  pack() { tar czf "$final_out/round.tgz.tmp" -C "$OUT" . && mv "$final_out/round.tgz.tmp" "$final_out/round.tgz"; }
  left() { echo $((deadline - SECONDS)); }
  export FLASH_RT_JAX_FFI="${FLASH_RT_JAX_FFI:-ON}"
  # One arch (this GPU's) unless told otherwise: the full sm80 variant compiles four.
  if [ -z "${FLASH_RT_CUDA_ARCHS:-}" ]; then
    cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')
    case "$cc" in 90) export FLASH_RT_CUDA_ARCHS=90a-real ;; ?*) export FLASH_RT_CUDA_ARCHS="${cc}-real" ;; esac
  fi
  echo "round: archs ${FLASH_RT_CUDA_ARCHS:-variant default}, deadline in $(left) s"
  bash "$0" build || { pack; exit 1; }
  pack
  FLASH_RT_TEST_PATHS="${FLASH_RT_TEST_PATHS:-tests}" bash "$0" test | tail -40 || status=1
  pack
  if [ -n "${FLASH_RT_ROUND_EXTRA:-}" ]; then  # an experiment of the session, e.g. a sweep
    run extra timeout $(( $(left) > 30 ? $(left) - 30 : 1 )) bash -c "$FLASH_RT_ROUND_EXTRA" | tail -60
    pack
  fi
  for g in ${FLASH_RT_FULL_GROUPS-}; do  # every entry and shape of a group, compile on every row
    [ "$(left)" -gt 60 ] || { echo "round: no time left for full $g"; continue; }
    (cd /tmp && timeout $(( $(left) - 20 )) "$PY" -m flash_rt bench --group "$g" --budget 1e9 --out "$OUT/full" \
        > "$OUT/full-$g.log" 2>&1)
    grep -E "^target|MISS" "$OUT/full-$g.log" | head -20
    pack
  done
  for g in ${FLASH_RT_BENCH_GROUPS-gemm jax launch_floor}; do
    [ "$(left)" -gt 60 ] || { echo "round: no time left for bench $g"; continue; }
    FLASH_RT_BENCH_GROUPS="$g" timeout $(( $(left) - 20 )) bash "$0" bench | grep -E "^\||us per call|^  " | tail -80
    pack
  done
  for g in ${FLASH_RT_QUICK_GROUPS-norm fused_norm activation fused quantize rope utility patch}; do
    [ "$(left)" -gt 40 ] || { echo "round: no time left for quick $g"; continue; }
    (cd /tmp && timeout $(( $(left) - 20 < 90 ? $(left) - 20 : 90 )) "$PY" -m flash_rt bench --group "$g" --quick \
        --out "$OUT/quick" > "$OUT/quick-$g.log" 2>&1)
    grep -E "^target|MISS" "$OUT/quick-$g.log" | head -12
    pack
  done
  exit $status
fi

if [[ "$stage" == build || "$stage" == all ]]; then
  if [ -z "${FLASH_RT_CUTLASS_DIR:-}" ] && ! "$PY" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('cutlass_library') is None)"; then
    whl=$(ls .whl/nvidia_cutlass-*.whl .exp/wheels/nvidia_cutlass-*.whl 2>/dev/null | head -1)
    if [ -n "$whl" ]; then
      "$PY" -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall('/tmp/flash-rt-cutlass')" "$whl"
      export FLASH_RT_CUTLASS_DIR=/tmp/flash-rt-cutlass/cutlass_library/source
    fi
  fi
  export CMAKE_ARGS="${CMAKE_ARGS:-} -DFLASH_RT_JAX_FFI=${FLASH_RT_JAX_FFI:-AUTO}"
  nvidia-smi --query-gpu=name,driver_version,compute_cap,clocks.sm,clocks.max.sm --format=csv | tee "$OUT/gpu.txt"
  run build env CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$PY" -m pip install -v --no-build-isolation --no-deps . \
    || { echo "build failed"; exit 1; }
  (cd /tmp && run doctor "$PY" -m flash_rt)
fi
if [[ "$stage" == test || "$stage" == all ]]; then
  # Run from the tests directory so `import flash_rt` is the installed package, not src/.
  paths=(); for p in ${FLASH_RT_TEST_PATHS:-tests}; do paths+=("$PWD/$p"); done
  run pytest-gpu "$PY" -m pytest "${paths[@]}" -m gpu -q -p no:cacheprovider --rootdir "$PWD" \
      --junitxml "$OUT/pytest-gpu.xml" --maxfail=100 -o addopts="" -ra
fi
if [[ "$stage" == bench || "$stage" == all ]]; then
  for group in ${FLASH_RT_BENCH_GROUPS:-norm fused_norm activation fused quantize rope utility patch}; do
    case "$group" in
      gemm|jax|launch_floor)
        (cd /tmp && run "bench-$group" "$PY" "$OLDPWD/benchmarks/bench_$group.py" --out "$OUT") ;;
      *)
        (cd /tmp && run "bench-$group" "$PY" -m flash_rt bench --group "$group" --out "$OUT" "$@") ;;
    esac
  done
fi
exit $status

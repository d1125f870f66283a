#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the kernel harness (kbench.cc) against the shipped native sources (no Node, no copies).
# KBENCH_FLAGS=-DLCSS_PHASES adds per-pass timers inside the Winograd convolution (native/cpu/phase_timer.h):
#   sh bench/kernels/build.sh && build-kbench/kbench help
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build-kbench
mkdir -p "$out"
CXX=${CXX:-g++}
FLAGS="-std=c++17 -O3 -fno-math-errno -fno-trapping-math -DLCSS_HAVE_X86_KERNELS -pthread ${KBENCH_FLAGS:-}"
AVX2="-mavx2 -mfma -mf16c"
AVX512="-mavx512f -mavx512dq -mavx512vl -mavx512bw -mavx2 -mfma -mf16c -mprefer-vector-width=512"
list() { node -p "const s=require('$root/native/sources.json'); s.$1.filter(f=>!f.includes('/binding/')).join(' ')"; }
objs=""
compile() {  # file, extra flags; two jobs at a time
  o=$out/$(echo "$1" | tr / _).o; objs="$objs $o"
  $CXX $FLAGS $2 -c "$root/$1" -o "$o" &
  [ $(jobs -p | wc -l) -ge ${KBENCH_JOBS:-2} ] && wait -n 2>/dev/null || true
}
for f in $(list common) $(list isa_base); do compile "$f" ""; done
for f in $(list isa_avx2); do compile "$f" "$AVX2"; done
for f in $(list isa_avx512); do compile "$f" "$AVX512"; done
wait
$CXX $FLAGS -I"$root/native" "$root/bench/kernels/kbench.cc" $objs -o "$out/kbench"
echo "built $out/kbench"

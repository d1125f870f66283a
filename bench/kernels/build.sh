#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the kernel harness (kbench.cc) against the shipped native sources (no Node, no copies):
#   sh bench/kernels/build.sh && build-kbench/kbench help
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build-kbench
mkdir -p "$out"
CXX=${CXX:-g++}
FLAGS="-std=c++17 -O3 -fno-math-errno -fno-trapping-math -DLCSS_HAVE_X86_KERNELS -pthread ${KBENCH_FLAGS:-}"
srcs=$(node -p "const s=require('$root/native/sources.json'); s.common.filter(f=>!f.includes('/binding/')).join(' ')")
objs=""
for f in $srcs native/cpu/isa_base.cc; do
  o=$out/$(echo "$f" | tr / _).o; objs="$objs $o"
  $CXX $FLAGS -c "$root/$f" -o "$o" &
done
$CXX $FLAGS -mavx2 -mfma -mf16c -c "$root/native/cpu/isa_avx2.cc" -o "$out/isa_avx2.o" &
$CXX $FLAGS -mavx512f -mavx512dq -mavx512vl -mavx512bw -mavx2 -mfma -mf16c -mprefer-vector-width=512 \
  -c "$root/native/cpu/isa_avx512.cc" -o "$out/isa_avx512.o" &
wait
$CXX $FLAGS -I"$root/native" "$root/bench/kernels/kbench.cc" $objs "$out/isa_avx2.o" "$out/isa_avx512.o" -o "$out/kbench"
echo "built $out/kbench"

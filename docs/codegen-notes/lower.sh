#!/bin/bash
# Lower one kernel + transform library to an object file, exactly as measured in conv.md.
# usage: lower.sh kernel.mlir sched.mlir out_prefix
set -e
B=/usr/lib/llvm-19/bin
k=$1; s=$2; o=$3
$B/mlir-opt $k --transform-preload-library=transform-library-paths=$s --transform-interpreter \
  --canonicalize --cse --canonicalize -o $o.sched.mlir
$B/mlir-opt $o.sched.mlir --buffer-deallocation-pipeline --convert-bufferization-to-memref \
  --convert-vector-to-scf=full-unroll=true --convert-linalg-to-loops --expand-strided-metadata --lower-affine \
  --convert-scf-to-cf --convert-vector-to-llvm --finalize-memref-to-llvm \
  --convert-func-to-llvm=use-bare-ptr-memref-call-conv=1 --convert-arith-to-llvm \
  --convert-cf-to-llvm --reconcile-unrealized-casts -o $o.ll.mlir
$B/mlir-translate --mlir-to-llvmir $o.ll.mlir -o $o.ll
# clang -O3 runs the LLVM IR optimizer (needed to vectorize leftover scalar loops); llc alone does not.
clang-19 -O3 -march=native -Wno-override-module -c $o.ll -o $o.o

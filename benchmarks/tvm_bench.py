#!/usr/bin/env python3
"""Compiles an ONNX model with Apache TVM and times it: the optional third column.

Run with a python that has apache-tvm and onnx (bench.py makes one in
benchmarks/out/tvm-venv):

    tvm_bench.py compile MODEL.onnx -o LIB.so
    tvm_bench.py run LIB.so --inputs IN_DIR --output-dir OUT_DIR
    tvm_bench.py time LIB.so --inputs IN_DIR [--warmup 3] [--warmup-ms 0] [--iters 20] [--json]

`compile` is TVM's ONNX importer (relax.frontend.onnx.from_onnx) and its
default build, relax.build for an llvm target with the host CPU, with no
tuning: what a user gets without tuning. `run` writes every output as
OUT_DIR/<output name>.npy, in the layout tests/e2e/compare.py reads, for
inputs written by tests/e2e/make_inputs.py; `time` runs on the same inputs.
The thread count comes from the TVM_NUM_THREADS environment variable, which
TVM's runtime reads (bench.py sets it). With --json the last line of
standard output has the keys of `mlc bench --json`.
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import onnx
import tvm
from tvm import relax
from tvm.relax.frontend.onnx import from_onnx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import npy_names  # noqa: E402


def host_target():
    """The llvm target for this host's CPU, in the JSON form TVM >= 0.20 wants."""
    return tvm.target.Target({"kind": "llvm", "mcpu": tvm.target.codegen.llvm_get_system_cpu()})


def graph_inputs(model):
    inits = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in inits]


def compile_model(model_path, lib_path):
    """Imports the model and builds it with TVM's default pipeline; writes a .so."""
    model = onnx.load(model_path)
    inputs = graph_inputs(model)
    shapes = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim] for i in inputs}
    mod = from_onnx(model, shape_dict=shapes, keep_params_in_input=False)
    with tvm.transform.PassContext(opt_level=3):
        executable = relax.build(mod, target=host_target())
    executable.export_library(lib_path)
    meta = {"inputs": [i.name for i in inputs],
            "outputs": [o.name for o in model.graph.output]}
    with open(lib_path + ".json", "w") as f:
        json.dump(meta, f)


def load(lib_path):
    """(VirtualMachine, metadata) for a library made by compile_model."""
    vm = relax.VirtualMachine(tvm.runtime.load_module(lib_path), tvm.cpu())
    with open(lib_path + ".json") as f:
        return vm, json.load(f)


def to_tvm(array):
    return tvm.runtime.tensor(array) if hasattr(tvm.runtime, "tensor") else tvm.nd.array(array)


def outputs_of(result):
    """The VM's result as a list of numpy arrays (one tensor or a tuple)."""
    if hasattr(result, "numpy"):
        return [result.numpy()]
    return [r.numpy() for r in result]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compile")
    c.add_argument("model")
    c.add_argument("-o", dest="lib", required=True)
    r = sub.add_parser("run")
    r.add_argument("lib")
    r.add_argument("--inputs", required=True)
    r.add_argument("--output-dir", required=True)
    t = sub.add_parser("time")
    t.add_argument("lib")
    t.add_argument("--inputs", required=True, help="directory of make_inputs.py inputs")
    t.add_argument("--warmup", type=int, default=3)
    t.add_argument("--warmup-ms", type=float, default=0)
    t.add_argument("--iters", type=int, default=20)
    t.add_argument("--json", action="store_true")
    args = p.parse_args()

    if args.command == "compile":
        start = time.perf_counter()
        compile_model(args.model, args.lib)
        print("tvm %s compiled %s in %.1f s" % (tvm.__version__, args.model,
                                                time.perf_counter() - start))
        return 0

    vm, meta = load(args.lib)
    feed = [to_tvm(np.load(os.path.join(args.inputs, npy_names.file_name(name))))
            for name in meta["inputs"]]
    if args.command == "run":
        os.makedirs(args.output_dir, exist_ok=True)
        for name, value in zip(meta["outputs"], outputs_of(vm["main"](*feed))):
            np.save(os.path.join(args.output_dir, npy_names.file_name(name)), value)
        return 0

    warmup_start, warmup_runs = time.perf_counter(), 0
    while (warmup_runs < args.warmup
           or (time.perf_counter() - warmup_start) * 1000 < args.warmup_ms):
        vm["main"](*feed)
        warmup_runs += 1
    times = []
    for _ in range(args.iters):
        start = time.perf_counter()
        vm["main"](*feed)
        times.append((time.perf_counter() - start) * 1000)
    ordered = sorted(times)
    n = len(ordered)
    stats = {"median_ms": statistics.median(ordered), "mean_ms": statistics.fmean(ordered),
             "p90_ms": ordered[max(-(-9 * n // 10), 1) - 1], "min_ms": ordered[0],
             "max_ms": ordered[-1], "stddev_ms": statistics.stdev(ordered) if n > 1 else 0.0}
    print("tvm %s %s: %s thread(s), median %.3f ms"
          % (tvm.__version__, args.lib, os.environ.get("TVM_NUM_THREADS", "default"),
             stats["median_ms"]))
    if args.json:
        print(json.dumps({"threads": int(os.environ.get("TVM_NUM_THREADS", "0")),
                          "warmup": warmup_runs, "iters": args.iters, **stats,
                          "times_ms": times}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

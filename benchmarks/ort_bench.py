#!/usr/bin/env python3
"""Times onnxruntime on one ONNX model, the peer of `mlc bench`.

Run with the project venv (.venv/bin/python):

    ort_bench.py MODEL.onnx [--threads 1] [--warmup 3] [--warmup-ms 0] [--iters 20] [--json]

The session uses the CPU execution provider with its default graph
optimizations, intra_op_num_threads = --threads and inter_op_num_threads = 1.
Inputs are seeded random data of each input's dtype and shape (floats standard
normal, integers in [0, 100) like `mlc bench`). Each timed run is one
session.run with time.perf_counter around it. With --json the last line of
standard output is one JSON object with the same keys as `mlc bench --json`.
"""

import argparse
import json
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort

DTYPES = {
    "tensor(float)": np.float32, "tensor(double)": np.float64,
    "tensor(int64)": np.int64, "tensor(int32)": np.int32,
    "tensor(int8)": np.int8, "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_,
}


def make_session(path, threads):
    """An InferenceSession with `threads` intra-op threads and one inter-op thread."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def random_feed(session, seed=0):
    """Seeded random inputs for every session input; symbolic dims become 1."""
    rng = np.random.default_rng(seed)
    feed = {}
    for i in session.get_inputs():
        if i.type not in DTYPES:
            raise SystemExit("error: input %r has unsupported type %s" % (i.name, i.type))
        dtype = DTYPES[i.type]
        shape = [d if isinstance(d, int) else 1 for d in i.shape]
        if dtype == np.bool_:
            feed[i.name] = rng.integers(0, 2, shape).astype(np.bool_)
        elif np.issubdtype(dtype, np.integer):
            feed[i.name] = rng.integers(0, 100, shape).astype(dtype)
        else:
            feed[i.name] = rng.standard_normal(shape).astype(dtype)
    return feed


def summarize(times):
    """The statistics `mlc bench --json` reports, from per-run milliseconds."""
    ordered = sorted(times)
    n = len(ordered)
    return {
        "median_ms": statistics.median(ordered),
        "mean_ms": statistics.fmean(ordered),
        "p90_ms": ordered[max(-(-9 * n // 10), 1) - 1],
        "min_ms": ordered[0],
        "max_ms": ordered[-1],
        "stddev_ms": statistics.stdev(ordered) if n > 1 else 0.0,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
    p.add_argument("--warmup-ms", type=float, default=0,
                   help="and untimed runs until this many ms have passed (default 0)")
    p.add_argument("--iters", type=int, default=20, help="timed runs (default 20)")
    p.add_argument("--json", action="store_true", help="end with one JSON line")
    args = p.parse_args()
    if args.iters < 1 or args.threads < 1 or args.warmup < 0:
        p.error("--iters and --threads must be at least 1, --warmup at least 0")

    start = time.perf_counter()
    session = make_session(args.model, args.threads)
    load_ms = (time.perf_counter() - start) * 1000
    feed = random_feed(session)
    warmup_start, warmup_runs = time.perf_counter(), 0
    while (warmup_runs < args.warmup
           or (time.perf_counter() - warmup_start) * 1000 < args.warmup_ms):
        session.run(None, feed)
        warmup_runs += 1
    times = []
    for _ in range(args.iters):
        start = time.perf_counter()
        session.run(None, feed)
        times.append((time.perf_counter() - start) * 1000)
    stats = summarize(times)
    print("onnxruntime %s %s: %d thread(s), %d warmup, %d timed run(s), load %.1f ms"
          % (ort.__version__, args.model, args.threads, warmup_runs, args.iters, load_ms))
    print("  median %.3f ms  mean %.3f ms  p90 %.3f ms  min %.3f ms  max %.3f ms"
          % (stats["median_ms"], stats["mean_ms"], stats["p90_ms"], stats["min_ms"],
             stats["max_ms"]))
    if args.json:
        record = {"model": args.model, "threads": args.threads, "warmup": warmup_runs,
                  "iters": args.iters, "load_ms": load_ms, **stats, "times_ms": times}
        print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())

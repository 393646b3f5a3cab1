#!/usr/bin/env python3
"""onnxruntime's single-thread latency for a model, to stand next to
`mlc run MODEL.so --iterations 20` (a stopgap until the benchmark harness of
issue 4). Run with the project venv: .venv/bin/python benchmarks/ort_latency.py MODEL.onnx
"""
import sys
import time

import numpy as np
import onnxruntime as ort


def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feed = {}
    for i in session.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in i.shape]
        if "int64" in i.type:
            feed[i.name] = rng.integers(0, 1000, shape, dtype=np.int64)
        else:
            feed[i.name] = rng.standard_normal(shape, dtype=np.float32)
    for _ in range(3):
        session.run(None, feed)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feed)
        times.append((time.perf_counter() - start) * 1000)
    print("onnxruntime %s: median %.2f ms over %d runs (1 thread)"
          % (path.rsplit("/", 1)[-1], sorted(times)[runs // 2], runs))


if __name__ == "__main__":
    main()

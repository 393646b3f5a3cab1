#!/usr/bin/env python3
"""Builds what travels to a lent GPU machine: CUDA artifacts, their inputs and
onnxruntime's expected outputs, packed into one compressed bundle.

Run on the build machine with the project venv:

    .venv/bin/python benchmarks/gpu/prepare.py [--mlc build/bin/mlc]
        [--models DIR] [--out .gpu] [--only REGEX]

Compiles each case with `mlc compile --target=cuda`, writes seeded inputs
(floats standard normal, token ids uniform in [0, 30522)) and the outputs
onnxruntime's CPU provider gives for them, and a manifest.json naming it all
(benchmarks/gpu/device_bench.py reads it there). The bundle is one tar,
xz-compressed with a dictionary large enough that the batch-32 artifact's
copy of the weights costs nothing beside the batch-1 one. The big models are
the *_tied variants of benchmarks/models/export_models.py (repeated layers
share weights, so the bundle fits what may travel); they compute the same
shapes and operations as the untied ones.
"""

import argparse
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time

import numpy as np
import onnx
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (case name, onnx file stem, batch, rtol, atol[, extra mlc compile flags])
CASES = [
    ("mobilenet_tiny", "examples/mobilenet_tiny", 1, 1e-3, 1e-4),
    ("mlp", "mlp", 1, 1e-3, 1e-4),
    ("squeezenet1_1", "squeezenet1_1", 1, 1e-3, 1e-4),
    ("mobilenet_v2", "mobilenet_v2", 1, 1e-3, 1e-4),
] + [
    # The big models at batch 1 and 32, as their tied variants.
    ("%s_b%d" % (m, b), "%s_tied%s" % (m, "" if b == 1 else "_b%d" % b), b, 1e-3, 1e-4)
    for m in ("resnet50", "bert_encoder", "vit_b_16") for b in (1, 32)
] + [
    # C = A x B with both operands inputs (no weights): the kernel beside cuBLAS.
    ("gemm_%d" % n, "gen:gemm_%d" % n, 1, 1e-3, 1e-4) for n in (1024, 2048, 4096)
] + [
    # The same on tensor cores: f16 operands and result (f32 sums), and f32
    # with --allow-tf32. The reference is the float64 product of the same
    # operands; the tolerance covers the rounding of an f16 result (half an
    # ulp of values near 64) or of tf32 operands.
    ("gemm_f16_%d" % n, "gen:gemm_f16_%d" % n, 1, 1e-2, 1e-1) for n in (2048, 4096)
] + [
    ("gemm_tf32_%d" % n, "gen:gemm_%d" % n, 1, 1e-2, 1e-1, ["--allow-tf32"])
    for n in (2048, 4096)
] + [
    # The default cubins are sm_80,sm_90a, so an H100 or H200 runs the
    # wgmma kernels above; these run the mma.sync ones on the same GPU (an
    # sm_90 cubin from the portable PTX) for the comparison.
    ("gemm_f16_4096_mma_sync", "gen:gemm_f16_4096", 1, 1e-2, 1e-1,
     ["--cuda-cubins=sm_80,sm_90"]),
    ("gemm_tf32_4096_mma_sync", "gen:gemm_4096", 1, 1e-2, 1e-1,
     ["--allow-tf32", "--cuda-cubins=sm_80,sm_90"]),
]
TORCH = [["resnet50", 1], ["resnet50", 32], ["bert_encoder", 1], ["bert_encoder", 32],
         ["vit_b_16", 1], ["vit_b_16", 32]]


def gemm_model(n, path, elem=onnx.TensorProto.FLOAT):
    """MatMul of two [n, n] inputs of `elem`."""
    h = onnx.helper
    graph = h.make_graph([h.make_node("MatMul", ["a", "b"], ["c"])], "gemm_%d" % n,
                         [h.make_tensor_value_info("a", elem, [n, n]),
                          h.make_tensor_value_info("b", elem, [n, n])],
                         [h.make_tensor_value_info("c", elem, [n, n])])
    onnx.save(h.make_model(graph, opset_imports=[h.make_opsetid("", 17)]), path)


def gemm_spec(stem):
    """(n, numpy dtype name) of a generated GEMM stem gen:gemm[_f16]_N."""
    half = stem.startswith("gen:gemm_f16_")
    return int(stem.rsplit("_", 1)[1]), "float16" if half else "float32"


def model_path(stem, models, work):
    if stem.startswith("gen:gemm_"):
        path = os.path.join(work, "..", stem[4:] + ".onnx")
        n, dtype = gemm_spec(stem)
        gemm_model(n, path, onnx.TensorProto.FLOAT16 if dtype == "float16"
                   else onnx.TensorProto.FLOAT)
        return path
    if stem.startswith("examples/"):
        return os.path.join(ROOT, stem + ".onnx")
    return os.path.join(models, stem + ".onnx")


def make_inputs(model, seed):
    rng = np.random.default_rng(seed)
    inits = {i.name for i in model.graph.initializer}
    feeds = {}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        shape = [d.dim_value for d in tt.shape.dim]
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tt.elem_type)
        if np.issubdtype(dtype, np.floating) and len(shape) == 4 and shape[0] > 1:
            # Batch item i is item 0 rolled by 7i pixels along the width: as
            # random as item 0, but it compresses (the images of a batch-32
            # input would not fit what may travel).
            first = rng.standard_normal([1] + shape[1:]).astype(dtype)
            feeds[vi.name] = np.concatenate([np.roll(first, 7 * i, axis=3)
                                             for i in range(shape[0])])
        elif np.issubdtype(dtype, np.floating):
            feeds[vi.name] = rng.standard_normal(shape).astype(dtype)
        else:
            feeds[vi.name] = rng.integers(0, 30522, shape).astype(dtype)
    return feeds


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mlc", default=os.path.join(ROOT, "build", "bin", "mlc"))
    p.add_argument("--models", default=os.path.join(ROOT, "models"))
    p.add_argument("--out", default=os.path.join(ROOT, ".gpu"))
    p.add_argument("--only", default=None, help="regex over case names")
    p.add_argument("--target", default="cuda",
                   help="mlc compile --target (default cuda; llvm makes a CPU bundle "
                        "for device_bench.py --cpu-smoke)")
    args = p.parse_args()

    work = os.path.join(args.out, "bundle")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    manifest = {"cases": [], "torch": []}
    for name, stem, batch, rtol, atol, *flags in CASES:
        flags = flags[0] if flags else []
        if args.only and not re.search(args.only, name):
            continue
        src = model_path(stem, args.models, work)
        if not os.path.exists(src):
            print("%-20s skipped: no %s" % (name, src), flush=True)
            continue
        t0 = time.monotonic()
        artifact = name + ".so"
        subprocess.run([args.mlc, "compile", src, "--target=" + args.target, *flags,
                        "-o", os.path.join(work, artifact)], check=True)
        compile_s = time.monotonic() - t0
        entry = {"name": name, "model": stem, "batch": batch, "artifact": artifact,
                 "rtol": rtol, "atol": atol, "compile_s": round(compile_s, 2),
                 "flags": flags}
        if stem.startswith("gen:gemm_"):
            # Inputs too big to travel: the device draws them and takes the
            # float64 product as the reference.
            n, dtype = gemm_spec(stem)
            entry.update(generate="matmul", shape=[n, n], dtype=dtype, inputs=[],
                         expected=[])
            manifest["cases"].append(entry)
            print("%-20s compiled in %5.1f s" % (name, compile_s), flush=True)
            continue
        model = onnx.load(src, load_external_data=False)
        feeds = make_inputs(model, seed=len(manifest["cases"]))
        sess = ort.InferenceSession(src, providers=["CPUExecutionProvider"])
        outs = sess.run(None, feeds)
        inputs, expected = [], []
        for i, (k, v) in enumerate(feeds.items()):
            f = "%s.in%d.npy" % (name, i)
            np.save(os.path.join(work, f), v)
            inputs.append(f)
        for j, v in enumerate(outs):
            f = "%s.out%d.npy" % (name, j)
            np.save(os.path.join(work, f), v)
            expected.append(f)
        entry.update(inputs=inputs, expected=expected)
        manifest["cases"].append(entry)
        print("%-20s compiled in %5.1f s, %6.1f MB" % (
            name, compile_s, os.path.getsize(os.path.join(work, artifact)) / 1e6), flush=True)
    # PyTorch's runs of the models this bundle holds.
    manifest["torch"] = [t for t in TORCH if any(c["name"].startswith(t[0] + "_b")
                                                  for c in manifest["cases"])]
    shutil.copy(os.path.join(os.path.dirname(args.mlc), "..", "lib", "libmlc_runtime.so"),
                os.path.join(args.out, "libmlc_runtime.so"))
    with open(os.path.join(work, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)

    packed = os.path.join(args.out, "bundle.tar.xz")
    filters = [{"id": lzma.FILTER_LZMA2, "preset": 1, "dict_size": 768 << 20}]
    with lzma.open(packed, "wb", format=lzma.FORMAT_XZ, filters=filters) as xz:
        with tarfile.open(fileobj=xz, mode="w") as tar:
            for f in sorted(os.listdir(work)):
                tar.add(os.path.join(work, f), arcname=f)
    print("bundle %s: %.1f MB" % (packed, os.path.getsize(packed) / 1e6))


if __name__ == "__main__":
    main()

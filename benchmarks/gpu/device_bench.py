#!/usr/bin/env python3
"""Runs on the lent GPU machine: mlc CUDA artifacts checked and timed against
PyTorch eager and torch.compile on the same GPU.

    python3 benchmarks/gpu/device_bench.py --bundle DIR --runtime LIB --out DIR
        [--iters N] [--warmup N] [--no-torch] [--only REGEX]

DIR holds manifest.json (written by benchmarks/gpu/prepare.py on the build
machine) with, per case, the artifact, its inputs and onnxruntime's (CPU)
expected outputs as .npy. The artifacts are loaded through the C runtime
(libmlc_runtime.so, via ctypes) with tensors that live on the GPU (DLPack
kDLCUDA, allocated by PyTorch in the same primary context).

For each case: outputs poisoned with NaN, one run, compared with the expected
outputs (rtol/atol from the manifest; every element written, no NaN); then
the same model run from 4 threads at once, each compared again; then timed.
Each timed iteration is one call that returns once the outputs are ready:
mlc_model_run (which synchronizes its stream) or, for PyTorch, the forward
pass followed by torch.cuda.synchronize(). Warm-up first; the median of
--iters iterations (default 50). PyTorch runs in fp32 with TF32 off
(torch.backends.cuda.matmul.allow_tf32 = cudnn.allow_tf32 = False), the same
arithmetic as mlc's fp32 kernels; torch.compile uses its default mode.

Writes OUT/gpu_results.json (appended to as it goes, so a run cut short
still returns what it measured) and prints a table last.
"""

import argparse
import ctypes
import json
import os
import re
import statistics
import sys
import threading
import time
import traceback

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "models"))


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


class LoadOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("num_threads", ctypes.c_int32),
                ("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


KDLCPU, KDLCUDA = 1, 2
DEVICE = "cuda"  # "cpu" with --cpu-smoke: CPU artifacts, to test this script without a GPU
DTYPES = {  # numpy dtype -> (DLPack code, bits, torch dtype)
    "float32": (2, 32, torch.float32), "float16": (2, 16, torch.float16),
    "int64": (0, 64, torch.int64), "int32": (0, 32, torch.int32),
    "uint8": (1, 8, torch.uint8), "bool": (1, 8, torch.bool),
}


class Runtime:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        self.lib.mlc_last_error.restype = ctypes.c_char_p
        self.lib.mlc_model_load_with_options.argtypes = [
            ctypes.c_char_p, ctypes.POINTER(LoadOptions), ctypes.POINTER(ctypes.c_void_p)]
        self.lib.mlc_model_run.argtypes = [ctypes.c_void_p, ctypes.POINTER(DLTensor),
                                           ctypes.c_int32, ctypes.POINTER(DLTensor),
                                           ctypes.c_int32]
        self.lib.mlc_model_free.argtypes = [ctypes.c_void_p]

    def check(self, status, what):
        if status != 0:
            raise RuntimeError("%s: status %d: %s" % (
                what, status, self.lib.mlc_last_error().decode(errors="replace")))

    def load(self, path):
        opts = LoadOptions(ctypes.sizeof(LoadOptions), 1,
                           KDLCUDA if DEVICE == "cuda" else KDLCPU, 0)
        handle = ctypes.c_void_p()
        self.check(self.lib.mlc_model_load_with_options(path.encode(), ctypes.byref(opts),
                                                        ctypes.byref(handle)), "load " + path)
        return handle


def dltensors(tensors, keep):
    arr = (DLTensor * len(tensors))()
    for i, t in enumerate(tensors):
        code, bits, _ = DTYPES[str(t.dtype).replace("torch.", "")]
        shape = (ctypes.c_int64 * max(1, t.dim()))(*t.shape)
        keep.append(shape)
        dev = DLDevice(KDLCUDA if t.is_cuda else KDLCPU, 0)
        arr[i] = DLTensor(ctypes.c_void_p(t.data_ptr()), dev, t.dim(),
                          DLDataType(code, bits, 1), shape, None, 0)
    return arr


class MlcModel:
    """A loaded artifact with GPU-resident inputs and outputs."""

    def __init__(self, rt, case, bundle):
        self.rt = rt
        self.handle = rt.load(os.path.join(bundle, case["artifact"]))
        if case.get("generate") == "matmul":
            # Drawn here, with the float64 product as the reference.
            g = torch.Generator(device=DEVICE).manual_seed(1)
            dtype = DTYPES[case.get("dtype", "float32")][2]
            self.inputs = [torch.randn(case["shape"], generator=g, device=DEVICE).to(dtype)
                           for _ in range(2)]
            ref = torch.matmul(self.inputs[0].double(), self.inputs[1].double())
            self.expected = [ref.to(dtype).cpu().numpy()]
        else:
            self.inputs = [torch.from_numpy(np.load(os.path.join(bundle, f))).to(DEVICE)
                           for f in case["inputs"]]
            self.expected = [np.load(os.path.join(bundle, f)) for f in case["expected"]]

    def new_outputs(self):
        outs = []
        for e in self.expected:
            t = torch.empty(e.shape, dtype=DTYPES[str(e.dtype)][2], device=DEVICE)
            if t.is_floating_point():
                t.fill_(float("nan"))
            outs.append(t)
        return outs

    def run(self, outputs):
        keep = []
        ins = dltensors(self.inputs, keep)
        outs = dltensors(outputs, keep)
        self.rt.check(self.rt.lib.mlc_model_run(self.handle, ins, len(self.inputs), outs,
                                                len(outputs)), "run")

    def free(self):
        self.rt.lib.mlc_model_free(self.handle)


def compare(outputs, expected, rtol, atol):
    worst = {"max_abs": 0.0, "max_rel": 0.0, "ok": True, "nan": False}
    for got_t, want in zip(outputs, expected):
        got = got_t.cpu().numpy()
        if got.shape != want.shape:
            worst["ok"] = False
            continue
        g = got.astype(np.float64)
        w = want.astype(np.float64)
        if np.isnan(g).any() and not np.isnan(w).any():
            worst["nan"] = True
            worst["ok"] = False
        diff = np.abs(g - w)
        worst["max_abs"] = max(worst["max_abs"], float(np.nanmax(diff)) if diff.size else 0.0)
        denom = np.linalg.norm(w)
        worst["max_rel"] = max(worst["max_rel"],
                               float(np.linalg.norm(g - w) / denom) if denom else 0.0)
        if not np.allclose(g, w, rtol=rtol, atol=atol):
            worst["ok"] = False
    return worst


def sync():
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def time_calls(fn, warmup, iters):
    """Median of `iters` calls (20 when one call takes over 50 ms)."""
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter()
    fn()
    if time.perf_counter() - t0 > 0.05:
        iters = min(iters, 20)
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return {"median_ms": statistics.median(times), "min_ms": min(times),
            "p90_ms": sorted(times)[int(0.9 * (len(times) - 1))], "iters": iters}


def torch_model(name, batch):
    import export_models as em
    if name == "resnet50":
        import torchvision
        model, x = torchvision.models.resnet50(weights=None), torch.randn(batch, 3, 224, 224)
    elif name == "vit_b_16":
        import torchvision
        model, x = torchvision.models.vit_b_16(weights=None), torch.randn(batch, 3, 224, 224)
    elif name == "bert_encoder":
        model = em.BertEncoder(batch=batch)
        x = torch.randint(0, 30522, (batch, 128), dtype=torch.int64)
    elif name == "mlp":
        model, x = em.Mlp(), torch.randn(batch, 256)
    elif name == "mobilenet_v2":
        import torchvision
        model, x = torchvision.models.mobilenet_v2(weights=None), torch.randn(batch, 3, 224, 224)
    else:
        return None, None
    return model.eval().cuda(), x.cuda()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bundle", required=True)
    p.add_argument("--runtime", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--no-compile", action="store_true")
    p.add_argument("--only", default=None)
    p.add_argument("--no-peaks", action="store_true", help="skip the cuBLAS and copy ceilings")
    p.add_argument("--cpu-smoke", action="store_true",
                   help="CPU artifacts and tensors, no GPU: tests this script")
    args = p.parse_args()
    global DEVICE
    if args.cpu_smoke:
        DEVICE = "cpu"
        args.no_peaks = args.no_torch = True

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    results_path = os.path.join(args.out, "gpu_results.json")
    results = {"gpu": torch.cuda.get_device_name(0) if DEVICE == "cuda" else "none",
               "torch": torch.__version__, "cuda": torch.version.cuda, "cases": [], "torch_runs": [], "peaks": {}}

    def save():
        with open(results_path, "w") as f:
            json.dump(results, f, indent=1)

    print("GPU:", results["gpu"], "torch", results["torch"], "cuda", results["cuda"], flush=True)
    if not args.no_peaks:
        measure_peaks(results)
        save()
    run_cases(args, results, save)
    if not args.no_torch:
        run_torch(args, results, save)
    print_table(results)


def measure_peaks(results):
    """Ceilings, measured here: fp32 matrix products through cuBLAS (TF32
    off) and a device-to-device copy (bytes read plus written)."""
    a = torch.randn(8192, 8192, device="cuda")
    b = torch.randn(8192, 8192, device="cuda")
    t = time_calls(lambda: (torch.matmul(a, b), torch.cuda.synchronize()), 3, 10)
    results["peaks"]["cublas_sgemm_8192_tflops"] = 2 * 8192 ** 3 / t["median_ms"] / 1e9
    for n in (1024, 2048, 4096):
        a2, b2 = a[:n, :n].contiguous(), b[:n, :n].contiguous()
        t = time_calls(lambda: (torch.matmul(a2, b2), torch.cuda.synchronize()), 5, 20)
        results["peaks"]["cublas_sgemm_%d_tflops" % n] = 2 * n ** 3 / t["median_ms"] / 1e9
        results["peaks"]["cublas_sgemm_%d_ms" % n] = t["median_ms"]
    # The tensor-core ceilings beside mlc's gemm_f16_* and gemm_tf32_* cases.
    a16, b16 = a[:4096, :4096].half(), b[:4096, :4096].half()
    t = time_calls(lambda: (torch.matmul(a16, b16), torch.cuda.synchronize()), 5, 20)
    results["peaks"]["cublas_hgemm_4096_tflops"] = 2 * 4096 ** 3 / t["median_ms"] / 1e9
    torch.backends.cuda.matmul.allow_tf32 = True
    a4, b4 = a[:4096, :4096].contiguous(), b[:4096, :4096].contiguous()
    t = time_calls(lambda: (torch.matmul(a4, b4), torch.cuda.synchronize()), 5, 20)
    results["peaks"]["cublas_tf32_4096_tflops"] = 2 * 4096 ** 3 / t["median_ms"] / 1e9
    torch.backends.cuda.matmul.allow_tf32 = False
    del a16, b16, a4, b4
    src = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    t = time_calls(lambda: (dst.copy_(src), torch.cuda.synchronize()), 3, 10)
    results["peaks"]["copy_tb_per_s"] = 2 * (1 << 30) / t["median_ms"] / 1e9
    del a, b, src, dst
    print("peaks:", json.dumps(results["peaks"]), flush=True)


def run_cases(args, results, save):
    manifest = json.load(open(os.path.join(args.bundle, "manifest.json")))
    rt = Runtime(args.runtime)
    for case in manifest["cases"]:
        if args.only and not re.search(args.only, case["name"]):
            continue
        entry = {"name": case["name"], "model": case["model"], "batch": case["batch"]}
        results["cases"].append(entry)
        try:
            t0 = time.perf_counter()
            m = MlcModel(rt, case, args.bundle)
            entry["load_s"] = time.perf_counter() - t0
            outs = m.new_outputs()
            m.run(outs)
            sync()
            entry["check"] = compare(outs, m.expected, case["rtol"], case["atol"])
            # Four threads at once on the one loaded model.
            per_thread = [m.new_outputs() for _ in range(4)]
            errors = []

            def worker(o):
                try:
                    for _ in range(3):
                        m.run(o)
                except Exception as e:  # reported below
                    errors.append(str(e))
            threads = [threading.Thread(target=worker, args=(o,)) for o in per_thread]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            entry["concurrent_ok"] = not errors and all(
                compare(o, m.expected, case["rtol"], case["atol"])["ok"] for o in per_thread)
            if errors:
                entry["concurrent_error"] = errors[0]
            entry["mlc"] = time_calls(lambda: m.run(outs), args.warmup, args.iters)
            if case.get("generate") == "matmul":
                n = case["shape"][0]
                entry["tflops"] = 2 * n ** 3 / entry["mlc"]["median_ms"] / 1e9
            m.free()
        except Exception as e:
            entry["error"] = str(e)
            traceback.print_exc()
        print(json.dumps(entry), flush=True)
        save()


def run_torch(args, results, save):
    manifest = json.load(open(os.path.join(args.bundle, "manifest.json")))
    for name, batch in manifest.get("torch", []):
        if args.only and not re.search(args.only, name):
            continue
        run = {"model": name, "batch": batch}
        results["torch_runs"].append(run)
        try:
            model, x = torch_model(name, batch)
            with torch.no_grad():
                run["eager"] = time_calls(lambda: (model(x), torch.cuda.synchronize()),
                                          args.warmup, args.iters)
                if not args.no_compile:
                    t0 = time.perf_counter()
                    compiled = torch.compile(model)
                    compiled(x)
                    torch.cuda.synchronize()
                    run["compile_s"] = time.perf_counter() - t0
                    run["compiled"] = time_calls(
                        lambda: (compiled(x), torch.cuda.synchronize()),
                        args.warmup, args.iters)
            del model
        except Exception as e:
            run["error"] = str(e)
            traceback.print_exc()
        print(json.dumps(run), flush=True)
        save()
        torch.cuda.empty_cache()


def print_table(results):
    print("\n%-28s %6s %10s %10s %10s" % ("case", "check", "mlc ms", "max_abs", "rel"))
    for e in results["cases"]:
        c = e.get("check", {})
        print("%-28s %6s %10s %10.2e %10.2e %s" % (
            e["name"], "ok" if c.get("ok") else "FAIL",
            "%.3f" % e["mlc"]["median_ms"] if "mlc" in e else "-",
            c.get("max_abs", float("nan")), c.get("max_rel", float("nan")),
            e.get("error", "")[:60]))
    for r in results["torch_runs"]:
        print("torch %-14s b%-3d eager %8s compiled %8s" % (
            r["model"], r["batch"],
            "%.3f" % r["eager"]["median_ms"] if "eager" in r else "-",
            "%.3f" % r["compiled"]["median_ms"] if "compiled" in r else "-"))


if __name__ == "__main__":
    main()

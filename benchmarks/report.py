"""Turns bench.py's results into benchmarks/RESULTS.md and the latency chart.

Kept apart from the measuring so that the report can be regenerated from a
results.json alone: `.venv/bin/python benchmarks/report.py results.json`.
"""

import argparse
import json
import math
import os

FRAMEWORKS = [("mlc", "mlc"), ("ort", "onnxruntime"), ("tvm", "TVM (untuned)")]


def mlc_ok(model):
    """True when mlc compiled the model and matched onnxruntime."""
    return "error" not in model["mlc"] and model.get("check", {}).get("ok", False)


def tvm_ok(model):
    tvm = model.get("tvm")
    return bool(tvm) and "error" not in tvm and tvm["check"]["ok"]


def geomean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def ratios(results, n):
    """{model: mlc/ort median ratio} at n threads, for models mlc got right."""
    out = {}
    for m in results["models"]:
        t = m["timings"].get(str(n), {})
        if mlc_ok(m) and "mlc" in t and "ort" in t:
            out[m["name"]] = t["mlc"]["median_ms"] / t["ort"]["median_ms"]
    return out


def fmt_ms(value):
    if value is None:
        return "–"
    return "%.3f" % value if value < 10 else "%.1f" % value


def fmt_bytes(value):
    """1.5 MB, 8.7 kB or 312 B."""
    if value is None:
        return "–"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return "%.1f %s" % (value / scale, unit)
    return "%d B" % value


def model_table(results):
    threads = results["config"]["threads"]
    tvm = any("tvm" in t for m in results["models"] for t in m["timings"].values())
    head = ["model", "threads", "mlc ms", "onnxruntime ms", "mlc / ort"]
    if tvm:
        head += ["TVM ms"]
    head += ["mlc p90 ms", "ort p90 ms", "check"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in results["models"]:
        for n in threads:
            t = m["timings"].get(str(n), {})
            mlc = t.get("mlc", {}).get("median_ms")
            ort = t.get("ort", {}).get("median_ms")
            ratio = "%.2f" % (mlc / ort) if mlc and ort and mlc_ok(m) else "–"
            if "error" in m["mlc"]:
                check = "**FAILED: compile**"
            elif not m["check"]["ok"]:
                check = "**FAILED: mismatch**"
            else:
                check = "ok"
            cells = [m["name"], str(n), fmt_ms(mlc) if mlc_ok(m) else "failed", fmt_ms(ort), ratio]
            if tvm:
                tv = t.get("tvm", {}).get("median_ms")
                cells.append(fmt_ms(tv) if tv else ("failed" if m.get("tvm") else "–"))
            cells += [fmt_ms(t.get("mlc", {}).get("p90_ms")), fmt_ms(t.get("ort", {}).get("p90_ms")),
                      check]
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def summary_lines(results):
    lines = []
    for n in results["config"]["threads"]:
        r = ratios(results, n)
        if not r:
            lines.append("- %d thread(s): no model to compare" % n)
            continue
        worst = max(r, key=r.get)
        lines.append("- **%d thread(s)**: geomean mlc/ort **%.2f** over %d models "
                     "(below 1 means mlc is faster); worst %s at %.2f, best %s at %.2f"
                     % (n, geomean(r.values()), len(r), worst, r[worst], min(r, key=r.get),
                        r[min(r, key=r.get)]))
    return lines


def speedup_lines(results, key, label):
    """How much `key` gains from 1 thread to the most threads (geomean over models)."""
    threads = results["config"]["threads"]
    if len(threads) < 2 or 1 not in threads:
        return []
    most = max(threads)
    gains = []
    for m in results["models"]:
        one = m["timings"].get("1", {}).get(key)
        many = m["timings"].get(str(most), {}).get(key)
        if one and many:
            gains.append(one["median_ms"] / many["median_ms"])
    if not gains:
        return []
    return ["%s speed-up from 1 to %d threads: geomean %.2fx over %d models."
            % (label, most, geomean(gains), len(gains))]


def compile_table(results):
    head = ["model", "ONNX file", "mlc compile s", "artifact", "arena",
            "naive intermediates", "arena / naive"]
    if any(m.get("tvm") for m in results["models"]):
        head.append("TVM compile s")
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in results["models"]:
        c = m["mlc"]
        arena, naive = c.get("arena_bytes"), m.get("intermediate_bytes")
        cells = [m["name"], fmt_bytes(m["onnx_bytes"]),
                 "%.1f" % c["compile_s"] if "error" not in c else "failed",
                 fmt_bytes(c.get("artifact_bytes")), fmt_bytes(arena), fmt_bytes(naive),
                 "%.2f" % (arena / naive) if arena and naive else "–"]
        if len(head) == 8:
            tv = m.get("tvm") or {}
            cells.append("%.1f" % tv["compile_s"] if tv and "error" not in tv else
                         ("failed" if tv else "–"))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def kernel_table(results, kind, peak):
    kernels = [k for k in results.get("kernels", []) if k["kind"] == kind]
    if not kernels:
        return None
    if kind == "gemm":
        head = ["M×N×K"]
    else:
        head = ["layer (C×H×W → O, k, stride, group)", "from"]
    head += ["MFLOP", "mlc ms", "mlc GFLOP/s", "mlc % peak", "ort ms", "ort GFLOP/s",
             "ort % peak", "mlc / ort", "check"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for k in kernels:
        s = k["shape"]
        if kind == "gemm":
            cells = ["%d×%d×%d" % (s["m"], s["n"], s["k"])]
        else:
            cells = ["%d×%d×%d → %d, %dx%d, s%d, g%d" % (s["c"], s["h"], s["w"], s["o"], s["kh"],
                                                       s["kw"], s["strides"][0], s["group"]),
                     s["model"]]
        cells.append("%.1f" % (k["flops"] / 1e6))
        for who in ("mlc", "ort"):
            if who + "_ms" in k:
                g = k[who + "_gflops"]
                cells += [fmt_ms(k[who + "_ms"]), "%.1f" % g,
                          "%.0f%%" % (100 * g / peak) if peak else "–"]
            else:
                cells += ["failed", "–", "–"]
        cells.append("%.2f" % (k["mlc_ms"] / k["ort_ms"]) if "mlc_ms" in k and "ort_ms" in k
                     else "–")
        if "error" in k["mlc"]:
            cells.append("**FAILED: compile**")
        elif not k["check"]["ok"]:
            cells.append("**FAILED: mismatch**")
        else:
            cells.append("ok")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def failures(results):
    """One line per failed model or kernel, with the reason."""
    lines = []
    for m in results["models"] + results.get("kernels", []):
        if "error" in m["mlc"]:
            lines.append("- **%s**: %s" % (m["name"], m["mlc"]["error"]))
        elif not m["check"]["ok"]:
            bad = [line for line in m["check"]["lines"]
                   if "MISMATCH" in line or "failed" in line or "MISSING" in line]
            lines.append("- **%s**: outputs differ from onnxruntime (rtol %g, atol %g): %s"
                         % (m["name"], results["config"]["rtol"], results["config"]["atol"],
                            "; ".join(bad[:3]) or "; ".join(m["check"]["lines"][-2:])))
        for n, t in m.get("timings", {}).items():
            for who, err in t.get("errors", {}).items():
                lines.append("- **%s** (%s threads, %s): %s" % (m["name"], n, who, err))
        for who in ("mlc_error", "ort_error"):
            if who in m:
                lines.append("- **%s**: %s" % (m["name"], m[who]))
    return lines


def write_markdown(results, path, chart):
    """Writes RESULTS.md from a results record."""
    mach, ver, cfg = results["machine"], results["versions"], results["config"]
    peak = results.get("fma_peak", {}).get("gflops")
    out = ["# Benchmark results", "",
           "Generated by `benchmarks/bench.py` (docs/benchmarks.md says how to read it). "
           "Do not edit by hand: re-run the command below.", "",
           "- **command**: `%s`" % results["command"]]
    if results.get("note"):
        out.append("- **note**: %s" % results["note"])
    out += [
        "- **date**: %s, %.0f s" % (results["date"], results["duration_s"]),
        "- **CPU**: %s, %d CPUs usable, %s; vector flags: %s"
        % (mach["model"], mach["cpus"], mach["machine"], " ".join(mach["vector_flags"])),
        "- **load average** (1/5/15 min) at start %s, at end %s: a load near the CPU count "
        "means something else ran beside the benchmark and the timings are noisy"
        % ("/".join("%.2f" % v for v in results["load_average_start"]),
           "/".join("%.2f" % v for v in results["load_average_end"])),
        "- **versions**: %s (commit %s), LLVM %s, %s; onnxruntime %s, onnx %s, numpy %s, "
        "Python %s; TVM: %s" % (ver["mlc"], ver["mlc_commit"], ver["llvm"], ver["cc"],
                                ver["onnxruntime"], ver["onnx"], ver["numpy"], ver["python"],
                                results["tvm"]["version"] or "–"),
        "- **method**: medians of %d timed runs per model, framework and thread count, in %d "
        "alternating mlc/onnxruntime rounds, each a fresh process with at least %d warm-up "
        "runs and %d ms of them; "
        "onnxruntime with default graph optimizations, intra_op_num_threads = threads, "
        "inter_op_num_threads = 1; mlc with `mlc bench --threads`. Outputs were checked "
        "against onnxruntime first (rtol %g, atol %g) at every thread count."
        % (max(cfg["iters"], cfg["rounds"] * math.ceil(cfg["iters"] / cfg["rounds"])),
           cfg["rounds"], cfg["warmup"], cfg.get("warmup_ms", 0), cfg["rtol"], cfg["atol"]),
        ""]
    bad = failures(results)
    if bad:
        out += ["## ⚠ FAILURES", "", "Models or kernels that did not compile, run or match "
                "onnxruntime get no mlc timing and no ratio:", ""] + bad + [""]
    scaling = [line for key, label in FRAMEWORKS[:2]
               for line in speedup_lines(results, key, label)]
    out += ["## Models", "", model_table(results), ""] + summary_lines(results) + [
        "- " + line for line in scaling] + [
        "", "![latency](%s)" % chart, "", "### Compilation and memory", "",
        "`arena` is the statically planned scratch arena of the artifact (`mlc inspect`); "
        "`naive intermediates` adds up every intermediate tensor of the ONNX graph as if "
        "each had its own buffer.", "", compile_table(results), ""]
    if "fma_peak" in results:
        fp = results["fma_peak"]
        out += ["## Kernels (one thread)", ""]
        if "error" in fp:
            out += ["FMA peak: **failed**: %s" % fp["error"], ""]
        else:
            out += ["Measured FP32 FMA peak of one core, in the same run: **%.1f GFLOP/s** "
                    "(`benchmarks/kernels/fma_peak.c`, %s, %d lanes, %d independent chains). "
                    "`%% peak` is achieved GFLOP/s over it. Medians of %d runs; single-op "
                    "models with constant weights (and conv bias)."
                    % (fp["gflops"], fp["isa"], fp["lanes"], fp["chains"], cfg["kernel_iters"]),
                    ""]
        for kind, title in (("gemm", "### GEMM (MatMul, weights constant)"),
                            ("conv", "### Convolutions of ResNet-50 and MobileNetV2 (with bias)")):
            table = kernel_table(results, kind, peak)
            if table:
                out += [title, "", table, ""]
    tvm = results["tvm"]
    out += ["## TVM", ""]
    if tvm["status"] == "ok":
        out += ["apache-tvm %s from PyPI (its own venv, benchmarks/requirements-tvm.txt): "
                "`relax.frontend.onnx.from_onnx`, then `relax.build` for llvm with the host "
                "CPU and no tuning, so its schedules are TVM's untuned defaults. It gets %d timed "
                "runs per thread count (after one warm-up), in the middle round; its outputs "
                "were checked against onnxruntime like mlc's." % (tvm["version"], cfg["tvm_iters"]),
                ""]
        out += speedup_lines(results, "tvm", "TVM") + [""]
    else:
        out += ["No TVM column: %s" % tvm["status"], ""]
    with open(path, "w") as f:
        f.write("\n".join(out).rstrip() + "\n")


def write_chart(results, path):
    """Grouped bars of median latency (log scale), one panel per thread count."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    threads = results["config"]["threads"]
    models = [m for m in results["models"]]
    fig, axes = plt.subplots(1, len(threads), figsize=(6 * len(threads), 4.5), squeeze=False)
    colors = {"mlc": "#1f77b4", "ort": "#ff7f0e", "tvm": "#2ca02c"}
    for ax, n in zip(axes[0], threads):
        present = [key for key, _ in FRAMEWORKS
                   if any(key in m["timings"].get(str(n), {}) for m in models)]
        width = 0.8 / max(len(present), 1)
        for i, key in enumerate(present):
            xs, ys = [], []
            for j, m in enumerate(models):
                t = m["timings"].get(str(n), {}).get(key)
                if t and (key != "mlc" or mlc_ok(m)):
                    xs.append(j + (i - (len(present) - 1) / 2) * width)
                    ys.append(t["median_ms"])
            label = dict(FRAMEWORKS)[key]
            bars = ax.bar(xs, ys, width, label=label, color=colors[key])
            if key == "mlc":
                r = ratios(results, n)
                for bar, m in zip(bars, [m for m in models if m["name"] in r]):
                    ax.annotate("%.2fx" % r[m["name"]], (bar.get_x() + bar.get_width() / 2,
                                                         bar.get_height()),
                                ha="center", va="bottom", fontsize=7)
        ax.set_yscale("log")
        ax.set_xticks(range(len(models)))
        ax.set_xticklabels([m["name"] for m in models], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("median latency, ms (log)")
        ax.set_title("%d thread(s); labels: mlc / onnxruntime" % n, fontsize=9)
        ax.grid(axis="y", which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("%s — %s" % (results["machine"]["model"], results["date"][:10]), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("results", help="results.json written by bench.py")
    p.add_argument("--report", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "RESULTS.md"))
    args = p.parse_args()
    with open(args.results) as f:
        results = json.load(f)
    chart = os.path.join(os.path.dirname(os.path.abspath(args.results)), "latency.png")
    write_chart(results, chart)
    write_markdown(results, args.report, os.path.relpath(chart, os.path.dirname(
        os.path.abspath(args.report))))


if __name__ == "__main__":
    main()

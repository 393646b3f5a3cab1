"""Checks that the last line of standard input is `mlc bench --json`'s object.

Exits 1 naming the problem unless every required key is present and holds a
number (threads, warmup and iters integers, the latencies positive and
ordered min <= median <= p90 <= max,
times_ms a list of iters positive numbers). Prints "bench json ok" otherwise.
Usage: mlc bench M.so --json ... | python check_bench_json.py [--threads N] [--iters N]
"""
import argparse
import json
import sys

LATENCIES = ["min_ms", "median_ms", "mean_ms", "p90_ms", "max_ms"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int)
    p.add_argument("--iters", type=int)
    p.add_argument("--warmup", type=int)
    args = p.parse_args()
    lines = sys.stdin.read().splitlines()
    if not lines:
        sys.exit("error: no output")
    try:
        obj = json.loads(lines[-1])
    except ValueError as e:
        sys.exit("error: the last line is not JSON (%s): %r" % (e, lines[-1]))
    for key in ["threads", "warmup", "iters"]:
        if type(obj.get(key)) is not int:
            sys.exit("error: %r is missing or not an integer: %r" % (key, obj.get(key)))
    for key in LATENCIES + ["stddev_ms", "load_ms"]:
        value = obj.get(key)
        if type(value) not in (int, float) or value != value:
            sys.exit("error: %r is missing or not a number: %r" % (key, value))
    if not 0 < obj["min_ms"] <= obj["median_ms"] <= obj["p90_ms"] <= obj["max_ms"]:
        sys.exit("error: latencies out of order: %s" % {k: obj[k] for k in LATENCIES})
    if not obj["min_ms"] <= obj["mean_ms"] <= obj["max_ms"]:
        sys.exit("error: mean outside [min, max]: %r" % obj["mean_ms"])
    times = obj.get("times_ms")
    if (type(times) is not list or len(times) != obj["iters"]
            or any(type(t) not in (int, float) or t <= 0 for t in times)):
        sys.exit("error: times_ms is not a list of iters positive numbers: %r" % times)
    if min(times) != obj["min_ms"] or max(times) != obj["max_ms"]:
        sys.exit("error: min_ms/max_ms disagree with times_ms")
    for key in ["threads", "iters", "warmup"]:
        want = getattr(args, key)
        if want is not None and obj[key] != want:
            sys.exit("error: %s is %r, expected %r" % (key, obj[key], want))
    print("bench json ok")


if __name__ == "__main__":
    main()

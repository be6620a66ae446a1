"""Shared by the Python runners: flags, CSV loading, memory readings. Standard library + numpy."""
import json
import resource
import sys

import numpy as np


def parse_args(argv):
    """`--name value` pairs, the same flags bench/run.ts gives every runner."""
    if len(argv) % 2:
        raise SystemExit(f"runner: odd argument list {argv}")
    out = {}
    for name, value in zip(argv[0::2], argv[1::2]):
        if not name.startswith("--"):
            raise SystemExit(f"runner: bad argument {name}")
        out[name[2:]] = value
    return out


def read_csv(path):
    """Header x0..x(p-1),y then numbers: returns (X float64 C-order, y)."""
    with open(path) as f:
        header = f.readline().strip().split(",")
    if header[-1] != "y":
        raise SystemExit(f"{path}: header must end with y (got {header})")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    return np.ascontiguousarray(data[:, :-1]), np.ascontiguousarray(data[:, -1])


def mtry_count(value, p):
    if value == "third":
        return max(1, p // 3)
    return int(value)


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def peak_rss_kb():
    """ru_maxrss: kilobytes on Linux."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rmse(y, pred):
    return float(np.sqrt(np.mean((np.asarray(pred, dtype=np.float64) - y) ** 2)))


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()

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


def read_classes_csv(path, k):
    """As read_csv, with y the class index 0..k-1 (checked): returns (X, y int64)."""
    X, y = read_csv(path)
    yi = y.astype(np.int64)
    if not np.array_equal(yi, y) or yi.min() < 0 or yi.max() >= k:
        raise SystemExit(f"{path}: y must hold class indices 0..{k - 1}")
    return X, yi


def sqrt_count(value, p):
    """scikit-learn's max_features "sqrt": max(1, int(sqrt(p)))."""
    if value == "sqrt":
        return max(1, int(np.sqrt(p)))
    return mtry_count(value, p)


def class_metrics(y, proba):
    """Test accuracy (arg-max, ties to the lowest class index, as numpy's argmax) and log loss as
    scikit-learn 1.2 computes it: each row clipped to [1e-15, 1 - 1e-15], divided by its sum,
    then the mean of -log(p[true class]). The TS and R runners do the same."""
    proba = np.asarray(proba, dtype=np.float64)
    accuracy = float(np.mean(np.argmax(proba, axis=1) == y))
    eps = 1e-15
    p = np.clip(proba, eps, 1 - eps)
    p = p / p.sum(axis=1, keepdims=True)
    log_loss = float(-np.mean(np.log(p[np.arange(len(y)), y])))
    return accuracy, log_loss

"""One scikit-learn RandomForestClassifier fit + predict_proba in its own process; one JSON line.

For the classification stage (bench/classification.ts). Run with /usr/bin/python3 (Debian's
python3-sklearn). Mapping from the stage's forest:
  n_estimators 100, max_features "sqrt" (max(1, int(sqrt(p)))), min_samples_leaf m, bootstrap
  True, criterion gini, n_jobs = threads (fit and predict_proba), random_state = seed,
  oob_score False (its default). fit_cpu_s / predict_cpu_s: CPU time of the process (all threads).
"""
import sys
import time

from common import class_metrics, emit, parse_args, peak_rss_kb, read_classes_csv, rss_kb, sqrt_count

args = parse_args(sys.argv[1:])
k = int(args["classes"])
X_train, y_train = read_classes_csv(args["train"], k)
X_test, y_test = read_classes_csv(args["test"], k)

import sklearn  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402

params = dict(
    n_estimators=int(args["trees"]),
    criterion="gini",
    max_features=sqrt_count(args["max-features"], X_train.shape[1]),
    min_samples_leaf=int(args["min-samples-leaf"]),
    bootstrap=True,
    n_jobs=int(args["threads"]),
    random_state=int(args["seed"]),
)
model = RandomForestClassifier(**params)
rss_before = rss_kb()

c0, t0 = time.process_time(), time.perf_counter()
model.fit(X_train, y_train)
fit_s, fit_cpu_s = time.perf_counter() - t0, time.process_time() - c0
if list(model.classes_) != list(range(k)):
    raise SystemExit(f"classes_ {list(model.classes_)}: expected 0..{k - 1} (a class missing from the training rows?)")
c1, t1 = time.process_time(), time.perf_counter()
proba = model.predict_proba(X_test)
predict_s, predict_cpu_s = time.perf_counter() - t1, time.process_time() - c1
accuracy, log_loss = class_metrics(y_test, proba)

emit(dict(
    competitor="sklearn",
    version=sklearn.__version__,
    threads=params["n_jobs"],
    fit_s=fit_s,
    fit_cpu_s=fit_cpu_s,
    predict_s=predict_s,
    predict_cpu_s=predict_cpu_s,
    accuracy=accuracy,
    log_loss=log_loss,
    n_train=int(X_train.shape[0]),
    n_test=int(X_test.shape[0]),
    n_classes=k,
    n_nodes=int(sum(t.tree_.node_count for t in model.estimators_)),
    rss_before_fit_kb=rss_before,
    peak_rss_kb=peak_rss_kb(),
    params=params,
))

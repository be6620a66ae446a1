"""One XGBoost random-forest-mode fit + predict_proba (XGBRFClassifier) in its own process; one JSON line.

For the classification stage (bench/classification.ts). XGBoost has no bootstrap, no per-leaf
row count and no class-frequency leaves, so the mapping is the closest it offers:
  n_estimators 100           -> n_estimators 100 (XGBRF: one boosting round of 100 parallel trees,
                                learning_rate 1; with k > 2 classes it grows 100 trees PER CLASS,
                                multi:softprob, so k x 100 trees)
  leaves                     -> a leaf holds a Newton step from the base margin, the trees' steps
                                are averaged and the sigmoid / softmax applied: not the average of
                                class frequencies that scikit-learn, ranger and grove compute
  max_features "sqrt"        -> colsample_bynode = int(sqrt(p)) / p (per split; XGBoost takes
                                max(1, int(fraction * p)) columns)
  bootstrap                  -> subsample 0.632 (rows drawn WITHOUT replacement; 0.632 is the share
                                of distinct rows a bootstrap sample holds)
  min_samples_leaf m         -> min_child_weight = m * h0, h0 the hessian of one row at the base
                                margin: 0.25 for binary:logistic (p = 0.5), 2 p (1 - p) with p = 1/k
                                for multi:softprob (XGBoost's softmax hessian carries the factor 2).
                                So a child needs about m rows, as min_samples_leaf m.
  no depth limit             -> grow_policy lossguide, max_depth 0, max_leaves 0 (unlimited)
  split search               -> tree_method hist, max_bin 256 (XGBoost's own histograms)
  regularisation             -> reg_lambda 1e-5 (XGBRFClassifier's default), no gamma
  threads                    -> n_jobs (fit and predict_proba); seed -> random_state
"""
import sys
import time

from common import class_metrics, emit, parse_args, peak_rss_kb, read_classes_csv, rss_kb, sqrt_count

args = parse_args(sys.argv[1:])
k = int(args["classes"])
X_train, y_train = read_classes_csv(args["train"], k)
X_test, y_test = read_classes_csv(args["test"], k)

import xgboost  # noqa: E402

p = X_train.shape[1]
h0 = 0.25 if k == 2 else 2.0 * (1.0 / k) * (1.0 - 1.0 / k)
params = dict(
    n_estimators=int(args["trees"]),
    colsample_bynode=sqrt_count(args["max-features"], p) / p,
    subsample=0.632,
    min_child_weight=float(args["min-samples-leaf"]) * h0,
    grow_policy="lossguide",
    max_depth=0,
    max_leaves=0,
    tree_method="hist",
    max_bin=256,
    learning_rate=1.0,
    reg_lambda=1e-5,
    n_jobs=int(args["threads"]),
    random_state=int(args["seed"]),
)
model = xgboost.XGBRFClassifier(**params)
rss_before = rss_kb()

c0, t0 = time.process_time(), time.perf_counter()
model.fit(X_train, y_train)
fit_s, fit_cpu_s = time.perf_counter() - t0, time.process_time() - c0
c1, t1 = time.process_time(), time.perf_counter()
proba = model.predict_proba(X_test)
predict_s, predict_cpu_s = time.perf_counter() - t1, time.process_time() - c1
if proba.shape != (X_test.shape[0], k):
    raise SystemExit(f"predict_proba gave shape {proba.shape}, expected ({X_test.shape[0]}, {k})")
accuracy, log_loss = class_metrics(y_test, proba)

emit(dict(
    competitor="xgboost-rf",
    version=xgboost.__version__,
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
    n_trees=int(params["n_estimators"]) * (1 if k == 2 else k),
    rss_before_fit_kb=rss_before,
    peak_rss_kb=peak_rss_kb(),
    params=params,
))

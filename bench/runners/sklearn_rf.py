"""One scikit-learn RandomForestRegressor fit + predict in its own process; one JSON line out.

Run with /usr/bin/python3 (Debian's python3-sklearn). Mapping from the bench config:
  n_estimators 100, max_features = the count (third of 10 features = 3), min_samples_leaf 5,
  bootstrap True, n_jobs = threads (fit and predict), random_state = seed, criterion
  squared_error, oob_score False (its default). scikit-learn copies X to float32 inside fit:
  that copy is part of its fit time and its peak RSS, as for any user.
"""
import sys
import time

from common import emit, mtry_count, parse_args, peak_rss_kb, read_csv, rmse, rss_kb

args = parse_args(sys.argv[1:])
X_train, y_train = read_csv(args["train"])
X_test, y_test = read_csv(args["test"])

import sklearn  # noqa: E402
from sklearn.ensemble import RandomForestRegressor  # noqa: E402

params = dict(
    n_estimators=int(args["trees"]),
    max_features=mtry_count(args["max-features"], X_train.shape[1]),
    min_samples_leaf=int(args["min-samples-leaf"]),
    bootstrap=True,
    n_jobs=int(args["threads"]),
    random_state=int(args["seed"]),
)
model = RandomForestRegressor(**params)
rss_before = rss_kb()

t0 = time.perf_counter()
model.fit(X_train, y_train)
fit_s = time.perf_counter() - t0
t1 = time.perf_counter()
pred = model.predict(X_test)
predict_s = time.perf_counter() - t1

emit(dict(
    competitor="sklearn",
    version=sklearn.__version__,
    threads=params["n_jobs"],
    fit_s=fit_s,
    predict_s=predict_s,
    rmse=rmse(y_test, pred),
    n_train=int(X_train.shape[0]),
    n_test=int(X_test.shape[0]),
    n_nodes=int(sum(t.tree_.node_count for t in model.estimators_)),
    rss_before_fit_kb=rss_before,
    peak_rss_kb=peak_rss_kb(),
    params=params,
))

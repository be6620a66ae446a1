"""One XGBoost random-forest-mode fit + predict (XGBRFRegressor) in its own process; one JSON line.

XGBoost has no bootstrap and no per-leaf row count, so the mapping is the closest it offers:
  n_estimators 100           -> n_estimators 100 (XGBRF: one boosting round of 100 parallel trees,
                                learning_rate 1)
  max_features 3 of 10       -> colsample_bynode = 3/10 (per split, as scikit-learn's max_features;
                                XGBoost takes max(1, int(fraction * p)) columns)
  bootstrap                  -> subsample 0.632 (rows drawn WITHOUT replacement; 0.632 is the share
                                of distinct rows a bootstrap sample holds)
  min_samples_leaf 5         -> min_child_weight 5 (squared error: hessian 1 per row, so the minimum
                                row count of a child)
  no depth limit             -> grow_policy lossguide, max_depth 0, max_leaves 0 (unlimited)
  split search               -> tree_method hist, max_bin 256 (XGBoost's own histograms)
  regularisation             -> reg_lambda 1e-5 (XGBRFRegressor's default), no gamma
  threads                    -> n_jobs (fit and predict); seed -> random_state
"""
import sys
import time

from common import emit, mtry_count, parse_args, peak_rss_kb, read_csv, rmse, rss_kb

args = parse_args(sys.argv[1:])
X_train, y_train = read_csv(args["train"])
X_test, y_test = read_csv(args["test"])

import xgboost  # noqa: E402

p = X_train.shape[1]
params = dict(
    n_estimators=int(args["trees"]),
    colsample_bynode=mtry_count(args["max-features"], p) / p,
    subsample=0.632,
    min_child_weight=float(args["min-samples-leaf"]),
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
model = xgboost.XGBRFRegressor(**params)
rss_before = rss_kb()

t0 = time.perf_counter()
model.fit(X_train, y_train)
fit_s = time.perf_counter() - t0
t1 = time.perf_counter()
pred = model.predict(X_test)
predict_s = time.perf_counter() - t1

emit(dict(
    competitor="xgboost-rf",
    version=xgboost.__version__,
    threads=params["n_jobs"],
    fit_s=fit_s,
    predict_s=predict_s,
    rmse=rmse(y_test, pred),
    n_train=int(X_train.shape[0]),
    n_test=int(X_test.shape[0]),
    rss_before_fit_kb=rss_before,
    peak_rss_kb=peak_rss_kb(),
    params=params,
))

"""The scikit-learn + joblib peer of `grove tune diabetes --trials 10 --sampler random --cv 3`:
RandomizedSearchCV over the same default space, 3-fold inner CV on the non-test 80%, refit,
one test evaluation. Timed as a whole command by the caller. Prints one JSON line."""
import json
import sys

import numpy as np
from scipy.stats import randint
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import RandomizedSearchCV, train_test_split

path, seed, jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = np.loadtxt(path, delimiter=",", skiprows=1)
X, y = data[:, :-1], data[:, -1]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=seed)
space = {
    "n_estimators": randint(10, 201),
    "max_depth": [None] + list(range(2, 21)),
    "min_samples_split": randint(2, 11),
    "min_samples_leaf": randint(1, 11),
    "max_features": [1.0, "sqrt", 0.5, 0.33],
}
search = RandomizedSearchCV(RandomForestRegressor(random_state=seed), space, n_iter=10, cv=3,
                            scoring="neg_root_mean_squared_error", n_jobs=jobs, random_state=seed)
search.fit(X_train, y_train)
rmse = mean_squared_error(y_test, search.predict(X_test)) ** 0.5
print(json.dumps({"test_rmse": rmse, "best_val_rmse": -search.best_score_, "best_params": {k: str(v) for k, v in search.best_params_.items()}}))

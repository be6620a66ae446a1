# One ranger probability-forest fit + predict in its own process; prints one JSON line on stdout.
# For the classification stage (bench/classification.ts):
#   Rscript bench/runners/ranger_rf_classifier.R --train F --test F --classes K --threads N
#           --seed S --trees 100 --min-samples-leaf 5 --max-features sqrt
# Mapping from the stage's forest (scikit-learn semantics) to ranger:
#   probability forest -> probability TRUE (leaves hold class frequencies, averaged over trees:
#                         scikit-learn's soft vote); y a factor with levels 0..K-1
#   n_estimators 100   -> num.trees 100
#   max_features sqrt  -> mtry max(1, floor(sqrt(p))) (per split, as scikit-learn)
#   bootstrap          -> replace TRUE, sample.fraction 1 (ranger's defaults)
#   min_samples_leaf m -> as bench/runners/ranger_rf.R: min.bucket m and min.node.size 2m where
#                         ranger has min.bucket (>= 0.15); ranger 0.14 (Debian bookworm) only has
#                         min.node.size (a node with <= min.node.size rows is not split, children
#                         may be as small as 1 row): min.node.size 2m-1 there
#   criterion gini     -> splitrule "gini"; write.forest TRUE, importance "none";
#                         threads -> num.threads (fit and predict); seed -> seed
# Accuracy: arg-max, ties to the lowest class (max.col ties.method "first"); log loss as
# scikit-learn 1.2 (rows clipped to [1e-15, 1 - 1e-15], divided by their sum, mean -log p[true]).
# Times: elapsed (wall) and user + system CPU of the process (all threads). Peak RSS: VmHWM (KB).
suppressPackageStartupMessages(library(ranger))

argv <- commandArgs(trailingOnly = TRUE)
if (length(argv) %% 2 != 0) stop("runner: odd argument list")
args <- setNames(as.list(argv[c(FALSE, TRUE)]), sub("^--", "", argv[c(TRUE, FALSE)]))

read_bench_csv <- function(path) {
  header <- strsplit(readLines(path, n = 1), ",")[[1]]
  if (tail(header, 1) != "y") stop(paste(path, ": header must end with y"))
  v <- scan(path, what = double(), sep = ",", skip = 1, quiet = TRUE)
  m <- matrix(v, ncol = length(header), byrow = TRUE)
  colnames(m) <- header
  m
}

status_kb <- function(field) {
  lines <- readLines("/proc/self/status")
  line <- lines[startsWith(lines, paste0(field, ":"))]
  as.numeric(strsplit(trimws(sub(paste0(field, ":"), "", line)), "\\s+")[[1]][1])
}

cpu_s <- function() {
  t <- proc.time()
  t[["user.self"]] + t[["sys.self"]]
}

k <- as.integer(args$classes)
train <- read_bench_csv(args$train)
test <- read_bench_csv(args$test)
p <- ncol(train) - 1
x_train <- train[, 1:p, drop = FALSE]
x_test <- test[, 1:p, drop = FALSE]
levels_k <- as.character(0:(k - 1))
check_y <- function(y, path) {
  if (any(y != round(y)) || any(y < 0) || any(y >= k)) stop(paste0(path, ": y must hold class indices 0..", k - 1))
  factor(as.character(y), levels = levels_k)
}
y_train <- check_y(train[, p + 1], args$train)
y_test <- as.integer(test[, p + 1])
rm(train, test)

mtry <- if (args[["max-features"]] == "sqrt") max(1L, as.integer(floor(sqrt(p)))) else as.integer(args[["max-features"]])
leaf <- as.integer(args[["min-samples-leaf"]])
threads <- as.integer(args$threads)
params <- list(num.trees = as.integer(args$trees), mtry = mtry, replace = TRUE, sample.fraction = 1,
               probability = TRUE, splitrule = "gini", importance = "none", write.forest = TRUE,
               num.threads = threads, seed = as.integer(args$seed), verbose = FALSE)
if ("min.bucket" %in% names(formals(ranger::ranger))) {
  params$min.bucket <- leaf
  params$min.node.size <- 2L * leaf
} else {
  params$min.node.size <- 2L * leaf - 1L
}
rss_before <- status_kb("VmRSS")

c0 <- cpu_s()
t0 <- proc.time()[["elapsed"]]
model <- do.call(ranger::ranger, c(list(x = x_train, y = y_train), params))
fit_s <- proc.time()[["elapsed"]] - t0
fit_cpu_s <- cpu_s() - c0
c1 <- cpu_s()
t1 <- proc.time()[["elapsed"]]
proba <- predict(model, data = x_test, num.threads = threads)$predictions
predict_s <- proc.time()[["elapsed"]] - t1
predict_cpu_s <- cpu_s() - c1

# columns in class order 0..k-1 whatever order ranger gives them
if (!setequal(colnames(proba), levels_k)) stop(paste("predictions have columns", paste(colnames(proba), collapse = ","), "expected 0..", k - 1))
proba <- proba[, levels_k, drop = FALSE]
accuracy <- mean(max.col(proba, ties.method = "first") - 1L == y_test)
clipped <- pmin(pmax(proba, 1e-15), 1 - 1e-15)
clipped <- clipped / rowSums(clipped)
log_loss <- -mean(log(clipped[cbind(seq_along(y_test), y_test + 1L)]))

num <- function(x) format(x, digits = 17, scientific = FALSE, trim = TRUE)
param_json <- paste0(
  vapply(names(params), function(key) {
    v <- params[[key]]
    val <- if (is.character(v)) paste0('"', v, '"') else if (is.logical(v)) tolower(as.character(v)) else num(v)
    paste0('"', key, '":', val)
  }, character(1)),
  collapse = ","
)
cat(paste0(
  '{"competitor":"ranger","version":"', as.character(packageVersion("ranger")), '"',
  ',"threads":', threads,
  ',"fit_s":', num(fit_s),
  ',"fit_cpu_s":', num(fit_cpu_s),
  ',"predict_s":', num(predict_s),
  ',"predict_cpu_s":', num(predict_cpu_s),
  ',"accuracy":', num(accuracy),
  ',"log_loss":', num(log_loss),
  ',"n_train":', nrow(x_train),
  ',"n_test":', nrow(x_test),
  ',"n_classes":', k,
  ',"rss_before_fit_kb":', num(rss_before),
  ',"peak_rss_kb":', num(status_kb("VmHWM")),
  ',"params":{', param_json, '}}\n'
))

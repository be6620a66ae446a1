# One ranger fit + predict in its own process; prints one JSON line on stdout.
#   Rscript bench/runners/ranger_rf.R --train F --test F --threads N --seed S --trees 100
#           --min-samples-leaf 5 --max-features third
# Mapping from the bench config (scikit-learn semantics) to ranger:
#   n_estimators 100   -> num.trees 100
#   max_features 3     -> mtry 3 (per split, as scikit-learn)
#   bootstrap          -> replace TRUE, sample.fraction 1 (ranger's defaults)
#   min_samples_leaf m -> ranger >= 0.15 has min.bucket (minimal terminal node size, the same
#                         meaning): min.bucket m, min.node.size 2m (a node needs 2m rows to be
#                         split). ranger 0.14 (Debian bookworm) only has min.node.size, meaning:
#                         a node with <= min.node.size rows is not split, and children may be
#                         as small as 1 row. There we use min.node.size 2m-1, so exactly the
#                         nodes that could be split under min_samples_leaf m may split; its
#                         leaves can hold fewer than m rows (trees somewhat deeper).
#   criterion          -> splitrule "variance"; write.forest TRUE (needed to predict),
#                         importance "none"; threads -> num.threads (fit and predict);
#                         seed -> seed.
# Peak RSS: VmHWM from /proc/self/status (KB).
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

train <- read_bench_csv(args$train)
test <- read_bench_csv(args$test)
p <- ncol(train) - 1
x_train <- train[, 1:p, drop = FALSE]
y_train <- train[, p + 1]
x_test <- test[, 1:p, drop = FALSE]
y_test <- test[, p + 1]
rm(train, test)

mtry <- if (args[["max-features"]] == "third") max(1L, p %/% 3L) else as.integer(args[["max-features"]])
leaf <- as.integer(args[["min-samples-leaf"]])
threads <- as.integer(args$threads)
params <- list(num.trees = as.integer(args$trees), mtry = mtry, replace = TRUE, sample.fraction = 1,
               splitrule = "variance", importance = "none", write.forest = TRUE,
               num.threads = threads, seed = as.integer(args$seed), verbose = FALSE)
if ("min.bucket" %in% names(formals(ranger::ranger))) {
  params$min.bucket <- leaf
  params$min.node.size <- 2L * leaf
} else {
  params$min.node.size <- 2L * leaf - 1L
}
rss_before <- status_kb("VmRSS")

t0 <- proc.time()[["elapsed"]]
model <- do.call(ranger::ranger, c(list(x = x_train, y = y_train), params))
fit_s <- proc.time()[["elapsed"]] - t0
t1 <- proc.time()[["elapsed"]]
pred <- predict(model, data = x_test, num.threads = threads)$predictions
predict_s <- proc.time()[["elapsed"]] - t1

num <- function(x) format(x, digits = 17, scientific = FALSE, trim = TRUE)
param_json <- paste0(
  vapply(names(params), function(k) {
    v <- params[[k]]
    val <- if (is.character(v)) paste0('"', v, '"') else if (is.logical(v)) tolower(as.character(v)) else num(v)
    paste0('"', k, '":', val)
  }, character(1)),
  collapse = ","
)
cat(paste0(
  '{"competitor":"ranger","version":"', as.character(packageVersion("ranger")), '"',
  ',"threads":', threads,
  ',"fit_s":', num(fit_s),
  ',"predict_s":', num(predict_s),
  ',"rmse":', num(sqrt(mean((pred - y_test)^2))),
  ',"n_train":', nrow(x_train),
  ',"n_test":', nrow(x_test),
  ',"rss_before_fit_kb":', num(rss_before),
  ',"peak_rss_kb":', num(status_kb("VmHWM")),
  ',"params":{', param_json, '}}\n'
))

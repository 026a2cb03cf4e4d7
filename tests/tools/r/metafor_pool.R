# metafor as the oracle for raremix compare's pooled rows.
# Arguments: a CSV of (group, x, n) rows, one per cohort of each group, the pooling method
# (a toolkit.choices.POOLING_METHODS name) and the confidence level. Prints, per group, the
# random-effects pooled proportion with its confidence and prediction intervals, tau², I², Q and
# its p-value, and the Knapp-Hartung interval, computed by metafor::rma (DL, REML) or
# metafor::rma.glmm (binomial-normal model by maximum likelihood) on the logit scale.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
counts <- read.csv(args[1], stringsAsFactors = FALSE)
method <- args[2]
level <- 100 * as.numeric(args[3])
fit_one <- function(x, n, test = "z") {
  if (method %in% c("dl", "reml")) {
    rma(measure = "PLO", xi = x, ni = n, method = toupper(method), test = test, level = level,
        control = list(threshold = 1e-12, maxiter = 100000, stepadj = 0.5))
  } else if (method == "glmm") {
    rma.glmm(measure = "PLO", xi = x, ni = n, method = "ML", test = test, level = level)
  } else {
    stop("no metafor equivalent known for pooling method '", method, "': add it here")
  }
}
out <- list()
for (group in unique(counts$group)) {
  rows <- counts[counts$group == group, ]
  fit <- fit_one(rows$x, rows$n)
  pred <- predict(fit, transf = transf.ilogit)
  kh <- tryCatch(predict(fit_one(rows$x, rows$n, "knha"), transf = transf.ilogit),
                 error = function(e) NULL)
  out[[group]] <- list(
    k = fit$k, prevalence = pred$pred, ci_lower = pred$ci.lb, ci_upper = pred$ci.ub,
    pi_lower = pred$pi.lb, pi_upper = pred$pi.ub, tau2 = fit$tau2, i2 = fit$I2 / 100,
    q = fit$QE, q_pvalue = fit$QEp, logit = as.numeric(fit$b), se = fit$se,
    kh_lower = if (is.null(kh)) NA else kh$ci.lb, kh_upper = if (is.null(kh)) NA else kh$ci.ub,
    kh_pi_lower = if (is.null(kh)) NA else kh$pi.lb, kh_pi_upper = if (is.null(kh)) NA else kh$pi.ub
  )
}
cat(toJSON(out, digits = NA, na = "null", auto_unbox = TRUE))

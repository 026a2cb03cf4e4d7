# metafor as the oracle for raremix compare's pooled rows.
# Arguments: a CSV of (group, x, n) rows, one per cohort of each group, the pooling method
# (a toolkit.choices.POOLING_METHODS name) and the confidence level. Prints, per group, what
# metafor computes on the logit scale, back-transformed where raremix reports proportions:
# - the fit: metafor::rma(measure = "PLO", method = "DL" | "REML") or, for "glmm",
#   metafor::rma.glmm(measure = "PLO", method = "ML") (the binomial-normal model); its pooled
#   logit, standard error, tau², I² and Wald confidence interval;
# - Cochran's Q and its p-value from the inverse-variance fit of the same logits (0.5 added
#   only for 0/n and n/n cohorts, metafor's default), as raremix reports them for every model;
# - the prediction interval of Higgins, Thompson & Spiegelhalter (2009): t with k - 2 degrees
#   of freedom and sqrt(tau² + se²), from metafor's estimates (metafor 3.8's predict() uses z);
# - the Hartung-Knapp-Sidik-Jonkman interval with Röver et al.'s (2015) modification:
#   rma(test = "adhoc"), and the prediction interval from its standard error;
# - for "glmm", the marginal log-likelihood (binomial-normal, integrated with integrate() to
#   1e-12) at metafor's estimates and at raremix's (the CSV's logit and tau2 columns): lme4's
#   optimiser stops short of the maximum by up to ~0.2% in tau² (and much more when tau² runs
#   off towards infinity), so the likelihood says which fit is the maximum.
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
    rma.glmm(measure = "PLO", xi = x, ni = n, method = "ML", level = level)
  } else {
    stop("no metafor equivalent known for pooling method '", method, "': add it here")
  }
}
higgins <- function(mu, se, tau2, k) {
  if (k < 3) return(c(NA, NA))
  half <- qt(1 - (1 - level / 100) / 2, k - 2) * sqrt(tau2 + se^2)
  transf.ilogit(c(mu - half, mu + half))
}
loglik <- function(mu, tau2, x, n) {
  sum(vapply(seq_along(x), function(i) {
    f <- function(u) dbinom(x[i], n[i], plogis(mu + sqrt(tau2) * u)) * dnorm(u)
    log(integrate(f, -Inf, Inf, rel.tol = 1e-12)$value)
  }, 0))
}
out <- list()
for (group in unique(counts$group)) {
  rows <- counts[counts$group == group, ]
  fit <- tryCatch(fit_one(rows$x, rows$n), error = function(e) NULL)
  if (is.null(fit)) {  # no estimate (rma.glmm: no finite maximum)
    out[[group]] <- list(k = nrow(rows), tau2 = NA, prevalence = NA)
    next
  }
  mu <- as.numeric(fit$b)
  heterogeneity <- rma(measure = "PLO", xi = rows$x, ni = rows$n, method = "DL")
  pi <- higgins(mu, fit$se, fit$tau2, fit$k)
  result <- list(
    k = fit$k, prevalence = transf.ilogit(mu), ci_lower = transf.ilogit(fit$ci.lb),
    ci_upper = transf.ilogit(fit$ci.ub), pi_lower = pi[1], pi_upper = pi[2],
    tau2 = fit$tau2, i2 = fit$I2 / 100, q = heterogeneity$QE, q_pvalue = heterogeneity$QEp,
    logit = mu, se = fit$se
  )
  if (method %in% c("dl", "reml")) {
    adhoc <- fit_one(rows$x, rows$n, "adhoc")
    pi_adhoc <- higgins(as.numeric(adhoc$b), adhoc$se, adhoc$tau2, adhoc$k)
    result <- c(result, list(
      kh_lower = transf.ilogit(adhoc$ci.lb), kh_upper = transf.ilogit(adhoc$ci.ub),
      kh_pi_lower = pi_adhoc[1], kh_pi_upper = pi_adhoc[2], kh_se = adhoc$se
    ))
  }
  if (method == "glmm") {
    result$ll_metafor <- loglik(mu, fit$tau2, rows$x, rows$n)
    result$ll_raremix <- if (is.na(rows$logit[1])) NA else
      loglik(rows$logit[1], rows$tau2[1], rows$x, rows$n)
  }
  out[[group]] <- result
}
cat(toJSON(out, digits = NA, na = "null", auto_unbox = TRUE))

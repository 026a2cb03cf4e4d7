"""raremix: rare-disease mixed-methods reporting.

Coded interview themes + participant metadata → theme prevalence with small-sample
confidence intervals, subgroup and cross-cohort comparison, and reproducible reports.
"""

__version__ = "0.1.0"

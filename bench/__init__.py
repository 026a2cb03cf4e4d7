"""Benchmarks of raremix against pandas + statsmodels and a polars floor (`make bench`)."""

"""Inputs: one reader per source format, each producing the canonical frames."""

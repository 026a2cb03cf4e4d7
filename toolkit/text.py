"""Small wording helpers shared by every layer (standard library only)."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """``1 participant``, ``2 participants``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"

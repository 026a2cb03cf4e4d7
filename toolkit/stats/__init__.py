"""Statistics: pure functions over counts and polars frames.

Public API::

    from toolkit.stats import proportion_ci, difference_ci
"""

from toolkit.stats.differences import difference_ci
from toolkit.stats.intervals import proportion_ci

__all__ = ["difference_ci", "proportion_ci"]

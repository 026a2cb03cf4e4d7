"""Shared test set-up: hypothesis profiles and paths to bundled and shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# CI: derandomized (a fixed seed per test) and no deadline, so a slow or busy machine never
# turns a correct property into a flaky failure. Locally: random, still without deadline.
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def calciphylaxis() -> Path:
    path = EXAMPLES / "calciphylaxis"
    if not (path / "study.yml").is_file():
        pytest.skip("examples/calciphylaxis is not there yet")
    return path


@pytest.fixture
def shared_fixtures() -> Path:
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found at {SHARED_FIXTURES}")
    return SHARED_FIXTURES

"""The regular expressions a study.yml declares (``privacy.redact.patterns``), checked.

They are checked while a study is loaded, so a bad pattern is reported with every other
problem of the study, before any output is written; the redaction in :mod:`toolkit.privacy`
applies them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from toolkit.errors import InputError, Problem


def compile_patterns(
    patterns: Mapping[str, str], *, file: str = "study.yml"
) -> dict[str, re.Pattern[str]]:
    """Compile ``privacy.redact.patterns`` (key -> regular expression), in their order.

    Args:
        patterns: the patterns by key, as in study.yml.
        file: the manifest name for error messages.

    Returns:
        The compiled patterns by key.

    Raises:
        InputError: a pattern is not a valid regular expression, or matches empty text; the
            problem names its key (``privacy.redact.patterns.<key>``).
    """
    compiled: dict[str, re.Pattern[str]] = {}
    problems = []
    for key, source in patterns.items():
        column = f"privacy.redact.patterns.{key}"
        try:
            pattern = re.compile(source)
        except re.error as error:
            problems.append(
                Problem(
                    file,
                    f"not a valid regular expression ({error}); fix or remove it",
                    column=column,
                )
            )
            continue
        if pattern.search("") is not None:
            problems.append(
                Problem(
                    file,
                    "the pattern matches empty text, so it would redact everywhere; make it match at least one character",
                    column=column,
                )
            )
            continue
        compiled[key] = pattern
    if problems:
        raise InputError(problems)
    return compiled

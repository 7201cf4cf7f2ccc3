"""How hard the property tests try: CI's full example counts, or a tenth of them locally.

tests/conftest.py loads the hypothesis profile that HYPOTHESIS_PROFILE names:
"ci" (make test and .ci/run set it) or "dev" (the default, for the fast loop).
A test that sets its own count writes ``max_examples=examples(n)``: n examples
under "ci", a tenth of them (at least two) under "dev". Tests without a count of
their own try hypothesis's default 100 under "ci" and 10 under "dev".
"""

import os

from hypothesis import settings

settings.register_profile("ci", max_examples=100)
settings.register_profile("dev", max_examples=10)


def load_profile() -> None:
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def examples(ci: int) -> int:
    """The number of examples for a test that tries `ci` of them in CI."""
    if settings.get_current_profile_name() == "ci":
        return ci
    return max(2, ci // 10)

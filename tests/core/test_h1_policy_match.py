"""The policy wildcard match's literal and trailing-star shortcuts (H1: no regex compiled per
bucket ARN) answer as the regex does, for every pattern shape."""

from __future__ import annotations

import itertools
import random

from auditor.providers.aws._iam_policy import _regex, matches

_PIECES = ["arn:aws:s3:::b", "/", "*", "?", "B", "\n", ".", "x", ""]


def _patterns() -> list[str]:
    out = {"".join(p) for n in range(4) for p in itertools.product(_PIECES, repeat=n)}
    return sorted(out)


def test_every_shape_matches_as_the_regex_does() -> None:
    rng = random.Random(14)
    patterns = _patterns()
    values = sorted({"".join(rng.choice([*_PIECES[:2], "B", "x", "\n", ".", "b"])
                             for _ in range(rng.randrange(5))) for _ in range(300)}
                    | {p.replace("*", "").replace("?", "x") for p in patterns})
    for pattern in patterns:
        for value in values:
            for ignore_case in (False, True):
                expected = _regex(pattern, ignore_case).fullmatch(value) is not None
                assert matches(pattern, value, ignore_case) is expected, (pattern, value)

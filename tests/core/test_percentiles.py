"""One percentile for every figure: q in 0..100, values in any order, None for no values,
linear between the closest ranks. Checked against a plain reading of that definition in exact
fractions, and against numpy's "linear" method."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scc.percentiles import percentile

VALUES = st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=60)
QS = st.floats(min_value=0, max_value=100)


def reference(values: list[float], q: float) -> float:
    """The sorted values stand at 0, 1/(n-1), ..., 1; the percentile lies on the line between two of them."""
    ordered = [Fraction(v) for v in sorted(values)]
    if len(ordered) == 1:
        return float(ordered[0])
    at = Fraction(q) / 100 * (len(ordered) - 1)
    for k in range(len(ordered) - 1):
        if k <= at <= k + 1:
            return float(ordered[k] + (ordered[k + 1] - ordered[k]) * (at - k))
    raise AssertionError("q outside 0..100")


def close(a: float, b: float, values: list[float]) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, *map(abs, values)))


@given(VALUES, QS)
def test_agrees_with_the_definition_and_with_numpy(values, q):
    got = percentile(values, q)
    assert got is not None
    assert close(got, reference(values, q), values)
    assert close(got, float(numpy.percentile(values, q, method="linear")), values)


@given(VALUES, QS, st.randoms())
def test_order_of_the_values_does_not_matter(values, q, rnd):
    shuffled = values[:]
    rnd.shuffle(shuffled)
    assert percentile(shuffled, q) == percentile(values, q)
    assert percentile(iter(shuffled), q) == percentile(values, q)  # any iterable, read once


@given(VALUES, QS, QS)
def test_stays_within_the_values_and_grows_with_q(values, q1, q2):
    low, high = sorted((q1, q2))
    a, b = percentile(values, low), percentile(values, high)
    assert a is not None and b is not None
    slack = 1e-9 * max(1.0, *map(abs, values))
    assert min(values) - slack <= a <= b + slack and b <= max(values) + slack
    assert percentile(values, 0) == min(values) and percentile(values, 100) == max(values)


def test_known_values():
    assert percentile([], 50) is None
    assert percentile([7.0], 90) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile(range(1, 11), 90) == pytest.approx(9.1)
    assert percentile([10, 20], 95) == pytest.approx(19.5)


@pytest.mark.parametrize("q", [-1, -0.05, 100.5])
def test_q_is_a_percentage(q):
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0, 2.0], q)

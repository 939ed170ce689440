"""Mutation fuzzing of collect, bounded for CI (``python -m tests.fuzz --minutes 30`` for long runs):
damaged copies of real returns of every built-in plan, collected beside valid returns; no exception
escapes, every file ends in one state, valid returns are accepted, accepted values are what an
independent reader reads."""

from __future__ import annotations

import random
import warnings

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.fuzz import build_sources, run_batch


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    return build_sources(tmp_path_factory.mktemp("fuzz"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          database=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), plan=st.integers(min_value=0, max_value=3),
       mutants=st.integers(min_value=1, max_value=8))
def test_collect_survives_damaged_returns(sources, seed, plan, mutants):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate members the fuzzer writes on purpose
        result = run_batch(sources[plan], random.Random(seed), mutants)
    assert not result.escapes, "\n".join(result.escapes)

"""Mutation fuzzing of plan import, bounded for CI (``python -m tests.fuzz_import --minutes 30`` for long runs):
damaged appendices of every shape other offices publish, as Word and Excel; import returns a plan or a
located refusal, quickly, and a plan it returns checks without an exception."""

from __future__ import annotations

import random
import warnings

from hypothesis import HealthCheck, given, settings, strategies as st

from tests.fuzz_import import run_one, sources

CORPUS = sources()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          database=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), which=st.integers(min_value=0, max_value=len(CORPUS) - 1))
def test_plan_import_survives_damaged_documents(tmp_path_factory, seed, which):
    name, data = CORPUS[which]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate parts the fuzzer writes on purpose
        escapes = run_one(name, data, data, random.Random(seed), tmp_path_factory.mktemp("fuzz-import"))
    assert not escapes, "\n".join(escapes)

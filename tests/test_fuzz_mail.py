"""Mutation fuzzing of mail, bounded for CI (``python -m tests.fuzz_mail --minutes 30`` for long runs): damaged
replies read as fetch and collect read them; nothing raises, names are writable, no control character reaches
the terminal, every file ends in one state and the undamaged returns beside them are accepted."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.fuzz_mail import build_corpus, run_batch


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-mail")
    (folder / "names").mkdir()
    return folder, *build_corpus(folder)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          database=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_mail_survives_damaged_messages(corpus, seed):
    folder, campaign, returns = corpus
    escapes = run_batch(campaign, returns, random.Random(seed), 6, folder / "names")
    assert not escapes, "\n".join(escapes)

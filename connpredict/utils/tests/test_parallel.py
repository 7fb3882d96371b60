"""run_calls: this process and warm workers share a list of calls."""

import os

import pytest
from joblib import parallel_config

from connpredict.utils._parallel import local_workers, run_calls


def _where(i):
    return i * i, os.getpid()


def _fail_on(i, bad):
    if i == bad:
        raise ValueError(f"call {i} failed")
    return i


def test_serial_runs_every_call_here_in_the_given_order():
    seen = []
    results = run_calls(
        [(_where, (i,)) for i in range(5)],
        1,
        order=[4, 2, 0, 1, 3],
        done=lambda i, r: seen.append(i),
    )
    assert [r[0] for r in results] == [0, 1, 4, 9, 16]  # by position
    assert seen == [4, 2, 0, 1, 3]  # taken in ``order``
    assert {pid for _, pid in results} == {os.getpid()}


def test_two_jobs_share_the_calls_between_this_process_and_a_worker():
    calls = [(_where, (i,)) for i in range(12)]
    local = []

    def here(func, args):
        local.append(args[0])
        return func(*args)

    results = run_calls(calls, 2, local=here)
    assert [r[0] for r in results] == [i * i for i in range(12)]
    pids = {pid for _, pid in results}
    assert os.getpid() in pids and len(pids) == 2
    # every call ran once: the ones run here went through ``local``
    assert sorted(i for i, (_, pid) in enumerate(results) if pid == os.getpid()) == (
        sorted(local)
    )


@pytest.mark.parametrize("bad", [0, 7])
def test_a_failure_here_or_in_a_worker_is_raised(bad):
    with pytest.raises(ValueError, match=f"call {bad} failed"):
        run_calls([(_fail_on, (i, bad)) for i in range(8)], 2)


def test_another_backend_runs_every_call():
    with parallel_config(backend="threading"):
        assert local_workers(2) is None
        results = run_calls([(_where, (i,)) for i in range(4)], 2)
    assert [r[0] for r in results] == [0, 1, 4, 9]
    assert {pid for _, pid in results} == {os.getpid()}  # threads of this process

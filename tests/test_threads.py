"""chainrule.get_num_threads / set_num_threads and the loop they split (chainrule._parallel)."""

import threading

import pytest

import chainrule as torch
from chainrule import _parallel


@pytest.fixture
def restore_threads():
    old = torch.get_num_threads()
    yield
    torch.set_num_threads(old)


def test_set_then_get(restore_threads):
    torch.set_num_threads(3)
    assert torch.get_num_threads() == 3


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_rejects_what_is_not_a_positive_int(bad, restore_threads):
    with pytest.raises(ValueError, match="set_num_threads: expected a positive int"):
        torch.set_num_threads(bad)


def test_default_follows_the_environment(monkeypatch):
    monkeypatch.setenv("CHAINRULE_NUM_THREADS", "5")
    assert _parallel._default_threads() == 5
    monkeypatch.delenv("CHAINRULE_NUM_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    assert _parallel._default_threads() == 4


@pytest.mark.parametrize("n, threads", [(1, 2), (7, 2), (10, 3), (2, 5)])
def test_split_rows_covers_every_row_once(n, threads, monkeypatch, restore_threads):
    monkeypatch.setattr(_parallel, "PAR_MIN", 1)
    torch.set_num_threads(threads)
    seen, callers, lock = [], set(), threading.Lock()

    def fn(a, b):
        with lock:
            seen.extend(range(a, b))
            callers.add(threading.get_ident())

    _parallel.split_rows(fn, n, size=n)
    assert sorted(seen) == list(range(n))
    assert len(callers) <= min(n, threads)


def test_small_work_stays_on_the_calling_thread(restore_threads):
    torch.set_num_threads(2)
    callers = []
    _parallel.split_rows(lambda a, b: callers.append((threading.get_ident(), a, b)), 8, size=8)
    assert callers == [(threading.get_ident(), 0, 8)]


def test_an_error_in_a_worker_reaches_the_caller(monkeypatch, restore_threads):
    monkeypatch.setattr(_parallel, "PAR_MIN", 1)
    torch.set_num_threads(2)

    def fn(a, b):
        if a > 0:
            raise ValueError("worker failed")

    with pytest.raises(ValueError, match="worker failed"):
        _parallel.split_rows(fn, 4, size=4)

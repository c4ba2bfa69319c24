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


def test_compiled_kernels_called_from_several_threads_at_once(monkeypatch, restore_threads):
    """Numba's pool takes one parallel launch at a time (a concurrent one aborts the process):
    threads that find it busy run the serial build, with the same results."""
    import numpy as np

    from chainrule import _jit
    from chainrule.ops import conv, elementwise_fused, pooling, pooling_fused

    if _jit.load() is None:
        pytest.skip("Numba is not installed: no compiled kernels")
    monkeypatch.setattr(_parallel, "PAR_MIN", 1)
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 8, 12, 12)).astype(np.float32)
    w = rng.standard_normal((4, 8, 3, 3)).astype(np.float32)
    geom = pooling.PoolGeometry((2, 2), (2, 2), (0, 0), (0, 0), (1, 1), (6, 6))
    conv_geom = conv.Geometry((1, 1), (0, 0), (0, 0), (1, 1), 1)
    gy = rng.standard_normal((16, 4, 10, 10)).astype(np.float32)

    def run():
        best, arg = pooling_fused.max_pool2d(x, geom, np.uint8)
        gx = pooling_fused.scatter2d(best, arg, geom, (12, 12))
        return best, gx, elementwise_fused.relu_grad(x, gx), conv.conv_input_grad_arrays(
            gy, w, x.shape, conv_geom)

    expected = run()
    results, errors = [], []

    def work():
        try:
            for _ in range(40):
                results.append(run())
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 120
    for got in results:
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b)

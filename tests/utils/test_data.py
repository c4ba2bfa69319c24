"""chainrule.utils.data: datasets, samplers, collation and the DataLoader (with workers)."""

import collections
import os
import time
from types import MappingProxyType

import numpy as np
import pytest

import chainrule
from chainrule.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)

try:
    import torch
    from torch.utils.data import default_collate as torch_collate
except ImportError:  # pragma: no cover - torch is optional
    torch = None


def t(values, dtype=None):
    return chainrule.from_numpy(np.asarray(values, dtype=dtype))


def tensor_ds(n=10, d=3):
    x = t(np.arange(n * d, dtype=np.float32).reshape(n, d))
    return TensorDataset(x, t(np.arange(n) % 3))


# ---- datasets ----------------------------------------------------------------------------------

def test_tensor_dataset_items_and_length():
    ds = tensor_ds()
    assert len(ds) == 10
    x, y = ds[4]
    assert x.tolist() == [12.0, 13.0, 14.0] and y.item() == 1
    assert ds[-1][1].item() == 0


def test_tensor_dataset_accepts_arrays_and_checks_sizes():
    ds = TensorDataset(np.zeros((4, 2)), np.arange(4))
    assert isinstance(ds[0][0], chainrule.Tensor)
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        TensorDataset(t(np.zeros((5, 2))), t(np.zeros(4)))
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):  # PyTorch's type
        TensorDataset(t(np.zeros((5, 2))), t(np.zeros(4)))
    with pytest.raises(ValueError, match="at least one dimension"):
        TensorDataset(t(np.float32(1.0)))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


def test_subset_concat_stack_chain():
    base = list("abcdef")
    s = Subset(base, [5, 0, 2])
    assert len(s) == 3 and s[0] == "f" and s.__getitems__([1, 2]) == ["a", "c"]
    c = ConcatDataset([base, [1, 2]])
    assert len(c) == 8 and c[6] == 1 and c[-1] == 2 and c.cumulative_sizes == [6, 8]
    with pytest.raises(ValueError, match="absolute value of index"):
        c[-9]
    with pytest.raises(IndexError):
        c[8]
    with pytest.raises(ValueError, match="should not be an empty iterable"):
        ConcatDataset([])

    class It(IterableDataset):
        def __iter__(self):
            return iter([1, 2])

    with pytest.raises(TypeError, match="does not support IterableDataset"):
        ConcatDataset([It()])
    assert list(It() + It()) == [1, 2, 1, 2]
    assert list(ChainDataset([It(), [3]])) == [1, 2, 3]
    assert StackDataset([1, 2], ["a", "b"])[1] == (2, "b")
    assert StackDataset(x=[1, 2], y=[3, 4])[0] == {"x": 1, "y": 3}
    with pytest.raises(ValueError, match="Size mismatch"):
        StackDataset([1], [1, 2])

    class Sq(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return i * i

    joined = Sq() + Sq()
    assert isinstance(joined, ConcatDataset) and joined[4] == 1


def test_random_split_lengths_and_fractions():
    g = chainrule.Generator().manual_seed(0)
    parts = random_split(range(10), [3, 7], generator=g)
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(list(parts[0]) + list(parts[1])) == list(range(10))
    # fractions: floor each, then hand the remainder out round-robin (PyTorch's rule)
    assert [len(p) for p in random_split(range(10), [0.33, 0.33, 0.34])] == [4, 3, 3]
    assert [len(p) for p in random_split(range(11), [0.5, 0.5])] == [6, 5]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [0.5, 0.6])
    with pytest.raises(ValueError, match="lengths must be non-negative ints"):
        random_split(range(10), [12, -2])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [1.0, 0.0])
    a = random_split(range(50), [25, 25], generator=chainrule.Generator().manual_seed(3))
    b = random_split(range(50), [25, 25], generator=chainrule.Generator().manual_seed(3))
    assert a[0].indices == b[0].indices
    chainrule.manual_seed(5)
    c = random_split(range(50), [25, 25])
    chainrule.manual_seed(5)
    assert random_split(range(50), [25, 25])[1].indices == c[1].indices


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_random_split_sizes_match_torch():
    for n, fr in [(10, [0.33, 0.33, 0.34]), (7, [0.2, 0.8]), (101, [0.1] * 10), (5, [0.5, 0.5])]:
        ours = [len(p) for p in random_split(range(n), fr)]
        theirs = [len(p) for p in torch.utils.data.random_split(range(n), fr)]
        assert ours == theirs


# ---- samplers ----------------------------------------------------------------------------------

def test_sequential_and_random_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    g = chainrule.Generator().manual_seed(1)
    order = list(RandomSampler(range(20), generator=g))
    assert sorted(order) == list(range(20)) and order != list(range(20))
    assert order == list(RandomSampler(range(20), generator=chainrule.Generator().manual_seed(1)))
    rep = list(RandomSampler(range(3), replacement=True, num_samples=50))
    assert len(rep) == 50 and set(rep) <= {0, 1, 2}
    more = list(RandomSampler(range(4), num_samples=10))  # whole permutations, then a part
    assert len(more) == 10 and sorted(more[:4]) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler([])
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)
    chainrule.manual_seed(7)
    first = list(RandomSampler(range(30)))
    chainrule.manual_seed(7)
    assert list(RandomSampler(range(30))) == first


def test_subset_and_weighted_samplers():
    assert sorted(SubsetRandomSampler([10, 20, 30])) == [10, 20, 30]
    w = WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], num_samples=200)
    drawn = list(w)
    assert len(w) == 200 and set(drawn) <= {1, 3} and drawn.count(3) > drawn.count(1)
    unique = list(WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False))
    assert sorted(unique) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1.0]], 1)
    with pytest.raises(RuntimeError, match="without replacement"):
        WeightedRandomSampler([1.0, 0.0], 2, replacement=False)


def test_batch_sampler():
    assert list(BatchSampler(SequentialSampler(range(5)), 2, False)) == [[0, 1], [2, 3], [4]]
    assert list(BatchSampler(range(5), 2, True)) == [[0, 1], [2, 3]]  # generic sampler path
    assert len(BatchSampler(range(5), 2, False)) == 3 and len(BatchSampler(range(5), 2, True)) == 2
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
            BatchSampler(range(5), bad, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        BatchSampler(range(5), 2, 1)
    g = chainrule.Generator().manual_seed(4)
    batches = list(BatchSampler(RandomSampler(range(9), generator=g), 4, False))
    assert all(isinstance(i, int) for b in batches for i in b)
    assert sorted(i for b in batches for i in b) == list(range(9))


# ---- collation ---------------------------------------------------------------------------------

Point = collections.namedtuple("Point", "x y")


def test_default_collate_scalars_and_arrays():
    assert default_collate([1.5, 2.0]).dtype == chainrule.float64
    assert default_collate([1, 2]).dtype == chainrule.int64
    assert default_collate([True, False]).dtype == chainrule.bool
    assert default_collate([np.float32(1), np.float32(2)]).dtype == chainrule.float32
    assert default_collate([np.int32(1), np.int32(2)]).dtype == chainrule.int32
    assert default_collate(["a", "b"]) == ["a", "b"]
    assert default_collate([b"a", b"b"]) == [b"a", b"b"]
    out = default_collate([np.zeros((2, 3), np.uint8), np.ones((2, 3), np.uint8)])
    assert out.shape == (2, 2, 3) and out.dtype == chainrule.uint8
    stacked = default_collate([t([1.0, 2.0], np.float32), t([3.0, 4.0], np.float32)])
    assert stacked.tolist() == [[1.0, 2.0], [3.0, 4.0]] and stacked.dtype == chainrule.float32


def test_default_collate_containers():
    batch = [{"img": t([1.0]), "label": 1, "name": "a"}, {"img": t([2.0]), "label": 2,
                                                          "name": "b"}]
    out = default_collate(batch)
    assert out["img"].shape == (2, 1) and out["label"].tolist() == [1, 2]
    assert out["name"] == ["a", "b"]
    od = default_collate([collections.OrderedDict(b=1, a=2)] * 2)
    assert type(od) is collections.OrderedDict and list(od) == ["b", "a"]
    frozen = default_collate([MappingProxyType({"k": 1.0})] * 2)  # immutable Mapping
    assert frozen["k"].tolist() == [1.0, 1.0]
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert type(p) is Point and p.x.tolist() == [1, 3] and p.y.dtype == chainrule.float64
    tup = default_collate([(1, "a"), (2, "b")])
    assert type(tup) is list and tup[0].tolist() == [1, 2] and tup[1] == ("a", "b")
    lst = default_collate([[1, 2], [3, 4]])
    assert type(lst) is list and [x.tolist() for x in lst] == [[1, 3], [2, 4]]
    nested = default_collate([{"a": (t([1]), [1.0])}, {"a": (t([2]), [2.0])}])
    assert nested["a"][0].tolist() == [[1], [2]] and nested["a"][1][0].tolist() == [1.0, 2.0]


def test_collate_keeps_the_graph_for_tensors_requiring_grad():
    a = chainrule.tensor([1.0, 2.0], requires_grad=True)
    out = default_collate([a, a])
    assert out.requires_grad and out.grad_fn is not None
    out.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]
    with chainrule.no_grad():
        assert not default_collate([a, a]).requires_grad


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([t([1.0]), t([1.0, 2.0])])
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="batch must contain"):
        default_collate([np.array(["x"]), np.array(["y"])])
    with pytest.raises(ValueError, match="empty batch"):
        default_collate([])


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_default_collate_matches_torch():
    samples = [
        [1.5, 2.5], [1, 2], [True, False], [np.float32(1), np.float32(2)], [np.int16(3)] * 2,
        [np.arange(3), np.arange(3)], [(1, 2.0, "s"), (3, 4.0, "t")], [[1, 2], [3, 4]],
        [{"a": 1, "b": [1.0, np.zeros(2, np.float32)]}] * 2, [Point(1, 2), Point(3, 4)],
        [1, 2.5],
    ]

    def compare(ours, theirs):
        if isinstance(theirs, torch.Tensor):
            assert isinstance(ours, chainrule.Tensor)
            assert str(ours.dtype) == str(theirs.dtype)
            np.testing.assert_array_equal(ours._data, theirs.numpy())
        elif isinstance(theirs, dict):
            assert type(ours) is type(theirs) and list(ours) == list(theirs)
            for k in theirs:
                compare(ours[k], theirs[k])
        elif isinstance(theirs, (list, tuple)):
            assert type(ours) is type(theirs) and len(ours) == len(theirs)
            for a, b in zip(ours, theirs):
                compare(a, b)
        else:
            assert ours == theirs

    for batch in samples:
        compare(default_collate(batch), torch_collate(batch))


def test_default_convert():
    out = default_convert({"a": np.arange(3), "b": (np.float32(2.0), "s"), "c": [1]})
    assert isinstance(out["a"], chainrule.Tensor) and out["a"].dtype == chainrule.int64
    assert type(out["b"]) is list and out["b"][0].dtype == chainrule.float32
    assert out["b"][1] == "s" and out["c"] == [1]
    strings = np.array(["x"])
    assert default_convert(strings) is strings
    p = default_convert(Point(np.zeros(1), 2))
    assert type(p) is Point and isinstance(p.x, chainrule.Tensor)


# ---- DataLoader, main process ------------------------------------------------------------------

def test_dataloader_batches_and_len():
    ds = tensor_ds(10)
    loader = DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [b[0].shape[0] for b in batches] == [4, 4, 2]
    assert type(batches[0]) is list  # default_collate of tuples
    assert batches[2][1].tolist() == [2, 0]
    assert len(DataLoader(ds, batch_size=4, drop_last=True)) == 2
    assert [b[0].shape[0] for b in DataLoader(ds, batch_size=4, drop_last=True)] == [4, 4]
    assert len(DataLoader(ds)) == 10 and next(iter(DataLoader(ds)))[0].shape == (1, 3)


def test_fast_path_equals_per_sample_collation():
    ds = tensor_ds(23)
    g1, g2 = chainrule.Generator().manual_seed(0), chainrule.Generator().manual_seed(0)
    fast = list(DataLoader(ds, batch_size=5, shuffle=True, generator=g1))
    slow = list(DataLoader(ds, batch_size=5, shuffle=True, generator=g2,
                           collate_fn=lambda b: default_collate(b)))
    assert len(fast) == len(slow) == 5
    for (xf, yf), (xs, ys) in zip(fast, slow):
        assert xf.dtype == xs.dtype and yf.dtype == ys.dtype
        np.testing.assert_array_equal(xf._data, xs._data)
        np.testing.assert_array_equal(yf._data, ys._data)
    sub = Subset(ds, [3, 1, 4])
    ((_, y),) = list(DataLoader(sub, batch_size=3))
    assert y.tolist() == [0, 1, 1]


def test_getitems_is_used():
    class Batched(Dataset):
        calls = 0

        def __len__(self):
            return 6

        def __getitem__(self, i):
            raise AssertionError("per-item access not expected")

        def __getitems__(self, idx):
            Batched.calls += 1
            return [float(i) for i in idx]

    out = list(DataLoader(Batched(), batch_size=4))
    assert [b.tolist() for b in out] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0]] and Batched.calls == 2


def test_shuffle_is_reproducible():
    ds = tensor_ds(50)

    def order(**kw):
        return [v for b in DataLoader(ds, batch_size=8, **kw) for v in b[0]._data[:, 0].tolist()]

    a = order(shuffle=True, generator=chainrule.Generator().manual_seed(1))
    assert a == order(shuffle=True, generator=chainrule.Generator().manual_seed(1))
    assert sorted(a) == sorted(order()) and a != order()
    chainrule.manual_seed(3)
    b = order(shuffle=True)
    chainrule.manual_seed(3)
    assert b == order(shuffle=True)
    loader = DataLoader(ds, batch_size=8, shuffle=True)
    assert [x[0]._data.tolist() for x in loader] != [x[0]._data.tolist() for x in loader]


def test_sampler_batch_sampler_and_collate_fn():
    ds = tensor_ds(6)
    got = [b[1].tolist() for b in DataLoader(ds, batch_size=2, sampler=[5, 4, 3, 2, 1, 0])]
    assert got == [[2, 1], [0, 2], [1, 0]]
    got = [b[0]._data[:, 0].tolist() for b in DataLoader(ds, batch_sampler=[[0, 5], [1]])]
    assert got == [[0.0, 15.0], [3.0]]
    raw = list(DataLoader(ds, batch_size=3, collate_fn=lambda b: len(b)))
    assert raw == [3, 3]
    single = list(DataLoader(list(range(3)), batch_size=None))
    assert single == [0, 1, 2]
    arrays = list(DataLoader([np.ones(2)], batch_size=None))
    assert isinstance(arrays[0], chainrule.Tensor) and arrays[0].shape == (2,)


def test_dataloader_argument_errors():
    ds = tensor_ds(4)
    for bad in (0, -2, 1.5):
        with pytest.raises(ValueError, match="batch_size should be a positive integer"):
            DataLoader(ds, batch_size=bad)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="timeout option should be non-negative"):
        DataLoader(ds, timeout=-1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        DataLoader([], shuffle=True)
    with pytest.warns(UserWarning, match="dataset is empty"):
        assert list(DataLoader([])) == []


class Range(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


def test_iterable_dataset_main_process():
    assert [b.tolist() for b in DataLoader(Range(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5],
                                                                        [6]]
    assert [b.tolist() for b in DataLoader(Range(7), batch_size=3, drop_last=True)] == \
        [[0, 1, 2], [3, 4, 5]]
    assert len(DataLoader(Range(7), batch_size=3)) == 3
    assert len(DataLoader(Range(7), batch_size=3, drop_last=True)) == 2
    assert list(DataLoader(Range(3), batch_size=None)) == [0, 1, 2]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Range(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Range(3), sampler=[0])


# ---- DataLoader with worker processes ----------------------------------------------------------

class Noisy(Dataset):
    """Each sample records its worker and draws from every generator a worker seeds."""

    def __len__(self):
        return 24

    def __getitem__(self, i):
        info = get_worker_info()
        return {"i": i, "worker": -1 if info is None else info.id,
                "np": float(np.random.rand()), "cr": float(chainrule.random.numpy_rng().random())}


def test_workers_preserve_order():
    ds = tensor_ds(37)
    single = list(DataLoader(ds, batch_size=4))
    multi = list(DataLoader(ds, batch_size=4, num_workers=2))
    assert len(single) == len(multi) == 10
    for (a, b), (c, d) in zip(single, multi):
        np.testing.assert_array_equal(a._data, c._data)
        np.testing.assert_array_equal(b._data, d._data)


def test_workers_are_seeded_reproducibly():
    def run(seed):
        loader = DataLoader(Noisy(), batch_size=3, shuffle=True, num_workers=2,
                            generator=chainrule.Generator().manual_seed(seed))
        return [(b["i"].tolist(), b["worker"].tolist(), b["np"].tolist(), b["cr"].tolist())
                for b in loader]

    first, second = run(0), run(0)
    assert first == second
    assert {w for _, ws, _, _ in first for w in ws} == {0, 1}  # both workers worked
    assert [b[1] for b in first][:2] == [[0, 0, 0], [1, 1, 1]]  # round-robin hand-out
    # the two workers draw different random streams
    assert first[0][3] != first[1][3] and first[0][2] != first[1][2]
    assert run(1)[0][0] != first[0][0] or run(1)[0][3] != first[0][3]


def test_worker_init_fn_and_seed_formula():
    seen = []

    def init(worker_id):
        info = get_worker_info()
        assert info.id == worker_id and info.num_workers == 2
        np.random.seed(1000 + worker_id)  # overrides the default seeding, as in PyTorch

    class Seeds(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            info = get_worker_info()
            return info.seed, info.id, float(np.random.rand())

    for seed, wid, r in DataLoader(Seeds(), batch_size=None, num_workers=2,
                                   worker_init_fn=init):
        seen.append((seed, wid, r))
    seeds = {wid: s for s, wid, _ in seen}
    assert seeds[1] - seeds[0] == 1  # base_seed + worker_id
    assert seen[0][2] == float(np.random.RandomState(1000).rand())


def test_worker_exceptions_keep_their_type():
    class Bad(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            if i == 2:
                raise ValueError("bad sample 2")
            return i

    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process 0"):
        list(DataLoader(Bad(), num_workers=2))

    def failing_init(worker_id):
        raise KeyError("no init")

    with pytest.raises(KeyError, match="no init"):
        list(DataLoader(list(range(4)), num_workers=2, worker_init_fn=failing_init))


def test_iterable_dataset_with_workers():
    out = [b.tolist() for b in DataLoader(Range(10), batch_size=3, num_workers=2)]
    assert out == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]  # PyTorch's interleaving
    loader = DataLoader(Range(10), batch_size=3, num_workers=2, persistent_workers=True)
    assert [[b.tolist() for b in loader] for _ in range(2)] == [out, out]


def test_persistent_workers_and_abandoned_epoch():
    ds = tensor_ds(40)
    loader = DataLoader(ds, batch_size=4, num_workers=2, persistent_workers=True,
                        prefetch_factor=3)
    expected = [b[1].tolist() for b in DataLoader(ds, batch_size=4)]
    it = iter(loader)
    next(it)  # abandon the first epoch after one batch, with prefetched batches in flight
    pids = [w.pid for w in it._workers]
    for _ in range(2):
        assert [b[1].tolist() for b in loader] == expected
    assert [w.pid for w in loader._iterator._workers] == pids
    workers = loader._iterator._workers
    assert len(loader._iterator) == 10
    del it, loader  # no reference cycle keeps the loader, so its workers stop right away
    assert not any(w.is_alive() for w in workers)


def test_worker_timeout_and_crash():
    class Slow(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            time.sleep(1.0)
            return i

    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        list(DataLoader(Slow(), num_workers=1, timeout=0.3))

    class Crash(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            os._exit(3)

    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(DataLoader(Crash(), num_workers=2))


def test_unpicklable_batch_is_reported():
    with pytest.raises(Exception, match="must be picklable"):
        list(DataLoader([1, 2], num_workers=1, collate_fn=lambda b: (lambda: b)))

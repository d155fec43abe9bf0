"""DataLoader: batches as PyTorch makes them, seeded shuffling, clear errors, and background
workers that really overlap data preparation with training."""
import threading
import time

import numpy as np
import pytest

import chainrule as cr
from chainrule.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info
from chainrule.utils.data.worker import random_source
from tests.conftest import requires_torch


def _as_lists(batches):
    """Batches (tensors or nested lists of tensors) as plain nested Python lists."""
    def conv(b):
        if hasattr(b, "tolist"):
            return b.tolist()
        if isinstance(b, (list, tuple)):
            return [conv(x) for x in b]
        if isinstance(b, dict):
            return {k: conv(v) for k, v in b.items()}
        return b
    return [conv(b) for b in batches]


class Stream(IterableDataset):
    """0 .. n-1, split between workers by their id."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


def _tensor_datasets(n=10):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n, dtype=np.int64)
    import torch
    return TensorDataset(cr.from_numpy(x), cr.from_numpy(y)), torch.utils.data.TensorDataset(
        torch.from_numpy(x), torch.from_numpy(y))


@requires_torch
@pytest.mark.parametrize("kwargs", [dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=10),
                                    dict(batch_size=4, drop_last=True), dict(batch_size=None),
                                    dict(batch_size=1)])
def test_batches_without_shuffle_match_torch(kwargs):
    import torch.utils.data as tud
    ours, theirs = _tensor_datasets()
    a, b = DataLoader(ours, **kwargs), tud.DataLoader(theirs, **kwargs)
    assert len(a) == len(b)
    assert _as_lists(a) == _as_lists(b)


@requires_torch
def test_batch_sampler_and_sampler_arguments_match_torch():
    import torch.utils.data as tud
    ours, theirs = _tensor_datasets()
    batches = [[0, 5], [9, 1, 2], [7]]
    assert _as_lists(DataLoader(ours, batch_sampler=batches)) == \
        _as_lists(tud.DataLoader(theirs, batch_sampler=batches))
    order = [3, 2, 1, 0, 9]
    assert _as_lists(DataLoader(ours, sampler=order, batch_size=2)) == \
        _as_lists(tud.DataLoader(theirs, sampler=order, batch_size=2))


@requires_torch
@pytest.mark.parametrize("kwargs", [dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)])
def test_iterable_dataset_batches_match_torch(kwargs):
    import torch.utils.data as tud

    class TorchStream(tud.IterableDataset):
        def __iter__(self):
            return iter(range(10))
    assert _as_lists(DataLoader(Stream(10), **kwargs)) == _as_lists(tud.DataLoader(TorchStream(), **kwargs))
    assert len(DataLoader(Stream(10), **kwargs)) == (4 if kwargs == dict(batch_size=3) else
                                                     3 if kwargs.get("drop_last") else 10)


@requires_torch
def test_iterable_dataset_with_workers_interleaves_like_torch():
    import torch.utils.data as tud

    class TorchStream(tud.IterableDataset):
        def __iter__(self):
            info = tud.get_worker_info()
            return iter(range(info.id, 10, info.num_workers))
    ours = DataLoader(Stream(10), batch_size=2, num_workers=2)
    theirs = tud.DataLoader(TorchStream(), batch_size=2, num_workers=2)
    assert _as_lists(ours) == _as_lists(theirs)


@requires_torch
def test_collated_dicts_and_tuples_match_torch():
    import torch.utils.data as tud

    class Records:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": np.full(2, i, np.float64), "y": i, "w": float(i)}
    ours, theirs = list(DataLoader(Records(), batch_size=2)), list(tud.DataLoader(Records(), batch_size=2))
    assert _as_lists(ours) == _as_lists(theirs)
    assert ours[0]["x"].dtype == np.float64 and ours[0]["y"].dtype == np.int64 and ours[0]["w"].dtype == np.float64


@requires_torch
@pytest.mark.parametrize("kwargs", [dict(sampler=[0, 1], shuffle=True), dict(batch_sampler=[[0]], batch_size=2),
                                    dict(batch_sampler=[[0]], drop_last=True), dict(batch_size=None, drop_last=True),
                                    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
                                    dict(persistent_workers=True)])
def test_invalid_options_raise_like_torch(kwargs):
    import torch.utils.data as tud
    ours, theirs = _tensor_datasets()
    with pytest.raises(ValueError) as t:
        tud.DataLoader(theirs, **kwargs)
    with pytest.raises(ValueError) as o:
        DataLoader(ours, **kwargs)
    assert str(o.value).split(";")[0].split(".")[0] == str(t.value).split(";")[0].split(".")[0]


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[0, 1]), dict(batch_sampler=[[0]])])
def test_iterable_dataset_rejects_shuffle_and_samplers(kwargs):
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(Stream(4), **kwargs)


def _order(loader):
    return [int(i) for _, y in loader for i in y.numpy()]


@pytest.mark.parametrize("workers", [0, 2])
def test_shuffle_with_seeded_generator_is_a_permutation_and_reproducible(workers):
    ds = TensorDataset(cr.zeros(30, 1), cr.arange(30))
    first = _order(DataLoader(ds, batch_size=4, shuffle=True, generator=cr.Generator().manual_seed(5),
                              num_workers=workers))
    again = _order(DataLoader(ds, batch_size=4, shuffle=True, generator=cr.Generator().manual_seed(5),
                              num_workers=workers))
    other = _order(DataLoader(ds, batch_size=4, shuffle=True, generator=cr.Generator().manual_seed(6),
                              num_workers=workers))
    assert first == again and sorted(first) == list(range(30))
    assert first != other and first != list(range(30))


def test_order_does_not_depend_on_number_of_workers():
    ds = TensorDataset(cr.zeros(40, 1), cr.arange(40))
    orders = [_order(DataLoader(ds, batch_size=3, shuffle=True, generator=cr.Generator().manual_seed(9),
                                num_workers=w, prefetch_factor=None if w == 0 else 3)) for w in (0, 1, 2, 3)]
    assert all(o == orders[0] for o in orders)


def test_successive_epochs_reshuffle():
    loader = DataLoader(TensorDataset(cr.arange(20)), batch_size=5, shuffle=True,
                        generator=cr.Generator().manual_seed(0))
    assert [int(i) for (b,) in loader for i in b.numpy()] != [int(i) for (b,) in loader for i in b.numpy()]


def test_default_generator_seeds_shuffling():
    ds = TensorDataset(cr.arange(20))
    cr.manual_seed(11)
    a = [b[0].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True)]
    cr.manual_seed(11)
    assert a == [b[0].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True)]


def test_custom_collate_fn_receives_list_of_samples():
    loader = DataLoader(list(range(7)), batch_size=3, collate_fn=lambda samples: sum(samples))
    assert list(loader) == [3, 12, 6]


class Values(Dataset):
    def __init__(self, values):
        self.values = np.asarray(values, dtype=np.float32)

    def __len__(self):
        return len(self.values)

    def __getitem__(self, i):
        return self.values[i : i + 1], i


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_finite_names_batch_and_dataset_index(workers, bad):
    values = np.arange(10, dtype=np.float32)
    values[6] = bad
    loader = DataLoader(Values(values), batch_size=4, check_finite=True, num_workers=workers)
    it = iter(loader)
    next(it)
    with pytest.raises(ValueError, match=r"batch 1 holds -?(nan|inf) at batch\[0\]\[2, 0\] \(dataset index 6\)"):
        next(it)


def test_without_check_finite_nan_passes_as_in_pytorch():
    values = np.array([1.0, np.nan], dtype=np.float32)
    (x, _), = list(DataLoader(Values(values), batch_size=2))
    assert np.isnan(x.numpy()[1, 0])


class Failing(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise KeyError(f"sample {i} is broken")
        return np.float32(i)


@pytest.mark.parametrize("workers", [0, 2])
def test_errors_in_dataset_reach_the_caller_with_their_type(workers):
    loader = DataLoader(Failing(), batch_size=2, num_workers=workers)
    got = []
    with pytest.raises(KeyError, match="sample 5 is broken"):
        for b in loader:
            got.append(b.tolist())
    assert got == [[0.0, 1.0], [2.0, 3.0]]


def test_worker_info_and_init_fn():
    seen = []
    lock = threading.Lock()

    class WhoAmI(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            info = get_worker_info()
            return info.id

    def init(worker_id):
        with lock:
            seen.append(worker_id)
    ids = [b.tolist() for b in DataLoader(WhoAmI(), batch_size=2, num_workers=2, worker_init_fn=init)]
    assert ids == [[0, 0], [1, 1], [0, 0]]  # batch k is made by worker k % num_workers
    assert sorted(seen) == [0, 1]
    assert get_worker_info() is None


class Noisy(Dataset):
    """Random augmentation drawn from the worker's own stream."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        return random_source().random(dtype=np.float64)


def test_random_augmentation_in_workers_is_reproducible():
    def run():
        return [b.tolist() for b in DataLoader(Noisy(), batch_size=3, num_workers=2,
                                               generator=cr.Generator().manual_seed(1))]
    assert run() == run()


def test_timeout_raises_clear_error():
    class Stuck(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            time.sleep(0.5)
            return i
    with pytest.raises(RuntimeError, match="timed out after 0.05 seconds"):
        next(iter(DataLoader(Stuck(), num_workers=1, timeout=0.05)))


def test_workers_stop_when_iteration_is_abandoned():
    before = threading.active_count()
    it = iter(DataLoader(Stream(10 ** 6), batch_size=10, num_workers=2))
    next(it)
    assert threading.active_count() >= before + 2
    del it
    deadline = time.time() + 5
    while threading.active_count() > before and time.time() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


class Slow(Dataset):
    """Preparing a sample takes a while (reading, decoding): sleeps release the interpreter lock."""

    def __len__(self):
        return 64

    def __getitem__(self, i):
        time.sleep(0.004)
        return np.float32(i)


def _epoch_seconds(workers):
    start = time.perf_counter()
    for _ in DataLoader(Slow(), batch_size=4, num_workers=workers):
        time.sleep(0.016)  # "training" on the batch
    return time.perf_counter() - start


def test_prefetching_overlaps_data_preparation_with_training():
    serial = _epoch_seconds(0)  # 16 x (16 ms loading + 16 ms training) = 0.51 s at least
    prefetched = min(_epoch_seconds(2) for _ in range(2))  # loading hidden behind training: about 0.27 s
    assert serial > 0.5
    assert prefetched < 0.75 * serial, (serial, prefetched)

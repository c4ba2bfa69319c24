"""Data loading, mirroring ``torch.utils.data``: datasets, samplers, ``DataLoader``, collation.

Example:
    >>> import numpy as np, chainrule
    >>> from chainrule.utils.data import DataLoader, TensorDataset
    >>> x = chainrule.from_numpy(np.random.rand(10, 3).astype(np.float32))
    >>> y = chainrule.tensor([0, 1] * 5)
    >>> [xb.shape[0] for xb, yb in DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True)]
    [4, 4, 2]
"""

from ._collate import default_collate, default_convert
from ._worker import WorkerInfo, get_worker_info
from .dataloader import DataLoader
from .dataset import (
                      ChainDataset,
                      ConcatDataset,
                      Dataset,
                      IterableDataset,
                      StackDataset,
                      Subset,
                      TensorDataset,
                      random_split,
)
from .sampler import (
                      BatchSampler,
                      RandomSampler,
                      Sampler,
                      SequentialSampler,
                      SubsetRandomSampler,
                      WeightedRandomSampler,
)

__all__ = [
                      "BatchSampler",
                      "ChainDataset",
                      "ConcatDataset",
                      "DataLoader",
                      "Dataset",
                      "IterableDataset",
                      "RandomSampler",
                      "Sampler",
                      "SequentialSampler",
                      "StackDataset",
                      "Subset",
                      "SubsetRandomSampler",
                      "TensorDataset",
                      "WeightedRandomSampler",
                      "WorkerInfo",
                      "default_collate",
                      "default_convert",
                      "get_worker_info",
                      "random_split",
]

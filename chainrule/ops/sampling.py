"""Random sampling: ``rand``, ``randn``, ``randint``, ``randperm``, their ``*_like`` forms,
``normal``, ``bernoulli``, ``multinomial``, ``poisson``, and the in-place initialisers
(``uniform_``, ``normal_``, ``bernoulli_``, ``random_``, ``fill_``, ``zero_`` …) that
``nn.init`` uses: they write into the tensor's own memory and bump its version counter.

Values come from ``chainrule.random``'s global generator unless a ``generator`` is passed, so
``manual_seed`` makes them reproducible (they do not match PyTorch's streams). Float results use
the default dtype. These functions are re-exported by ``chainrule.ops.creation``.
"""

from __future__ import annotations

import operator

import numpy as np

from .. import _dtypes
from .._device import check_device
from .._tensor import Tensor, _grad_recorded
from ..autograd.function import Function
from ..random import numpy_rng
from ._inplace import _write, inplace
from ._util import bind, check_tensor, write_out
from .creation import (_C_TYPES, _check_float, _finish, _like, _np_dtype, _num, _parse_size,
                       _scalar, _seq_size, _type_name)

__all__ = [
    "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal",
    "bernoulli", "multinomial", "poisson",
]


# ---- helpers ---------------------------------------------------------------------------------
_SAMPLED: dict = {}


def _sampled(node_name: str, values: np.ndarray, *inputs) -> Tensor:
    """Wrap sampled ``values``; when ``inputs`` require grad, link a node that passes them zero
    gradients (PyTorch does not differentiate through sampling)."""
    if not _grad_recorded(*inputs):
        return Tensor._make(values)
    cls = _SAMPLED.get(node_name)
    if cls is None:
        def forward(ctx, vals, *ins):
            ctx.n_inputs = len(ins)
            return vals

        def backward(ctx, g):
            return (None,) + tuple(g * 0 for _ in range(ctx.n_inputs))

        cls = type(node_name.replace("Backward", "Sample"), (Function,), {
            "raw": True, "node_name": node_name, "forward": staticmethod(forward),
            "backward": staticmethod(backward)})
        _SAMPLED[node_name] = cls
    return cls.apply(values, *inputs)


def _write_values(self: Tensor, values, node_name: str) -> Tensor:
    """Overwrite ``self``'s memory with ``values`` (views see it) and bump its version; under
    recording, ``self`` gets a node that sends zero gradient to its old value."""
    if _grad_recorded(self):
        return inplace(self, lambda old: _sampled(node_name, np.asarray(values), old))
    _write(self, np.asarray(values))
    self._version.value += 1
    return self


def _uniform(rng, shape, npd) -> np.ndarray:
    """Uniform [0, 1) values of a float dtype."""
    if npd in (np.float32, np.float64):
        return rng.random(shape, dtype=npd)
    arr = rng.random(shape, dtype=np.float32).astype(npd)
    return np.minimum(arr, np.nextafter(npd.type(1), npd.type(0)))  # rounding may reach 1


def _standard_normal(rng, shape, npd) -> np.ndarray:
    if npd in (np.float32, np.float64):
        return rng.standard_normal(shape, dtype=npd)
    return rng.standard_normal(shape, dtype=np.float32).astype(npd)


# ---- random factories -------------------------------------------------------------------------
def rand(*size_args, size=None, generator=None, out=None, dtype=None, layout=None,
         device=None, pin_memory=False, requires_grad=False) -> Tensor:
    """Uniform samples from [0, 1).

    Example:
        >>> import chainrule as torch
        >>> x = torch.rand(2, 3)
        >>> x.shape, x.dtype
        (torch.Size([2, 3]), torch.float32)
    """
    check_device(device, "rand")
    npd = _np_dtype(dtype)
    _check_float(npd, "check_uniform_bounds")
    arr = _uniform(numpy_rng(generator), _parse_size("rand", size_args, size), npd)
    return _finish(arr, requires_grad, out)


def randn(*size_args, size=None, generator=None, out=None, dtype=None, layout=None,
          device=None, pin_memory=False, requires_grad=False) -> Tensor:
    """Samples from the standard normal distribution.

    Example:
        >>> import chainrule as torch
        >>> torch.randn(4, 5).shape
        torch.Size([4, 5])
    """
    check_device(device, "randn")
    npd = _np_dtype(dtype)
    _check_float(npd, "normal_kernel_cpu")
    arr = _standard_normal(numpy_rng(generator), _parse_size("randn", size_args, size), npd)
    return _finish(arr, requires_grad, out)


def _check_int_range(low: int, high: int, npd: np.dtype) -> None:
    """PyTorch's checks on a ``[low, high)`` integer sampling range for dtype ``npd``."""
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    if npd.kind in "iub":
        lo, hi = (0, 1) if npd.kind == "b" else (int(np.iinfo(npd).min), int(np.iinfo(npd).max))
        name = _C_TYPES[_dtypes.from_numpy_dtype(npd).name]
        if not lo <= low <= hi:
            raise RuntimeError(f"from is out of bounds for {name}")
        if not lo <= high - 1 <= hi:
            raise RuntimeError(f"to - 1 is out of bounds for {name}")


def _integers(rng, low: int, high: int, shape, npd) -> np.ndarray:
    _check_int_range(low, high, npd)
    return rng.integers(low, high, size=shape, dtype=np.int64).astype(npd)


def randint(*args, size=None, low=None, high=None, generator=None, out=None, dtype=None,
            layout=None, device=None, pin_memory=False, requires_grad=False) -> Tensor:
    """Integers drawn uniformly from ``[low, high)``: ``randint(high, size)`` or
    ``randint(low, high, size)``; int64 unless ``dtype`` says otherwise.

    Example:
        >>> import chainrule as torch
        >>> x = torch.randint(3, 10, (2, 2))
        >>> x.dtype, all(3 <= v < 10 for row in x.tolist() for v in row)
        (torch.int64, True)
    """
    pos = list(args)
    if size is None and pos and isinstance(pos[-1], (tuple, list)):
        size = pos.pop()
    if len(pos) == 2 and low is None and high is None:
        low, high = pos
    elif len(pos) == 1 and high is None:
        high = pos[0]
    elif len(pos) == 1 and low is None:
        low = pos[0]
    elif pos:
        high = None  # leave the combination invalid
    if high is None or size is None or not isinstance(size, (tuple, list)) or any(
            isinstance(_scalar(v), float) for v in (low, high) if v is not None):
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(f"randint() received an invalid combination of arguments - got ({got}), "
                        "but expected one of:\n * (int high, tuple of ints size, *, "
                        "torch.Generator generator, Tensor out, torch.dtype dtype, ...)\n"
                        " * (int low, int high, tuple of ints size, *, torch.Generator "
                        "generator, Tensor out, torch.dtype dtype, ...)")
    check_device(device, "randint")
    low = 0 if low is None else operator.index(_scalar(low))
    npd = _np_dtype(dtype, _dtypes.int64)
    arr = _integers(numpy_rng(generator), low, operator.index(_scalar(high)),
                    _seq_size("randint", size), npd)
    return _finish(arr, requires_grad, out)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             pin_memory=False, requires_grad=False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype`` is given).

    Example:
        >>> import chainrule as torch
        >>> sorted(torch.randperm(5).tolist())
        [0, 1, 2, 3, 4]
    """
    check_device(device, "randperm")
    n = operator.index(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    arr = numpy_rng(generator).permutation(n).astype(_np_dtype(dtype, _dtypes.int64))
    return _finish(arr, requires_grad, out)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None) -> Tensor:
    """``rand`` with ``input``'s shape and (unless given) dtype."""
    def make(shape, npd):
        _check_float(npd, "check_uniform_bounds")
        return _uniform(numpy_rng(generator), shape, npd)

    return _like("rand_like", input, dtype, device, requires_grad, make)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None) -> Tensor:
    """``randn`` with ``input``'s shape and (unless given) dtype."""
    def make(shape, npd):
        _check_float(npd, "normal_kernel_cpu")
        return _standard_normal(numpy_rng(generator), shape, npd)

    return _like("randn_like", input, dtype, device, requires_grad, make)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None) -> Tensor:
    """``randint`` with ``input``'s shape and dtype: ``randint_like(x, high)`` or
    ``randint_like(x, low, high)``."""
    if high is None:
        low, high = 0, low
    low, high = operator.index(_scalar(low)), operator.index(_scalar(high))
    return _like("randint_like", input, dtype, device, requires_grad,
                 lambda shape, npd: _integers(numpy_rng(generator), low, high, shape, npd))


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, pin_memory=False, requires_grad=False) -> Tensor:
    """Normal samples: ``normal(mean_tensor, std_tensor)``, ``normal(mean_tensor, std=1.0)``,
    ``normal(mean, std_tensor)`` (elementwise, broadcast) or ``normal(mean, std, size)``.

    Example:
        >>> import chainrule as torch
        >>> torch.normal(2.0, 3.0, size=(2, 3)).shape
        torch.Size([2, 3])
        >>> torch.normal(torch.zeros(4), 1.0).shape
        torch.Size([4])
    """
    rng = numpy_rng(generator)
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if (mt or st) == (size is not None):
        got = ", ".join(type(a).__name__ for a in (mean, std, size) if a is not None)
        raise TypeError(f"normal() received an invalid combination of arguments - got ({got}), "
                        "but expected one of:\n * (Tensor mean, Tensor std)\n * (Tensor mean, "
                        "float std = 1)\n * (float mean, Tensor std)\n * (float mean, float std, "
                        "tuple of ints size)")
    if not (mt or st):
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
        check_device(device, "normal")
        npd = _np_dtype(dtype)
        _check_float(npd, "normal_kernel_cpu")
        z = _standard_normal(rng, _seq_size("normal", size), npd)
        return _finish((z * npd.type(std) + npd.type(mean)).astype(npd), requires_grad, out)
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    npd = _dtypes.result_type(*tensors).np
    _check_float(npd, "normal_kernel_cpu")
    if st and bool((std._data < 0).any()):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not st and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
    m = mean._data if mt else mean
    s = std._data if st else std
    shape = _broadcast_shape(np.shape(m), np.shape(s))
    values = (m + s * _standard_normal(rng, shape, npd)).astype(npd, copy=False)
    name = "NormalBackward3" if mt and st else ("NormalBackward1" if mt else "NormalBackward2")
    return write_out(_sampled(name, values, *tensors), out)


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The broadcast of two shapes, with PyTorch's error naming the first clashing dimension."""
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        n = max(len(a), len(b))
        for i in range(1, n + 1):
            x = a[-i] if i <= len(a) else 1
            y = b[-i] if i <= len(b) else 1
            if x != y and 1 not in (x, y):
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                                   f"({y}) at non-singleton dimension {n - i}") from None
        raise


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """0/1 samples, 1 with probability ``input`` (elementwise), or ``p`` when given.

    Example:
        >>> import chainrule as torch
        >>> torch.bernoulli(torch.tensor([0.0, 1.0, 1.0]))
        tensor([0., 1., 1.])
    """
    check_tensor(input, "bernoulli")
    arr = input._data
    if p is not None:
        p = _scalar(p)
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_num(p)}")
        draw = numpy_rng(generator).random(arr.shape) < p
        return write_out(Tensor._make(draw.astype(arr.dtype)), out)
    _check_float(arr.dtype, "bernoulli_tensor_cpu_p_")
    if not bool(((arr >= 0) & (arr <= 1)).all()):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")
    values = (numpy_rng(generator).random(arr.shape) < arr).astype(arr.dtype)
    return write_out(_sampled("BernoulliBackward0", values, input), out)


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None,
                out=None) -> Tensor:
    """Category indices sampled from the (unnormalised) weights in each row of ``input``.

    Example:
        >>> import chainrule as torch
        >>> torch.multinomial(torch.tensor([0.0, 1.0, 0.0]), 2, replacement=True)
        tensor([1, 1])
    """
    check_tensor(input, "multinomial")
    w = input._data
    if w.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_type_name(w.dtype)}")
    if w.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > w.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    rows = w.reshape(-1, w.shape[-1]).astype(np.float64)
    if not (np.isfinite(rows).all() and (rows >= 0).all()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = numpy_rng(generator)
    if replacement:
        cdf = np.cumsum(rows / totals, axis=1)
        u = rng.random((rows.shape[0], num_samples))
        idx = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
        # skip zero-weight categories that rounding could land on at the top end
        idx = np.minimum(idx, np.argmax(cdf >= cdf[:, -1:], axis=1)[:, None])
    else:
        # the exponential-race trick: the k smallest E_i / w_i are a weighted draw without
        # replacement (zero weights give inf and come last)
        with np.errstate(divide="ignore"):
            keys = rng.exponential(size=rows.shape) / rows
        idx = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    idx = idx.astype(np.int64).reshape(w.shape[:-1] + (num_samples,))
    return write_out(Tensor._make(idx), out)


def poisson(input, generator=None) -> Tensor:
    """Poisson samples with the rates in ``input`` (same dtype).

    Example:
        >>> import chainrule as torch
        >>> torch.poisson(torch.zeros(3))
        tensor([0., 0., 0.])
    """
    check_tensor(input, "poisson")
    rates = input._data
    _check_float(rates.dtype, "poisson_cpu")
    if bool((rates < 0).any()):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    values = numpy_rng(generator).poisson(rates).astype(rates.dtype)
    return _sampled("PoissonBackward0", values, input)


# ---- in-place initialisers (Tensor methods) ---------------------------------------------------
def _float_self(self: Tensor, kernel: str) -> np.dtype:
    npd = self._data.dtype
    _check_float(npd, kernel)
    return npd


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator=None,
             **kwargs) -> Tensor:
    """Fill with uniform samples from ``[a, b)`` in place (also ``from=``/``to=``)."""
    a, b = _scalar(kwargs.pop("from", a)), _scalar(kwargs.pop("to", b))
    if kwargs:
        raise TypeError(f"uniform_() got unexpected keyword arguments {sorted(kwargs)}")
    npd = _float_self(self, "check_uniform_bounds")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from="
                           f"{_num(a)} > to={_num(b)}")
    u = _uniform(numpy_rng(generator), self._data.shape, npd)
    return _write_values(self, (u * (b - a) + a).astype(npd, copy=False), "UniformBackward0")


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with normal samples of the given ``mean`` and ``std`` in place."""
    mean, std = _scalar(mean), _scalar(std)
    npd = _float_self(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
    z = _standard_normal(numpy_rng(generator), self._data.shape, npd)
    return _write_values(self, (z * std + mean).astype(npd, copy=False), "NormalBackward0")


def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fill with 0/1 samples, 1 with probability ``p`` (a number or broadcastable tensor)."""
    if isinstance(p, Tensor):
        probs = p._data
    else:
        probs = _scalar(p)
        if not 0 <= probs <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_num(probs)}")
    draw = numpy_rng(generator).random(self._data.shape) < probs
    node = "BernoulliBackward2" if not isinstance(p, Tensor) else "BernoulliBackward1"
    return _write_values(self, draw.astype(self._data.dtype), node)


def random_(self: Tensor, *args, generator=None, **kwargs) -> Tensor:
    """Fill with integers from ``[from, to)``: ``random_(to)``, ``random_(from, to)``, or with
    no bounds ``[0, 2**mantissa]`` for floats and ``[0, max]`` for integers."""
    npd = self._data.dtype
    if npd.kind == "f":
        top = 2 ** (np.finfo(npd).nmant + 1)
    else:
        top = 1 if npd.kind == "b" else int(np.iinfo(npd).max)
    low, high = kwargs.pop("from", None), kwargs.pop("to", None)
    if kwargs:
        raise TypeError(f"random_() got unexpected keyword arguments {sorted(kwargs)}")
    if len(args) == 1:
        high = args[0]
    elif len(args) == 2:
        low, high = args
    low = 0 if low is None else operator.index(_scalar(low))
    high = top + 1 if high is None else operator.index(_scalar(high))
    _check_int_range(low, high, npd)
    rng = numpy_rng(generator)
    values = rng.integers(low, high, size=self._data.shape, dtype=np.int64,
                          endpoint=False).astype(npd)
    return _write_values(self, values, "RandomBackward0")


def exponential_(self: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with exponential samples of rate ``lambd`` in place."""
    npd = self._data.dtype
    if npd.kind != "f":
        raise RuntimeError("Exponential distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {_type_name(npd)}")
    lambd = _scalar(lambd)
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_num(lambd)}")
    values = numpy_rng(generator).exponential(1.0 / lambd, self._data.shape).astype(npd)
    return _write_values(self, values, "ExponentialBackward0")


def geometric_(self: Tensor, p: float, *, generator=None) -> Tensor:
    """Fill with geometric samples (trials until the first success, probability ``p``)."""
    p = _scalar(p)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_num(p)}")
    values = numpy_rng(generator).geometric(p, self._data.shape).astype(self._data.dtype)
    return _write_values(self, values, "GeometricBackward0")


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """Fill with samples whose logarithm is normal with ``mean`` and ``std``."""
    npd = _float_self(self, "log_normal_cpu")
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_num(std)}")
    values = numpy_rng(generator).lognormal(mean, std, self._data.shape).astype(npd)
    return _write_values(self, values, "LogNormalBackward0")


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """Fill with Cauchy samples of location ``median`` and scale ``sigma``."""
    npd = self._data.dtype
    if npd.kind != "f":
        ctype = {"int64": "long int", "int16": "short int"}.get(npd.name, _C_TYPES.get(npd.name))
        raise RuntimeError("Cauchy distribution is a continuous probability distribution. dtype "
                           f"must be a floating point but you specified {ctype}")
    if sigma <= 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_num(sigma)}")
    values = numpy_rng(generator).standard_cauchy(self._data.shape) * sigma + median
    return _write_values(self, values.astype(npd), "CauchyBackward0")


def fill_(self: Tensor, value) -> Tensor:
    """Set every element to ``value`` (a number or a 0-d tensor) in place."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._data.ndim} dimensions.")
        if _grad_recorded(value):
            return self.copy_(value)
    value = _scalar(value)
    npd = self._data.dtype
    if npd.kind in "iu" and not isinstance(value, bool):
        info = np.iinfo(npd)
        if not info.min <= value <= info.max:
            raise RuntimeError(f"value cannot be converted to type {npd.name}_t without "
                               "overflow")
    return _write_values(self, np.array(value).astype(npd), "FillBackward2")


def zero_(self: Tensor) -> Tensor:
    """Set every element to zero in place."""
    return _write_values(self, np.zeros((), self._data.dtype), "ZeroBackward0")


bind(uniform_=uniform_, normal_=normal_, bernoulli_=bernoulli_, random_=random_,
     exponential_=exponential_, geometric_=geometric_, log_normal_=log_normal_,
     cauchy_=cauchy_, fill_=fill_, zero_=zero_, bernoulli=bernoulli, multinomial=multinomial)

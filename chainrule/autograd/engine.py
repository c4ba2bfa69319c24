"""The backward engine: ``backward`` and ``grad``.

It walks the graph iteratively (no recursion, so very long chains work) in reverse topological
order: a node runs once all the gradients flowing into it have been summed. Gradients that were
broadcast in the forward pass are reduced back to their input's shape here, in one place.
"""

from __future__ import annotations

import numpy as np

from .function import ANOMALY, AccumulateGrad
from .grad_mode import GRAD_ENABLED

_ops = None  # chainrule.ops, bound lazily (it imports this package)
_Tensor = None  # chainrule.Tensor, likewise
_wrap = None  # chainrule.Tensor._make, likewise
_ONES: dict = {}  # dtype -> a 0-d one, copied for the root gradient of loss.backward()


def _tensor_cls():
    global _Tensor, _wrap
    if _Tensor is None:
        from .._tensor import Tensor

        _Tensor, _wrap = Tensor, Tensor._make
    return _Tensor


def _operations():
    global _ops
    if _ops is None:
        from .. import ops

        _ops = ops
    return _ops


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    return (x,) if isinstance(x, _Tensor or _tensor_cls()) else tuple(x)


def _root_grads(outputs: tuple, grad_outputs, create_graph: bool) -> list:
    """The gradient each output starts with: given, or ones for a scalar output."""
    Tensor = _Tensor or _tensor_cls()
    if grad_outputs is None and len(outputs) == 1:  # loss.backward()
        out = outputs[0]
        if isinstance(out, Tensor) and out._requires_grad:
            d = out._data
            if d.ndim == 0 and d.dtype.kind == "f":
                one = _ONES.get(d.dtype)
                if one is None:
                    one = _ONES[d.dtype] = np.ones((), d.dtype)
                return [_wrap(one.copy())]
    given = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outputs)
    if len(given) != len(outputs):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs; got "
                           f"{len(given)} gradients for {len(outputs)} outputs")
    grads = []
    for i, (out, g) in enumerate(zip(outputs, given)):
        if not isinstance(out, Tensor):
            raise TypeError(f"backward: outputs must be tensors, received {type(out).__name__}")
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._data.dtype.kind != "f":
                raise RuntimeError("grad can be implicitly created only for real scalar outputs")
            g = Tensor._make(np.ones(out._data.shape, out._data.dtype))
        else:
            if not isinstance(g, Tensor):
                g = Tensor._make(np.asarray(g, dtype=out._data.dtype))
            if g._data.shape != out._data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{g.shape} and output[{i}] has a shape of {out.shape}.")
            if not create_graph:
                g = Tensor._make(g._data.copy())  # never adopt or mutate the caller's tensor
        grads.append(g)
    return grads


def _fit(g, meta, create_graph: bool, node):
    """Reduce a gradient to its input's shape (undoing broadcasting) and dtype."""
    shape, dtype = meta
    arr = g._data
    if arr.shape != shape:
        lead = arr.ndim - len(shape)
        if lead < 0 or any(s != 1 and s != a for s, a in zip(shape, arr.shape[lead:])):
            raise RuntimeError(f"Function {node.name()} returned an invalid gradient - got "
                               f"{list(arr.shape)} but expected shape compatible with "
                               f"{list(shape)}")
        if create_graph:
            g = _operations().sum_to_size(g, shape)
        else:
            axes = tuple(range(lead)) + tuple(
                lead + i for i, s in enumerate(shape) if s == 1 and arr.shape[lead + i] != 1)
            arr = arr.sum(axis=axes, keepdims=True) if axes else arr
            g = type(g)._make(arr.reshape(shape))
    if g._data.dtype != dtype:
        g = g.to(_from_np(dtype)) if create_graph else type(g)._make(g._data.astype(dtype))
    return g


def _from_np(npd):
    from .._dtypes import from_numpy_dtype

    return from_numpy_dtype(npd)


def _add(a, b, create_graph: bool):
    if create_graph or a._requires_grad or b._requires_grad:
        return a + b
    return type(a)._make(a._data + b._data)


def _run_hooks(hooks, grad):
    for hook in hooks:
        result = hook(grad)
        if result is not None:
            grad = result
    return grad


def _accumulate(leaf, g, create_graph: bool, adoptable: bool) -> None:
    """Add ``g`` into ``leaf.grad``, in place when the buffer is ours."""
    Tensor = _Tensor  # a Parameter's gradient is a plain tensor, as in PyTorch
    old = leaf._grad
    if create_graph:
        leaf._grad = g if old is None else old + g
    elif old is None:
        arr = g._data
        if not (adoptable and arr.base is None and arr.flags.writeable):
            arr = arr.copy()
        leaf._grad = Tensor._make(arr)
    elif old._requires_grad or not old._data.flags.writeable:
        leaf._grad = Tensor._make(np.asarray(old._data + g._data))
    else:
        np.add(old._data, g._data, out=old._data)
        old._version.value += 1


def execute(outputs, grad_outputs=None, retain_graph=None, create_graph=False, inputs=None,
            accumulate=True, allow_unused=False, materialize_grads=False):
    """Run the backward pass from ``outputs``.

    With ``accumulate`` the gradients are added to the leaves' ``.grad`` (only ``inputs``' when
    given); otherwise the gradients of ``inputs`` are returned as a tuple. Given ``inputs``,
    only the nodes on a path to one of them run, as in PyTorch.
    """
    Tensor = _Tensor or _tensor_cls()
    if type(outputs) is not tuple:
        outputs = _as_tuple(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    grads = _root_grads(outputs, grad_outputs, create_graph)
    if inputs is None:
        inputs, capture = (), None
    else:
        inputs, capture = _capture_keys(inputs)

    # Gradients waiting for a node: buffers[node] for its output 0, buffers[(node, nr)] for the
    # others (most nodes have one output, so most entries need no dict of their own).
    if len(outputs) == 1:
        out = outputs[0]
        node = out._grad_fn
        if node is None:
            node = out._accumulator()
            buffers = {node: grads[0]}
        else:
            buffers = {node if out._output_nr == 0 else (node, out._output_nr): grads[0]}
        roots = [node]
    else:
        buffers = {}
        roots = []
        for out, g in zip(outputs, grads):
            node = out._grad_fn
            nr = out._output_nr
            if node is None:
                node, nr = out._accumulator(), 0
            roots.append(node)
            key = node if nr == 0 else (node, nr)
            prev = buffers.get(key)
            buffers[key] = g if prev is None else _add(prev, g, create_graph)
    only_captured = None  # inputs of grad() whose own node needs not run
    if capture:
        deps, visit, only_captured = _pruned_dependencies(roots, {key[0] for key in capture},
                                                          accumulate)
        ready = [node for node in dict.fromkeys(roots) if node in visit and node not in deps]
    else:
        deps = _dependencies(roots)
        # a graph has no cycle, so a single root is never waiting for another node
        ready = roots if len(roots) == 1 else [
            node for node in dict.fromkeys(roots) if node not in deps]
    captured = [None] * len(inputs)
    # arrays that must not become a leaf's .grad buffer (shared, or seen by user code)
    not_adoptable: set = set()
    fast = not capture and not ANOMALY[0]
    plain = fast and not create_graph and accumulate
    prev_mode = GRAD_ENABLED[0]
    GRAD_ENABLED[0] = create_graph
    try:
        while ready:
            node = ready.pop()
            if type(node) is AccumulateGrad:
                g = buffers.pop(node, None)
                if g is not None and not (plain and _add_into_grad(node, g)):
                    _leaf(node, g, capture, captured, accumulate, create_graph, not_adoptable)
                continue
            fn = node._function
            if fast and node._pre_hooks is None and node._post_hooks is None and fn.raw and (
                    len(node._outputs_meta) == 1):
                # the common case, inline: one output, no hooks
                g = buffers.pop(node, None)
                if g is None:
                    results = None
                else:
                    results = fn.backward(node, g)
                    if type(results) is not tuple:
                        results = (results,)
                    if len(results) != len(node._next):
                        _wrong_count(node, results)
                    if not retain_graph and node._saved:
                        node._saved = None  # free what forward saved (``_release``, inline)
            else:
                run = only_captured is None or node not in only_captured
                results = _call_hooked(node, buffers, capture, captured, retain_graph,
                                       not_adoptable, run) or None
                if results is not None and not fn.raw:
                    for r in results:
                        if isinstance(r, Tensor):
                            not_adoptable.add(id(r._data))
            if results is None:  # no gradient reached this node: its inputs get none either
                results = (None,) * len(node._next)
            sent = None  # ids of the arrays sent along this node's edges so far
            for edge, g, meta in zip(node._next, results, node._input_meta):
                if not edge:
                    continue
                nxt = edge[0]
                try:
                    count = deps[nxt] - 1
                except KeyError:  # pruned: it leads to none of the inputs
                    continue
                deps[nxt] = count
                if g is not None:
                    arr = g._data
                    if arr.shape != meta[0] or arr.dtype != meta[1]:
                        g = _fit(g, meta, create_graph, node)
                    # an array sent to two inputs (``add`` returns ``g, g``) is no leaf's own
                    if sent is None:
                        sent = [id(arr)]
                    elif id(arr) in sent:
                        not_adoptable.add(id(arr))
                    else:
                        sent.append(id(arr))
                    key = nxt if edge[1] == 0 else edge
                    prev = buffers.get(key)
                    if prev is not None:
                        g = _add(prev, g, create_graph)
                    elif count == 0 and plain and type(nxt) is AccumulateGrad and (
                            _add_into_grad(nxt, g)):
                        continue  # a leaf's only gradient, added into its .grad at once
                    buffers[key] = g
                if count == 0:
                    ready.append(nxt)
    finally:
        GRAD_ENABLED[0] = prev_mode

    if accumulate:
        return None
    for j, g in enumerate(captured):
        if g is None:
            if not allow_unused and not materialize_grads:
                raise RuntimeError("One of the differentiated Tensors appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
            if materialize_grads:
                captured[j] = Tensor._make(np.zeros_like(inputs[j]._data))
    return tuple(captured)


def _capture_keys(inputs) -> tuple:
    """``(inputs, capture)``: the inputs as a tuple, checked, and for each ``(node, output_nr)``
    that stands for one of them, the positions in ``inputs`` whose gradient it gives."""
    Tensor = _Tensor or _tensor_cls()
    inputs = _as_tuple(inputs)
    capture: dict = {}
    for j, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs must be tensors, received {type(t).__name__} at index {j}")
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        key = (t._grad_fn, t._output_nr) if t._grad_fn is not None else (t._accumulator(), 0)
        capture.setdefault(key, []).append(j)
    return inputs, capture


def _dependencies(roots: list) -> dict:
    """How many edges lead into each node reachable from the roots."""
    deps: dict = {}
    stack = list(dict.fromkeys(roots))
    rooted = set(stack)  # on the stack from the start, whatever edges lead to them
    while stack:
        for edge in stack.pop()._next:
            if edge:
                nxt = edge[0]
                if nxt in deps:
                    deps[nxt] += 1
                else:
                    deps[nxt] = 1
                    if nxt._next and nxt not in rooted:  # leaves have no edges to follow
                        stack.append(nxt)
    return deps


def _pruned_dependencies(roots: list, targets: set, run_targets: bool) -> tuple:
    """``_dependencies`` over the part of the graph that leads to a target node.

    A node is visited when it is a target or has an edge into a visited node; the others (a
    branch that only reaches unrelated leaves) never run, so neither do their hooks. Every
    parent of a visited node is visited too, so a node's count is simply its number of
    parents. A target with no visited node below it is only captured, not run, unless
    ``run_targets`` (``backward(inputs=...)`` runs the inputs' own nodes, as PyTorch does).

    Returns:
        ``(deps, visit, only_captured)``: the counts, the set of nodes to visit, and the set of
        visited targets whose backward must not run.
    """
    parents: dict = {}  # node -> the nodes with an edge into it, once per edge
    seen = set(roots)
    stack = list(seen)
    while stack:
        node = stack.pop()
        for edge in node._next:
            if edge:
                nxt = edge[0]
                above = parents.get(nxt)
                if above is None:
                    parents[nxt] = [node]
                else:
                    above.append(node)
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
    reached = [node for node in targets if node in seen]
    needed = set(reached) if run_targets else set()
    stack = list(reached)
    while stack:
        for parent in parents.get(stack.pop(), ()):
            if parent not in needed:
                needed.add(parent)
                stack.append(parent)
    visit = needed.union(reached)
    deps = {node: len(parents[node]) for node in visit if node in parents}
    return deps, visit, visit - needed


def _add_into_grad(node: AccumulateGrad, g) -> bool:
    """The common accumulation, done in place into a ``.grad`` buffer that is ours; False
    (nothing done) when hooks or the state of ``.grad`` need the general ``_leaf``."""
    leaf = node._variable()
    if leaf is None:  # the leaf is gone: nobody can see its gradient
        return True
    old = leaf._grad
    if old is None or old._requires_grad or leaf._hooks is not None or (
            leaf._post_acc_hooks is not None):
        return False
    arr = old._data
    try:
        np.add(arr, g._data, out=arr)
    except (ValueError, TypeError):  # read-only or a NumPy scalar: _leaf makes a new one
        return False
    old._version.value += 1
    return True


def _leaf(node: AccumulateGrad, g, capture: dict | None, captured: list, accumulate: bool,
          create_graph: bool, not_adoptable: set) -> None:
    """A leaf's gradient arrived: run its hooks, capture it, accumulate it into ``.grad``."""
    leaf = node._variable()  # None when the leaf is gone: nobody can see its .grad
    if leaf is not None and leaf._hooks:
        not_adoptable.add(id(g._data))
        g = _run_hooks(leaf._hooks, g)
        not_adoptable.add(id(g._data))
    if capture:
        for j in capture.get((node, 0), ()):
            captured[j] = g
    if leaf is not None and accumulate:  # with inputs given, only theirs are visited
        _accumulate(leaf, g, create_graph, id(g._data) not in not_adoptable)
        if leaf._post_acc_hooks:
            for hook in leaf._post_acc_hooks:
                hook(leaf)


def _wrong_count(node, results) -> None:
    raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                       f"(expected {len(node._next)}, got {len(results)})")


def _call_hooked(node, buffers: dict, capture: dict | None, captured: list, retain_graph: bool,
                 not_adoptable: set, run: bool) -> tuple:
    """The general case: gather every output's gradient, run the tensor pre-hooks, capture
    what ``grad(inputs=...)`` asked for, then (if ``run``) call backward (see
    ``_call_backward``)."""
    buf = {}
    g = buffers.pop(node, None)
    if g is not None:
        buf[0] = g
    for nr in range(1, len(node._outputs_meta)):
        g = buffers.pop((node, nr), None)
        if g is not None:
            buf[nr] = g
    if node._pre_hooks:
        for nr, hooks in node._pre_hooks.items():
            if nr >= 0 and nr in buf:
                not_adoptable.add(id(buf[nr]._data))
                buf[nr] = _run_hooks(hooks, buf[nr])
                not_adoptable.add(id(buf[nr]._data))
    if capture:
        for nr, g in buf.items():
            for j in capture.get((node, nr), ()):
                captured[j] = g
                not_adoptable.add(id(g._data))
    results = _call_backward(node, buf, retain_graph) if buf and run else ()
    if node._post_hooks:
        for r in results:
            if r is not None:
                not_adoptable.add(id(r._data))
    return results


def _call_backward(node, buf: dict, retain_graph: bool) -> tuple:
    """Call the node's ``backward`` with one gradient per output, zeros where none arrived."""
    Tensor = _Tensor or _tensor_cls()
    metas = node._outputs_meta
    if len(metas) == 1 and 0 in buf:
        grads = (buf[0],)
    else:
        grads = []
        for nr, meta in enumerate(metas):
            g = buf.get(nr)
            if g is None and meta is not None and node.materialize_grads:
                g = Tensor._make(np.zeros(meta[0], meta[1]))
            grads.append(g)
    results = node._function.backward(node, *grads)
    if type(results) is not tuple:
        results = (results,)
    if len(results) != len(node._next):
        _wrong_count(node, results)
    if not node._function.raw:
        for i, (r, edge) in enumerate(zip(results, node._next)):
            if r is not None and not isinstance(r, Tensor) and edge is not False:
                raise TypeError(f"function {node.name()} returned a gradient of type "
                                f"{type(r).__name__} at index {i}; expected a Tensor or None")
    if ANOMALY[0]:
        _check_anomaly(node, results)
    if node._post_hooks:
        for hook in node._post_hooks:
            replaced = hook(results, tuple(grads))
            if replaced is not None:
                results = tuple(replaced)
    if not retain_graph:
        node._release()
    return results


def _check_anomaly(node, results) -> None:
    """In anomaly mode: fail on NaN gradients, naming the op and where it was created."""
    from .anomaly_mode import check_anomaly

    check_anomaly(node, results)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             inputs=None) -> None:
    """Accumulate into the leaves' ``.grad`` the gradients of ``tensors``.

    Args:
        tensors: outputs to differentiate (a tensor or a sequence).
        grad_tensors: the gradient of some scalar with respect to each output; may be omitted
            for scalar outputs.
        retain_graph: keep the graph's saved tensors for another backward (default:
            ``create_graph``).
        create_graph: record the backward pass so higher-order gradients can be taken.
        inputs: only accumulate into these tensors' ``.grad``.
    """
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        for t in inputs:
            # a non-leaf input keeps its gradient in .grad from now on, as in PyTorch
            if isinstance(t, _Tensor) and t._grad_fn is not None:
                t.retain_grad()
    execute(tensors, grad_tensors, retain_graph, create_graph, inputs, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return the gradients of ``outputs`` with respect to ``inputs`` without touching ``.grad``.

    Example:
        >>> import chainrule as torch
        >>> x = torch.tensor(3.0, requires_grad=True)
        >>> torch.autograd.grad(x ** 2, x)
        (tensor(6.),)
    """
    if is_grads_batched:
        raise NotImplementedError("grad: is_grads_batched=True is not supported")
    return execute(outputs, grad_outputs, retain_graph, create_graph, inputs,
                     accumulate=False, allow_unused=bool(allow_unused),
                     materialize_grads=materialize_grads)

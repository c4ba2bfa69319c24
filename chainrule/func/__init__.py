"""Composable function transforms, as ``torch.func``: ``grad``, ``grad_and_value``, ``vjp``,
``jvp``, ``jacrev``, ``jacfwd``, ``hessian``, ``vmap``.

They take pure functions of tensors and return functions. Inside, reverse-mode transforms make
fresh leaves that require grad and run the engine; forward-mode ones make dual tensors
(``chainrule.autograd.forward_ad``). They nest: ``grad(grad(f))``, ``jacrev(jacfwd(f))``,
``jacfwd(jacrev(f))`` (what ``hessian`` is), ``vmap(grad(f))``. Arguments may be pytrees
(tuples, lists, dicts) of tensors.

``vmap`` is a loop over the batch dimension (same results as PyTorch's, not its speed).

Example:
    >>> import chainrule as torch
    >>> from chainrule.func import grad, vmap
    >>> vmap(grad(lambda x: (x ** 2).sum()))(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([[2., 4.],
            [6., 8.]])
"""

from ._forward import jacfwd, jvp
from ._reverse import grad, grad_and_value, hessian, jacrev, vjp
from ._vmap import vmap

__all__ = ["grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "vjp", "vmap"]

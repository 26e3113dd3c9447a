"""Stochastic diagonal Levenberg-Marquardt, the 1998 paper's training method (its Appendix C).

Each parameter w_k gets its own step eta / (mu + h_kk), where h_kk is a Gauss-Newton estimate of
the diagonal of the Hessian obtained by back-propagating *second* derivatives through the network,
exactly as Appendix C describes (not from squared gradients):

    d2E/da_i^2 = f'(a_i)^2 d2E/dx_i^2        (through the squashing function)
    d2E/dx_j^2 = sum_i w_ij^2 d2E/da_i^2     (through weights, to the layer below)
    d2E/dw_k^2 = sum over the connections sharing w_k of x_j^2 d2E/da_i^2

At the output the loss's curvature with respect to F6's outputs is that of the correct class's
RBF distance, y = sum_j (x_j - w_j)^2, i.e. 2 for every unit. h_kk is the average over a few hundred
training patterns, re-estimated before each pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lenet_viz.core.classic import Flatten, SparseConv2d, Squash, Subsampling, squash_derivative

MU = 0.02  # the paper's safety term: no step larger than eta / mu

#: eta per pass (0-based pass index -> eta) for per-pattern updates, from the paper.
PAPER_ETAS: list[tuple[int, float]] = [(2, 5e-4), (5, 2e-4), (8, 1e-4), (12, 5e-5)]
PAPER_FINAL_ETA = 1e-5


def paper_eta(epoch: int) -> float:
    """eta for pass ``epoch`` (0-based): 0.0005 for passes 1-2, 0.0002 for 3-5, ... 0.00001 after 12."""
    for end, eta in PAPER_ETAS:
        if epoch < end:
            return eta
    return PAPER_FINAL_ETA


def _squared_linear_backward(op: object, x: Tensor, weight: Tensor, d2_out: Tensor) -> tuple[Tensor, Tensor]:
    """For y = op(x, w) linear in each: (sum_i w^2 d2y, sum x^2 d2y), via autograd of op(x^2, w^2)."""
    with torch.enable_grad():
        x2 = (x.detach() ** 2).requires_grad_(True)
        w2 = (weight.detach() ** 2).requires_grad_(True)
        y = op(x2, w2)  # type: ignore[operator]
        d2_x, d2_w = torch.autograd.grad(y, (x2, w2), d2_out)
    return d2_x, d2_w


def _backward(
    module: nn.Module, x: Tensor, d2_out: Tensor
) -> tuple[Tensor, list[tuple[Tensor | None, Tensor]]]:
    """Second derivatives w.r.t. ``module``'s input and its parameters, given those of its output."""
    if isinstance(module, Squash):
        return squash_derivative(x) ** 2 * d2_out, []
    if isinstance(module, Flatten):
        return d2_out.view_as(x), []
    if isinstance(module, nn.Linear):
        d2_x, d2_w = _squared_linear_backward(F.linear, x, module.weight, d2_out)
        return d2_x, [(module.weight, d2_w), (module.bias, d2_out.sum(0))]
    if isinstance(module, nn.Conv2d):
        conv = lambda a, w: F.conv2d(a, w, None, module.stride, module.padding)  # noqa: E731
        d2_x, d2_w = _squared_linear_backward(conv, x, module.weight, d2_out)
        return d2_x, [(module.weight, d2_w), (module.bias, d2_out.sum((0, 2, 3)))]
    if isinstance(module, SparseConv2d):
        sparse = lambda a, w: F.conv2d(a, module.dense_weight(w))  # noqa: E731
        d2_x, d2_w = _squared_linear_backward(sparse, x, module.weight, d2_out)
        return d2_x, [(module.weight, d2_w), (module.bias, d2_out.sum((0, 2, 3)))]
    if isinstance(module, Subsampling):
        sums = Subsampling.block_sums(x)
        coefficient = module.weight.detach().view(1, -1, 1, 1)
        d2_sum = coefficient**2 * d2_out  # each of the four inputs has weight 1 into the sum
        d2_x = F.interpolate(d2_sum, scale_factor=2, mode="nearest")
        d2_x = F.pad(d2_x, (0, x.shape[-1] - d2_x.shape[-1], 0, x.shape[-2] - d2_x.shape[-2]))
        return d2_x, [
            (module.weight, (sums**2 * d2_out).sum((0, 2, 3))),
            (module.bias, d2_out.sum((0, 2, 3))),
        ]
    raise TypeError(f"no second-derivative rule for {type(module).__name__}")


@torch.no_grad()
def hessian_diagonal(
    chain: Sequence[nn.Module], x: Tensor, output_curvature: float = 2.0
) -> dict[Tensor, Tensor]:
    """Average over the batch ``x`` of the Gauss-Newton diagonal for every parameter of ``chain``."""
    inputs = []
    for module in chain:
        inputs.append(x)
        x = module(x)
    d2 = torch.full_like(x, output_curvature)
    totals: dict[Tensor, Tensor] = {}
    for module, module_input in zip(reversed(chain), reversed(inputs), strict=True):
        d2, per_param = _backward(module, module_input, d2)
        for param, value in per_param:
            if param is None:  # a layer built without bias
                continue
            totals[param] = totals.get(param, torch.zeros_like(param)) + value
    n = x.shape[0]
    return {param: value / n for param, value in totals.items()}


class SDLM(torch.optim.Optimizer):
    """w_k <- w_k - lr / (mu + h_kk) * dE/dw_k, with h set by :meth:`set_curvature`."""

    def __init__(self, params: Iterable[Tensor], lr: float = 5e-4, mu: float = MU) -> None:
        super().__init__(params, {"lr": lr, "mu": mu})

    def set_curvature(self, diagonal: dict[Tensor, Tensor]) -> None:
        for group in self.param_groups:
            for param in group["params"]:
                if param in diagonal:
                    self.state[param]["h"] = diagonal[param].detach().clone()

    @torch.no_grad()
    def step(self, closure: object = None) -> None:  # type: ignore[override]
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                h = self.state[param].get("h")
                scale = group["lr"] / (group["mu"] + (h if h is not None else 0.0))
                param.sub_(scale * param.grad)

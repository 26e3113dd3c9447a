"""Trainable parameters and connections per layer, counted by walking the model's modules.

A connection is one multiply-add (or one input of a pooling unit) between a unit and one of its
inputs, biases included, as the 1998 paper counts them. Counting the modules (not quoting the
paper) means a different C3 table, or the modern variant, gets its own true numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lenet_viz.core.classic import EuclideanRBF, SparseConv2d, Subsampling
from lenet_viz.core.model import LeNet5


@dataclass(frozen=True)
class LayerCount:
    name: str
    shape: tuple[int, ...]
    parameters: int
    connections: int


def _connections(module: nn.Module, output: Tensor) -> int:
    """Connections into ``module``'s outputs for one sample (0 for modules without any)."""
    per_sample = output[0]
    if isinstance(module, nn.Conv2d):
        positions = int(per_sample.shape[-2] * per_sample.shape[-1])
        k = module.kernel_size[0] * module.kernel_size[1]
        per_unit = module.in_channels // module.groups * k + (1 if module.bias is not None else 0)
        return positions * module.out_channels * per_unit
    if isinstance(module, SparseConv2d):
        positions = int(per_sample.shape[-2] * per_sample.shape[-1])
        return positions * int(module.connections * module.kernel_size**2 + module.out_channels)
    if isinstance(module, Subsampling):
        return per_sample.numel() * (4 + 1)  # four inputs summed, plus the bias
    if isinstance(module, nn.MaxPool2d):
        k = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
        return per_sample.numel() * k * k
    if isinstance(module, nn.Linear):
        return module.out_features * (module.in_features + (1 if module.bias is not None else 0))
    if isinstance(module, EuclideanRBF):
        return int(module.prototypes.numel())
    return 0


def _is_leaf(module: nn.Module) -> bool:
    return not list(module.children())


@torch.no_grad()
def count_layers(model: LeNet5) -> list[LayerCount]:
    """Per named layer: activation shape, trainable parameters and connections."""
    counts: list[LayerCount] = []
    x = torch.zeros(1, 1, 32, 32, device=model.device)
    for name, layer in model.layers():
        found: list[tuple[nn.Module, Tensor]] = []

        def record(
            mod: nn.Module, _inp: object, out: Tensor, found: list[tuple[nn.Module, Tensor]] = found
        ) -> None:
            found.append((mod, out))

        hooks = [m.register_forward_hook(record) for m in layer.modules() if _is_leaf(m)]
        try:
            x = layer(x)
        finally:
            for hook in hooks:
                hook.remove()
        params = sum(p.numel() for p in layer.parameters() if p.requires_grad)
        connections = sum(_connections(m, out) for m, out in found)
        counts.append(LayerCount(name, tuple(x.shape[1:]), params, connections))
    return counts


#: The paper's figures (section II-B), for comparison in views and tests.
PAPER_COUNTS: dict[str, tuple[int, int]] = {
    "C1": (156, 122_304),
    "S2": (12, 5_880),
    "C3": (1_516, 151_600),
    "S4": (32, 2_000),
    "C5": (48_120, 48_120),
    "F6": (10_164, 10_164),
    "OUTPUT": (0, 840),
}

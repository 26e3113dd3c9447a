"""The model variants by name, and how to make or load one."""

from __future__ import annotations

import torch

from lenet_viz.core.classic import ClassicLeNet5
from lenet_viz.core.model import LeNet5, ModernLeNet5

MODEL_VARIANTS: dict[str, type[LeNet5]] = {"modern": ModernLeNet5, "classic": ClassicLeNet5}


def create_model(variant: str = "modern", seed: int | None = None) -> LeNet5:
    """A freshly initialised model of ``variant`` (optionally seeded for reproducibility)."""
    try:
        cls = MODEL_VARIANTS[variant]
    except KeyError:
        known = ", ".join(sorted(MODEL_VARIANTS))
        raise ValueError(f"unknown model variant {variant!r} (known: {known})") from None
    if seed is None:
        return cls()
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return cls()


def load_pretrained(variant: str = "modern") -> LeNet5:
    """The model of ``variant`` with the shipped weights, in eval mode. Needs no network."""
    from lenet_viz.core.checkpoint import load_checkpoint, shipped_weights_path

    model = load_checkpoint(shipped_weights_path(variant), variant=variant)
    return model.eval()

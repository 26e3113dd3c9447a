"""The 1998 LeNet-5: counts from the paper, Table I sparsity, fixed RBF prototypes, MAP loss, SDLM."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lenet_viz.core.classic import (
    MAP_J,
    ClassicLeNet5,
    Flatten,
    SparseConv2d,
    Squash,
    Subsampling,
    c3_table,
    map_loss,
    parse_connection_table,
    parse_prototypes,
    rbf_prototypes,
)
from lenet_viz.core.counting import PAPER_COUNTS, count_layers
from lenet_viz.core.sdlm import SDLM, hessian_diagonal, paper_eta
from lenet_viz.core.variants import create_model


@pytest.fixture
def model():
    return create_model("classic", seed=0)


def test_counts_equal_the_papers(model):
    counts = {c.name: (c.parameters, c.connections) for c in count_layers(model)}
    assert counts == PAPER_COUNTS
    assert sum(p for p, _ in counts.values()) == 60_000
    assert sum(c for _, c in counts.values()) == 340_908
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 60_000


def test_a_different_table_gives_different_counts():
    dense = ClassicLeNet5(table=np.ones((6, 16), dtype=bool))
    c3 = next(c for c in count_layers(dense) if c.name == "C3")
    assert c3.parameters == 16 * 6 * 25 + 16 and c3.connections == 100 * (96 * 25 + 16)


def test_tables_match_the_shared_paper_files(lenet5_data_dir):
    table = parse_connection_table((lenet5_data_dir / "c3_connections.txt").read_text())
    np.testing.assert_array_equal(c3_table(), table)
    assert table.sum() == 60
    prototypes = parse_prototypes((lenet5_data_dir / "rbf_prototypes.txt").read_text())
    np.testing.assert_array_equal(rbf_prototypes(), prototypes)
    assert set(np.unique(prototypes)) == {-1.0, 1.0}


def test_c3_reads_only_the_s2_maps_table_one_connects(model):
    table = c3_table()
    s2 = torch.randn(1, 6, 14, 14)
    base = model.c3(s2)
    for s2_map in range(6):
        changed = s2.clone()
        changed[0, s2_map] += torch.randn(14, 14)
        diff = (model.c3(changed) - base).abs().flatten(2).amax(2)[0]  # per C3 map
        for c3_map in range(16):
            assert (diff[c3_map] > 0) == bool(table[s2_map, c3_map]), (s2_map, c3_map)


def test_input_squash_and_subsampling(model):
    x = model.to_input(np.stack([np.zeros((28, 28)), np.ones((28, 28))]))
    assert torch.allclose(x[0], torch.tensor(-0.1)) and torch.isclose(x[1, 0, 10, 10], torch.tensor(1.175))
    acts = model.forward_with_activations(x)
    c1 = 1.7159 * torch.tanh(2 / 3 * torch.nn.functional.conv2d(x, model.c1.weight, model.c1.bias))
    torch.testing.assert_close(acts["C1"], c1)
    sums = c1.unfold(2, 2, 2).unfold(3, 2, 2).sum((-1, -2))
    s2 = 1.7159 * torch.tanh(
        2 / 3 * (sums * model.s2.weight.view(1, -1, 1, 1) + model.s2.bias.view(1, -1, 1, 1))
    )
    torch.testing.assert_close(acts["S2"], s2)
    distances = ((acts["F6"][:, None, :] - torch.as_tensor(rbf_prototypes())[None]) ** 2).sum(-1)
    torch.testing.assert_close(acts["OUTPUT"], distances)


def test_initialisation_ranges(model):
    assert model.c1.weight.abs().max() <= 2.4 / 25
    assert model.c5.weight.abs().max() <= 2.4 / 400
    assert model.f6.weight.abs().max() <= 2.4 / 120
    fan_in = c3_table().sum(axis=0) * 25  # 75, 100 or 150
    bounds = torch.as_tensor(2.4 / fan_in[np.nonzero(c3_table().T)[0]], dtype=torch.float32)
    assert (model.c3.weight.abs().amax((1, 2)) <= bounds + 1e-7).all()
    assert len(set(fan_in.tolist())) == 3


def test_map_loss_by_hand():
    y = torch.tensor([[1.0, 3.0, 0.5]])
    expected = 3.0 + np.log(np.exp(-MAP_J) + np.exp(-1.0) + np.exp(-3.0) + np.exp(-0.5))
    assert map_loss(y, torch.tensor([1])).item() == pytest.approx(expected, rel=1e-6)


def test_prototypes_stay_fixed_through_training(model):
    before = model.output.prototypes.clone()
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    x = model.to_input(torch.rand(8, 28, 28))
    for _ in range(3):
        opt.zero_grad()
        model.loss(model(x), torch.arange(8) % 10).backward()
        opt.step()
    torch.testing.assert_close(model.output.prototypes, before)
    assert not any(p is model.output.prototypes for p in model.parameters())
    assert "output.prototypes" not in model.state_dict()


def _brute_force_gauss_newton(chain, x):
    params = [p for m in chain for p in m.parameters()]
    out = {p: torch.zeros_like(p) for p in params}
    for n in range(x.shape[0]):
        y = x[n : n + 1]
        for m in chain:
            y = m(y)
        y = y.flatten()
        for j in range(y.numel()):
            grads = torch.autograd.grad(y[j], params, retain_graph=True)
            for p, g in zip(params, grads, strict=True):
                out[p] += 2.0 * g**2  # J^T H J with H = 2 I, the curvature of sum (x - w)^2
    return {p: v / x.shape[0] for p, v in out.items()}


def _tiny_chains():
    torch.manual_seed(0)
    sub = Subsampling(2)
    nn.init.uniform_(sub.weight, -1, 1)
    nn.init.uniform_(sub.bias, -1, 1)
    sparse = SparseConv2d(np.array([[1, 0], [1, 1], [0, 1]], dtype=bool), kernel_size=2)
    nn.init.uniform_(sparse.weight, -1, 1)
    nn.init.uniform_(sparse.bias, -1, 1)
    return [
        ([nn.Linear(4, 3), Squash(), nn.Linear(3, 2), Squash()], torch.randn(5, 4)),
        ([sub, Squash(), Flatten(), nn.Linear(2, 3)], torch.randn(5, 2, 2, 2)),
        ([nn.Conv2d(1, 2, 2), Squash(), Flatten(), nn.Linear(2, 3)], torch.randn(5, 1, 2, 2)),
        ([sparse, Squash(), Flatten()], torch.randn(4, 3, 2, 2)),
    ]


@pytest.mark.parametrize("index", range(4))
def test_hessian_diagonal_matches_brute_force_gauss_newton(index):
    chain, x = _tiny_chains()[index]
    estimated = hessian_diagonal(chain, x)
    exact = _brute_force_gauss_newton(chain, x)
    assert set(estimated) == set(exact)
    for param, value in exact.items():
        torch.testing.assert_close(estimated[param], value, rtol=1e-4, atol=1e-6)


def test_one_sdlm_step_decreases_the_loss(model):
    x = model.to_input(torch.rand(32, 28, 28))
    labels = torch.arange(32) % 10
    opt = SDLM(model.parameters(), lr=1e-5)
    opt.set_curvature(hessian_diagonal(model.primitives(), x))
    before = model.loss(model(x), labels)
    opt.zero_grad()
    before.backward()
    opt.step()
    assert model.loss(model(x), labels).item() < before.item()


def test_paper_eta_schedule():
    assert [paper_eta(e) for e in (0, 1, 2, 4, 5, 7, 8, 11, 12, 19)] == [
        5e-4,
        5e-4,
        2e-4,
        2e-4,
        1e-4,
        1e-4,
        5e-5,
        5e-5,
        1e-5,
        1e-5,
    ]


def test_kernels_mark_missing_connections(model):
    c3 = model.kernels()["C3"]
    assert c3.shape == (16, 6, 5, 5)
    connected = ~torch.isnan(c3).any(dim=(2, 3))
    np.testing.assert_array_equal(connected.numpy(), c3_table().T)

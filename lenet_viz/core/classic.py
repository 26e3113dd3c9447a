"""LeNet-5 as LeCun, Bottou, Bengio and Haffner built it in 1998.

Faithful to the paper ("Gradient-Based Learning Applied to Document Recognition"):
- input: 32x32, background -0.1 and ink 1.175 (x = -0.1 + 1.275 p);
- squashing f(a) = 1.7159 tanh(2a/3) after C1, S2, C3, S4, C5 and F6;
- S2/S4: each map sums its 2x2 inputs, times one trainable coefficient, plus one trainable bias;
- C3: the sparse connections of Table I, stored as exactly 60 kernels (not a masked dense weight);
- OUTPUT: ten Euclidean RBF units whose fixed parameters are the 7x12 bitmaps of Figure 3;
- loss: the MAP criterion of Eq. 9; initialisation uniform in +-2.4 / fan-in.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lenet_viz.core.model import LeNet5

SQUASH_A = 1.7159
SQUASH_S = 2.0 / 3.0
#: The constant j of Eq. 9: e^-j keeps classes whose penalty is already large from being pushed
#: further up. The paper gives no value; 1.0 keeps the term small next to typical distances.
MAP_J = 1.0


def squash(a: Tensor) -> Tensor:
    return SQUASH_A * torch.tanh(SQUASH_S * a)


def squash_derivative(a: Tensor) -> Tensor:
    return SQUASH_A * SQUASH_S * (1.0 - torch.tanh(SQUASH_S * a) ** 2)


class Squash(nn.Module):
    """f(a) = 1.7159 tanh(2a/3), the paper's sigmoid."""

    def forward(self, a: Tensor) -> Tensor:
        return squash(a)


class Flatten(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(1)


def _data_text(name: str) -> str:
    return (resources.files("lenet_viz.resources") / "lenet5" / name).read_text(encoding="utf-8")


def parse_connection_table(text: str) -> np.ndarray:
    """Table I as a (6 S2 maps, 16 C3 maps) boolean array from its text form ('X' = connected)."""
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "S2" and parts[1].isdigit():
            rows.append([cell == "X" for cell in parts[2:]])
    table = np.array(rows, dtype=bool)
    if table.ndim != 2 or table.shape[0] == 0:
        raise ValueError("no 'S2 n  X . X ...' rows found in the connection table")
    return table


def parse_prototypes(text: str) -> np.ndarray:
    """Figure 3's bitmaps as a (10, 84) float32 array of +1 ('#') and -1 ('.')."""
    blocks: dict[int, list[str]] = {}
    current: int | None = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("digit "):
            current = int(line.split()[1])
            blocks[current] = []
        elif current is not None and line and line[0] in "#.":
            blocks[current].append(line)
    out = np.zeros((10, 84), dtype=np.float32)
    for digit in range(10):
        rows = blocks.get(digit, [])
        if len(rows) != 12 or any(len(r) != 7 for r in rows):
            raise ValueError(f"prototype of digit {digit} is not 12 rows of 7")
        out[digit] = [1.0 if c == "#" else -1.0 for c in "".join(rows)]
    return out


def c3_table() -> np.ndarray:
    """The paper's Table I, shipped with the package."""
    return parse_connection_table(_data_text("c3_connections.txt"))


def rbf_prototypes() -> np.ndarray:
    """The paper's Figure 3 bitmaps, shipped with the package."""
    return parse_prototypes(_data_text("rbf_prototypes.txt"))


class SparseConv2d(nn.Module):
    """A convolution where output map o reads only the input maps ``table[:, o]`` marks.

    Its parameters are one 5x5 kernel per connection (60 for Table I) and one bias per output
    map; a dense weight is assembled for each forward pass, so gradients reach only real kernels.
    """

    _dense_index: Tensor

    def __init__(self, table: np.ndarray, kernel_size: int = 5) -> None:
        super().__init__()
        self.table = np.asarray(table, dtype=bool)
        in_maps, out_maps = self.table.shape
        self.in_channels, self.out_channels, self.kernel_size = in_maps, out_maps, kernel_size
        outs, ins = np.nonzero(self.table.T)  # connections ordered by output map, then input map
        index = torch.as_tensor(outs * in_maps + ins, dtype=torch.long)
        self.register_buffer("_dense_index", index, persistent=False)  # derived from the table
        self.weight = nn.Parameter(torch.empty(len(outs), kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.empty(out_maps))

    @property
    def connections(self) -> int:
        return int(self.table.sum())

    def fan_in(self) -> Tensor:
        """Inputs per output unit, per output map: (number of S2 maps read) x 25."""
        return torch.as_tensor(self.table.sum(axis=0) * self.kernel_size**2, dtype=torch.float32)

    def dense_weight(self, weight: Tensor | None = None) -> Tensor:
        """(out, in, k, k) with zeros where Table I has no connection."""
        weight = self.weight if weight is None else weight
        k = self.kernel_size
        dense = weight.new_zeros(self.out_channels * self.in_channels, k, k)
        dense = dense.index_copy(0, self._dense_index, weight)
        return dense.view(self.out_channels, self.in_channels, k, k)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.dense_weight(), self.bias)


class Subsampling(nn.Module):
    """Each map: the sum of each 2x2 block, times a trainable coefficient, plus a trainable bias."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.weight = nn.Parameter(torch.empty(channels))  # the coefficient
        self.bias = nn.Parameter(torch.empty(channels))

    @staticmethod
    def block_sums(x: Tensor) -> Tensor:
        return F.avg_pool2d(x, 2) * 4.0

    def forward(self, x: Tensor) -> Tensor:
        return self.block_sums(x) * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class EuclideanRBF(nn.Module):
    """y_i = sum_j (x_j - w_ij)^2 with fixed (non-trainable) prototypes w."""

    prototypes: Tensor

    def __init__(self, prototypes: np.ndarray) -> None:
        super().__init__()
        # Not persistent: checkpoints hold trainable weights only, the bitmaps are the paper's.
        self.register_buffer("prototypes", torch.as_tensor(prototypes, dtype=torch.float32), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        diff = x.unsqueeze(1) - self.prototypes.unsqueeze(0)  # (N, 10, 84)
        return (diff * diff).sum(dim=-1)


def map_loss(distances: Tensor, labels: Tensor, j: float = MAP_J) -> Tensor:
    """The paper's Eq. 9, averaged over the batch: y_correct + log(e^-j + sum_i e^-y_i)."""
    correct = distances.gather(1, labels.view(-1, 1)).squeeze(1)
    floor = torch.full_like(correct, -j).unsqueeze(1)
    competition = torch.logsumexp(torch.cat([floor, -distances], dim=1), dim=1)
    return (correct + competition).mean()


class ClassicLeNet5(LeNet5):
    """The 1998 LeNet-5: 60,000 trainable parameters, 340,908 connections."""

    variant = "classic"
    input_offset = -0.1
    input_scale = 1.275

    def __init__(self, table: np.ndarray | None = None, prototypes: np.ndarray | None = None) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = Subsampling(6)
        self.c3 = SparseConv2d(c3_table() if table is None else table)
        self.s4 = Subsampling(self.c3.out_channels)
        self.c5 = nn.Conv2d(self.c3.out_channels, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = EuclideanRBF(rbf_prototypes() if prototypes is None else prototypes)
        # A plain list, not registered submodules: each parameter keeps one name in state_dict.
        self._layers = [
            ("C1", nn.Sequential(self.c1, Squash())),  # (N, 6, 28, 28)
            ("S2", nn.Sequential(self.s2, Squash())),  # (N, 6, 14, 14)
            ("C3", nn.Sequential(self.c3, Squash())),  # (N, 16, 10, 10)
            ("S4", nn.Sequential(self.s4, Squash())),  # (N, 16, 5, 5)
            ("C5", nn.Sequential(self.c5, Squash(), Flatten())),  # (N, 120)
            ("F6", nn.Sequential(self.f6, Squash())),  # (N, 84)
            ("OUTPUT", self.output),  # (N, 10) distances: lower is better
        ]
        self.reset_parameters()

    def layers(self) -> list[tuple[str, nn.Module]]:
        return self._layers

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """Uniform in [-2.4/F, 2.4/F], F the fan-in of the unit the weight or bias feeds."""

        def uniform(tensor: Tensor | None, fan_in: float | Tensor) -> None:
            if tensor is None:
                return
            bound = 2.4 / torch.as_tensor(fan_in, dtype=torch.float32)
            tensor.copy_((torch.rand_like(tensor) * 2 - 1) * bound)

        uniform(self.c1.weight, 25)
        uniform(self.c1.bias, 25)
        for pool in (self.s2, self.s4):
            uniform(pool.weight, 4)
            uniform(pool.bias, 4)
        per_map = self.c3.fan_in()  # 75, 100 or 150 depending on the map
        outs = torch.as_tensor(np.nonzero(self.c3.table.T)[0])
        uniform(self.c3.weight, per_map[outs].view(-1, 1, 1).expand_as(self.c3.weight))
        uniform(self.c3.bias, per_map)
        uniform(self.c5.weight, self.c3.out_channels * 25)
        uniform(self.c5.bias, self.c3.out_channels * 25)
        uniform(self.f6.weight, 120)
        uniform(self.f6.bias, 120)

    def loss(self, output: Tensor, labels: Tensor) -> Tensor:
        return map_loss(output, labels)

    def classify(self, output: Tensor) -> Tensor:
        return output.argmin(dim=-1)  # the nearest prototype

    def scores_to_probabilities(self, output: Tensor) -> Tensor:
        return torch.softmax(-output, dim=-1)

    def kernels(self) -> dict[str, Tensor]:
        """C3 comes back dense (16, 6, 5, 5) with NaN where Table I has no connection."""
        dense = self.c3.dense_weight().detach().clone()
        mask = torch.as_tensor(~self.c3.table.T)  # (16, 6)
        dense[mask] = float("nan")
        return {"C1": self.c1.weight.detach().clone(), "C3": dense}

    def primitives(self) -> list[nn.Module]:
        """The chain of elementary modules from the input to F6 (for second-derivative backprop)."""
        chain: list[nn.Module] = []
        for name, layer in self._layers:
            if name != "OUTPUT":
                chain.extend(layer.children())
        return chain

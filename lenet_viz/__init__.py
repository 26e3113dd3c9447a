"""lenet-viz: watch LeNet-5 think and learn.

The public, stable Python API (documented in the README):

- :func:`load_pretrained` — a model with the shipped weights, in eval mode.
- :func:`preprocess_canvas` — a drawing (any size, ink high) to an MNIST-style 28x28 image.
- ``model.to_input``, ``model.forward_with_activations``, ``model.predict`` on the returned model.
- :class:`lenet_viz.gui.MainWindow` — the whole window (imports Qt; import it explicitly).
"""

from lenet_viz.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from lenet_viz.core.model import LAYER_NAMES, LeNet5, ModernLeNet5
from lenet_viz.core.preprocess import preprocess_canvas
from lenet_viz.core.variants import create_model, load_pretrained

__version__ = "0.1.0"

__all__ = [
    "LAYER_NAMES",
    "CheckpointError",
    "LeNet5",
    "ModernLeNet5",
    "create_model",
    "load_checkpoint",
    "load_pretrained",
    "preprocess_canvas",
    "save_checkpoint",
]

"""The Qt-free core: model, data, preprocessing, training, checkpoints.

Nothing under this package may import Qt or pyqtgraph (a test enforces it), so scripts,
notebooks, the CLI and the tests can drive everything without a display.
"""

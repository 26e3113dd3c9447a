"""Shipped data files (weights, icons). Installed as ``lenet_viz.resources``."""

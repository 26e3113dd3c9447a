"""Widgets that show one thing each; they hold no model and run no torch code."""

"""``python -m lenet_viz`` does exactly what the ``lenet-viz`` command does."""

import sys

from lenet_viz.cli import main

sys.exit(main())

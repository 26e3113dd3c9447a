"""A process killed with SIGKILL in the middle of saving never leaves a broken checkpoint."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from reliability import kill_during_saves  # noqa: E402


def test_sigkill_during_saves_keeps_a_loadable_checkpoint(tmp_path):
    kills, good = kill_during_saves(5, tmp_path)
    assert good == kills == 5

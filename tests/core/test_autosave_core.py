from lenet_viz.core.autosave import Autosave
from lenet_viz.core.checkpoint import read_metadata
from lenet_viz.core.variants import create_model


def test_last_and_best(tmp_path):
    autosave = Autosave(tmp_path / "a")
    model = create_model(seed=0)
    autosave.begin_run()
    autosave.save_epoch(model, 1, 0.90)
    autosave.save_epoch(model, 2, 0.95)
    autosave.save_epoch(model, 3, 0.93)
    assert read_metadata(autosave.last_path("modern"))["epoch"] == "3"
    assert read_metadata(autosave.best_path("modern"))["epoch"] == "2"
    assert autosave.recoverable() == autosave.last_path("modern")
    autosave.end_run()
    assert autosave.recoverable() is None

from lenet_viz.core.autosave import Autosave
from lenet_viz.core.checkpoint import read_metadata
from lenet_viz.core.data import load_datasets
from lenet_viz.core.resume import is_training_state
from lenet_viz.core.training import TrainConfig, Trainer
from lenet_viz.core.variants import create_model


def test_last_and_best(tmp_path, mnist_dir):
    train, test = load_datasets(mnist_dir, limit=300)
    trainer = Trainer(create_model(seed=0), train, test, TrainConfig(epochs=1))
    autosave = Autosave(tmp_path / "a")
    autosave.begin_run()
    for accuracy in (0.90, 0.95, 0.93):
        trainer.history.test_accuracy.append(accuracy)
        trainer.epoch += 1
        autosave.save(trainer)
    assert read_metadata(autosave.last_path("modern"))["epoch"] == "3"
    assert read_metadata(autosave.best_path("modern"))["epoch"] == "2"
    assert is_training_state(autosave.last_path("modern"))
    assert autosave.recoverable() == autosave.last_path("modern")
    autosave.end_run()
    assert autosave.recoverable() is None

"""Lightning checkpoints of a BayesianClassifier round-trip the posterior and the options."""

import pytest
import torch
from torch.utils.data import DataLoader

import bayescnn
from bayescnn.lightning import BayesianClassifier

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*does not have many workers",
    "ignore:.*LeafSpec",
    "ignore:You defined a `validation_step` but have no `val_dataloader`",
)


def test_a_saved_checkpoint_loads_into_a_fresh_model_with_the_same_posterior_and_predictions(
    tmp_path, data, tiny_cnn, quiet_trainer
):
    train = data(64)
    module = BayesianClassifier(
        tiny_cnn(seed=0), len(train), beta="blundell", train_samples=2, lr=1e-2, valid_samples=3
    )
    trainer = quiet_trainer(max_epochs=1)
    trainer.fit(module, DataLoader(train, batch_size=16, shuffle=True))
    trainer.save_checkpoint(tmp_path / "last.ckpt")

    loaded = BayesianClassifier.load_from_checkpoint(tmp_path / "last.ckpt", model=tiny_cnn(seed=1))

    trained = dict(module.model.named_parameters())
    names = {name for name in trained if name.endswith(("_mu", "_rho"))}
    assert names and names == set(trained)  # every parameter is a mu or a rho
    for name, parameter in loaded.model.named_parameters():
        torch.testing.assert_close(parameter, trained[name], rtol=0, atol=0, msg=name)
    inputs = data(8, seed=5).tensors[0]
    with torch.no_grad(), bayescnn.posterior_mean(module), bayescnn.posterior_mean(loaded):
        torch.testing.assert_close(loaded(inputs), module(inputs), rtol=0, atol=0)
    assert loaded.hparams == module.hparams
    assert repr(loaded.elbo) == repr(module.elbo)
    assert loaded.valid_samples == 3 and loaded.lr == 1e-2

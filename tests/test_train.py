import json

import numpy as np
import pytest
import tensorflow as tf

from ganlib import data, losses, train


def real_batches(n_batches=4, batch_size=16, seed=0):
    # smooth blobs in [-1, 1]: real-looking enough for D to learn, made here so the test needs no dataset
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:28, :28]
    centres = rng.uniform(8, 20, (n_batches * batch_size, 2))
    blobs = np.exp(-((yy - centres[:, :1, None]) ** 2 + (xx - centres[:, 1:, None]) ** 2) / 20)
    return (2 * blobs - 1).astype(np.float32)[..., None].reshape(n_batches, batch_size, 28, 28, 1)


def tiny_pipeline(n=64, batch_size=16):
    images = ((real_batches(1, n)[0, ..., 0] + 1) * 127.5).astype(np.uint8)
    return data.make_pipeline(images, batch_size, seed=0)


def test_one_step_lowers_the_discriminator_loss_on_a_fixed_batch():
    gan = train.build_gan("dcgan", seed=0, width=16)
    real = tf.constant(real_batches(1)[0])
    # the fakes the step will see: same generator weights, same latents (a copy of the step's rng)
    rng_copy = tf.random.Generator.from_state(gan.rng.state, gan.rng.algorithm)
    fakes = gan.generator(rng_copy.normal((16, gan.latent_dim)), training=True)

    def d_loss():
        return float(losses.discriminator_loss(gan.discriminator(real, training=False),
                                               gan.discriminator(fakes, training=False)))

    before = d_loss()
    gan.train_step(real)
    assert d_loss() < before


def test_same_seed_gives_same_losses_and_another_seed_does_not():
    batches = real_batches(3)

    def run(seed):
        gan = train.build_gan("gan", seed=seed)
        return [[float(v) for v in gan.train_step(tf.constant(b)).values()] for b in batches]

    first = run(7)
    np.testing.assert_allclose(run(7), first, rtol=1e-5)
    assert not np.allclose(run(8), first, rtol=1e-3)


def test_checkpoint_then_resume_continues_from_the_saved_step(tmp_path):
    pipeline = tiny_pipeline()  # 4 steps an epoch
    first = train.build_gan("dcgan", seed=0, width=8)
    result = train.fit(first, pipeline, epochs=1, run_dir=tmp_path, progress=False, verbose=False)
    assert (result.epochs_done, int(first.step)) == (1, 4)
    saved_weights = [w.copy() for w in first.generator.get_weights()]

    resumed = train.build_gan("dcgan", seed=0, width=8)  # fresh weights, until fit restores them
    seen = []
    train.fit(resumed, pipeline, epochs=2, run_dir=tmp_path, progress=False, verbose=False,
              on_epoch_end=lambda epoch, grid: seen.append((epoch, int(resumed.step))))
    assert seen == [(2, 8)]  # it trained epoch 2 only, counting steps on from 4
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["steps"]["step"] == list(range(1, 9))
    assert sorted(p.name for p in (tmp_path / "grids").iterdir()) == ["epoch_0001.png", "epoch_0002.png"]
    assert (tmp_path / "training.gif").is_file() and (tmp_path / "losses.png").is_file()

    # what `sample` loads is the newest checkpoint, not the first one
    loaded = train.load_gan(tmp_path)
    assert int(loaded.step) == 8
    np.testing.assert_allclose(loaded.generator.get_weights()[0], resumed.generator.get_weights()[0])
    assert not np.allclose(loaded.generator.get_weights()[0], saved_weights[0])


def test_restore_fills_the_optimizer_state(tmp_path):
    gan = train.build_gan("dcgan", seed=0, width=8)
    train.fit(gan, tiny_pipeline(), epochs=1, run_dir=tmp_path, progress=False, verbose=False)
    resumed = train.build_gan("dcgan", seed=1, width=8)
    resumed.checkpoint().restore(tf.train.latest_checkpoint(str(tmp_path / "checkpoints"))).assert_consumed()
    assert int(resumed.g_optimizer.iterations) == 4
    for a, b in zip(gan.d_optimizer.variables, resumed.d_optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_budget_stops_cleanly_after_checkpointing(tmp_path):
    gan = train.build_gan("dcgan", seed=0, width=8)
    result = train.fit(gan, tiny_pipeline(), epochs=5, run_dir=tmp_path, max_minutes=1e-9,
                       progress=False, verbose=False)
    assert result.stopped_by == "budget"
    assert (int(gan.step), int(gan.epoch)) == (1, 0)
    assert train.load_gan(tmp_path).step.numpy() == 1
    assert (tmp_path / "grids" / "epoch_0001_partial.png").is_file()


def test_interrupt_keeps_the_finished_epochs(tmp_path):
    def stop_after_first_epoch(epoch, grid):
        raise KeyboardInterrupt

    gan = train.build_gan("dcgan", seed=0, width=8)
    result = train.fit(gan, tiny_pipeline(), epochs=3, run_dir=tmp_path, progress=False, verbose=False,
                       on_epoch_end=stop_after_first_epoch)
    assert (result.stopped_by, result.epochs_done) == ("interrupt", 1)
    assert int(train.load_gan(tmp_path).epoch) == 1


def test_a_run_directory_of_another_model_is_refused_and_left_alone(tmp_path):
    train.fit(train.build_gan("dcgan", seed=0, width=8), tiny_pipeline(), epochs=1, run_dir=tmp_path,
              progress=False, verbose=False)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(train.RunDirError, match="holds a different run"):
        train.fit(train.build_gan("gan", seed=0), tiny_pipeline(), epochs=1, run_dir=tmp_path,
                  progress=False, verbose=False)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_unknown_model_or_setting_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown model 'wgan'"):
        train.build_gan("wgan")
    with pytest.raises(ValueError, match="dcgan has no setting depth"):
        train.build_gan("dcgan", depth=3)

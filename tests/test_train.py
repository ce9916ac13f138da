"""The train steps, the loop and fit: what a step changes, exact resume, checkpoints, budgets and clean stops."""

import json

import numpy as np
import pytest
import tensorflow as tf

from ganlib import loop, losses, runs, steps, train


def blobs(n, seed=0):
    """Smooth blobs as uint8 images: real-looking enough for D to learn, made here so no dataset is needed."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:28, :28]
    centres = rng.uniform(8, 20, (n, 2))
    images = np.exp(-((yy - centres[:, :1, None]) ** 2 + (xx - centres[:, 1:, None]) ** 2) / 20)
    return np.rint(images * 255).astype(np.uint8)


def as_float(images):
    return tf.constant(images[..., None].astype(np.float32) / 127.5 - 1.0)


def weights(gan):
    return [np.asarray(v).copy() for v in gan.checkpoint_variables()]


def test_one_step_lowers_the_discriminator_loss_on_a_fixed_batch():
    gan = train.build_gan("dcgan", seed=0, width=16, batch_size=16)
    real = as_float(blobs(16))
    fakes = gan.generator(gan.noise.normal("z", gan.latent_dim), training=True)  # the step's own draws

    def d_loss():
        return float(losses.discriminator_loss(gan.discriminator(real), gan.discriminator(fakes)))

    before = d_loss()
    gan.train_step(real)
    assert d_loss() < before


def test_a_least_squares_step_moves_d_towards_its_targets():
    # LSGAN: D wants D(x) = 1 on real and 0 on fake; one step with a larger rate must shrink its loss
    gan = train.build_gan("lsgan", seed=0, width=16, batch_size=16, learning_rate=1e-3)
    real = as_float(blobs(16, seed=1))
    fakes = gan.generator(gan.noise.normal("z", gan.latent_dim), training=True)

    def d_loss():
        return float(losses.lsgan_discriminator_loss(gan.discriminator(real), gan.discriminator(fakes)))

    before = d_loss()
    values = gan.train_step(real)
    assert float(values["d_loss"]) == pytest.approx(before, rel=1e-4)  # the step reports the loss it descended
    assert d_loss() < before
    assert set(values) == set(steps.STEP_VALUES["adversarial"])


def test_step_noise_is_a_pure_function_of_seed_step_and_purpose():
    step = tf.Variable(5, dtype=tf.int64)
    noise = steps.StepNoise(seed=1, step=step, global_batch=4)
    a = noise.normal("z", 3).numpy()
    np.testing.assert_array_equal(a, steps.StepNoise(1, tf.Variable(5, dtype=tf.int64), 4).normal("z", 3).numpy())
    assert not np.allclose(a, noise.normal("epsilon", 3).numpy())  # another purpose
    assert not np.allclose(a, noise.normal("z", 3, index=1).numpy())  # another critic update
    step.assign_add(1)
    assert not np.allclose(a, noise.normal("z", 3).numpy())  # the next step


def test_same_seed_gives_same_losses_and_another_seed_does_not():
    batches = [as_float(blobs(64, seed=s)) for s in range(3)]

    def run(seed):
        gan = train.build_gan("gan", seed=seed)
        return [[float(v) for v in gan.train_step(b).values()] for b in batches]

    first = run(7)
    np.testing.assert_array_equal(run(7), first)
    assert not np.allclose(run(8), first, rtol=1e-3)


def test_k_steps_per_call_equal_k_single_steps():
    images = blobs(256)
    results = []
    for k in (1, 3):
        gan = train.build_gan("dcgan", seed=0, width=8, batch_size=32)
        seen = {}
        loop.Trainer(gan, images, steps_per_call=k).run(max_steps=11, on_values=lambda f, v: seen.setdefault(f, v))
        results.append((weights(gan), np.concatenate([v["d_loss"] for _, v in sorted(seen.items())])))
    for a, b in zip(results[0][0], results[1][0]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_losses_are_read_from_the_device_in_chunks_not_every_step():
    gan = train.build_gan("dcgan", seed=0, width=8, batch_size=32)
    calls = []
    trainer = loop.Trainer(gan, blobs(256), read_every_seconds=3600)
    trainer.run(max_steps=20, on_values=lambda first, values: calls.append((first, len(values["d_loss"]))))
    assert calls == [(1, 8), (9, 8), (17, 4)]  # once per epoch (8 steps) and at the end, never per step


def test_fit_checkpoints_and_resume_continues_from_the_saved_step(tmp_path):
    images = blobs(64)  # 4 steps an epoch at batch 16
    first = train.build_gan("dcgan", seed=0, width=8, batch_size=16)
    result = train.fit(first, images, epochs=1, run_dir=tmp_path, progress=False, verbose=False)
    assert (result.epochs_done, int(first.step.numpy())) == (1, 4)
    saved_weights = weights(first)

    resumed = train.build_gan("dcgan", seed=0, width=8, batch_size=16)  # fresh weights, until fit restores them
    seen = []
    train.fit(resumed, images, epochs=2, run_dir=tmp_path, progress=False, verbose=False,
              on_epoch_end=lambda epoch, grid: seen.append((epoch, int(resumed.step.numpy()))))
    assert seen == [(2, 8)]  # it trained epoch 2 only, counting steps on from 4
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["steps"]["step"] == list(range(1, 9))
    assert sorted(p.name for p in (tmp_path / "grids").iterdir()) == ["epoch_0001.png", "epoch_0002.png"]
    assert (tmp_path / "training.gif").is_file() and (tmp_path / "losses.png").is_file()
    assert list((tmp_path / "logs").glob("events.out.tfevents.*"))  # TensorBoard

    loaded = train.load_gan(tmp_path)  # what `sample` loads is the newest checkpoint, not the first one
    assert int(loaded.step.numpy()) == 8
    np.testing.assert_array_equal(weights(loaded)[0], weights(resumed)[0])
    assert not np.allclose(weights(loaded)[0], saved_weights[0])


@pytest.mark.parametrize("model", ["gan"])  # with Dropout in D (dcgan, wgan_gp, style, cgan: test_resume.py)
def test_a_run_split_anywhere_ends_bitwise_equal_to_one_straight_run(tmp_path, model):
    images = blobs(96)  # 6 steps an epoch at batch 16: splits mid-epoch and at the boundary
    settings = dict(batch_size=16) | ({"width": 8} if model == "dcgan" else {})
    straight = train.build_gan(model, seed=2, **settings)
    train.fit(straight, images, 3, tmp_path / "straight", progress=False, verbose=False)
    for split in (3, 6):
        for _ in range(2):
            part = train.build_gan(model, seed=2, **settings)
            assert train.fit(part, images, 3, tmp_path / f"split{split}", max_steps=split, progress=False,
                             verbose=False).stopped_by == "steps"
        rest = train.build_gan(model, seed=2, **settings)
        train.fit(rest, images, 3, tmp_path / f"split{split}", progress=False, verbose=False)
        for a, b in zip(weights(straight), weights(rest)):
            np.testing.assert_array_equal(a, b)
        for name in ("history.json",):
            a = json.loads((tmp_path / "straight" / name).read_text())["steps"]
            assert a == json.loads((tmp_path / f"split{split}" / name).read_text())["steps"]
        for grid in (tmp_path / "straight" / "grids").iterdir():
            assert grid.read_bytes() == (tmp_path / f"split{split}" / "grids" / grid.name).read_bytes()


def test_restore_fills_the_optimizer_state(tmp_path):
    gan = train.build_gan("dcgan", seed=0, width=8, batch_size=16)
    train.fit(gan, blobs(64), epochs=1, run_dir=tmp_path, progress=False, verbose=False)
    resumed = train.build_gan("dcgan", seed=1, width=8, batch_size=16)
    runs.Checkpoints(resumed.checkpoint(), tmp_path / "checkpoints").restore()
    assert int(resumed.g_optimizer.iterations.numpy()) == 4
    for a, b in zip(gan.d_optimizer.variables, resumed.d_optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_budget_stops_cleanly_after_checkpointing(tmp_path):
    gan = train.build_gan("dcgan", seed=0, width=8, batch_size=16)
    result = train.fit(gan, blobs(64), epochs=5, run_dir=tmp_path, max_minutes=1e-9, progress=False, verbose=False)
    assert result.stopped_by == "budget"
    assert (int(gan.step.numpy()), int(gan.epoch.numpy())) == (1, 0)
    assert int(train.load_gan(tmp_path).step.numpy()) == 1
    assert (tmp_path / "grids" / "epoch_0001_partial.png").is_file()
    train.fit(train.build_gan("dcgan", seed=0, width=8, batch_size=16), blobs(64), epochs=1, run_dir=tmp_path,
              progress=False, verbose=False)
    assert not (tmp_path / "grids" / "epoch_0001_partial.png").exists()  # the epoch it showed is complete


def test_checkpoints_by_time_within_an_epoch(tmp_path):
    gan = train.build_gan("dcgan", seed=0, width=8, batch_size=16)
    trainer_steps = []
    original = runs.Checkpoints.save

    def spy(self, step, variables):
        trainer_steps.append(step)
        return original(self, step, variables)

    runs.Checkpoints.save = spy
    try:
        loop_read = loop.Trainer.__init__.__defaults__
        train.fit(gan, blobs(640), epochs=1, run_dir=tmp_path, checkpoint_minutes=1e-9, progress=False, verbose=False)
    finally:
        runs.Checkpoints.save = original
    assert loop_read  # the loop reads values at least every second, so time-based saves happen mid-epoch
    assert trainer_steps[-1] == 40 and len(set(trainer_steps)) >= 2 and min(trainer_steps) < 40


def test_interrupt_keeps_the_finished_epochs(tmp_path):
    def stop_after_first_epoch(epoch, grid):
        raise KeyboardInterrupt

    gan = train.build_gan("dcgan", seed=0, width=8, batch_size=16)
    result = train.fit(gan, blobs(64), epochs=3, run_dir=tmp_path, progress=False, verbose=False,
                       on_epoch_end=stop_after_first_epoch)
    assert (result.stopped_by, result.epochs_done) == ("interrupt", 1)
    assert int(train.load_gan(tmp_path).epoch.numpy()) == 1


def test_ctrl_c_stops_after_the_step_in_flight_with_a_checkpoint(tmp_path):
    import os
    import signal

    gan = train.build_gan("dcgan", seed=0, width=8, batch_size=16)
    result = train.fit(gan, blobs(64), epochs=3, run_dir=tmp_path, progress=False, verbose=False,
                       on_epoch_end=lambda epoch, grid: os.kill(os.getpid(), signal.SIGINT))
    assert (result.stopped_by, result.epochs_done) == ("interrupt", 1)
    assert int(train.load_gan(tmp_path).step.numpy()) == 4


def test_a_non_finite_loss_stops_without_checkpointing_the_broken_weights(tmp_path):
    images = blobs(64)
    gan = train.build_gan("dcgan", seed=0, width=8, batch_size=16)
    train.fit(gan, images, 1, tmp_path, progress=False, verbose=False)
    good = weights(gan)
    broken = train.build_gan("dcgan", seed=0, width=8, batch_size=16)
    step = broken.replica_step

    def diverging_step(batch):  # from step 6 on, the weights and the loss are NaN
        values = step(batch)
        bad = broken.step >= 5
        kernel = broken.discriminator.trainable_variables[0]
        kernel.assign(tf.where(bad, kernel * np.nan, kernel))
        return {**values, "d_loss": tf.where(bad, np.float32(np.nan), values["d_loss"])}

    broken.replica_step = diverging_step
    result = train.fit(broken, images, 3, tmp_path, progress=False, verbose=False)
    assert result.stopped_by == "nonfinite" and "the last good checkpoint (step 4) is kept" in result.message
    assert "d_loss became nan at step 6" in result.message
    restored = train.load_gan(tmp_path)
    for a, b in zip(good, weights(restored)):
        np.testing.assert_array_equal(a, b)
    assert json.loads((tmp_path / "history.json").read_text())["steps"]["step"] == [1, 2, 3, 4]


def test_a_run_directory_of_another_model_is_refused_and_left_alone(tmp_path):
    train.fit(train.build_gan("dcgan", seed=0, width=8, batch_size=16), blobs(64), 1, tmp_path,
              progress=False, verbose=False)
    before = sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    with pytest.raises(train.RunDirError, match="holds a different run"):
        train.fit(train.build_gan("gan", seed=0), blobs(64), 1, tmp_path, progress=False, verbose=False)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.rglob("*")) == before


def test_a_corrupt_newest_checkpoint_falls_back_to_an_older_one(tmp_path, capsys):
    gan = train.build_gan("dcgan", seed=0, width=8, batch_size=16)
    train.fit(gan, blobs(64), 2, tmp_path, progress=False, verbose=False)
    newest = sorted((tmp_path / "checkpoints").glob("ckpt-8.data*"))[0]
    newest.write_bytes(newest.read_bytes()[:100])  # cut short, as a kill during a copy would
    capsys.readouterr()
    restored = train.load_gan(tmp_path)
    assert int(restored.step.numpy()) == 4
    err = capsys.readouterr().err
    assert "ckpt-8" in err and "using the older ckpt-4" in err and len(err.strip().splitlines()) == 1
    for f in (tmp_path / "checkpoints").glob("ckpt-4*"):
        f.write_bytes(b"")
    with pytest.raises(runs.RunDirError, match="no checkpoint .* can be restored"):
        train.load_gan(tmp_path)


def test_a_checkpoint_of_another_architecture_is_an_error_not_a_partial_load(tmp_path):
    train.fit(train.build_gan("dcgan", seed=0, width=8, batch_size=16), blobs(64), 1, tmp_path,
              progress=False, verbose=False)
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "width": 16}))  # as if edited by hand
    with pytest.raises(runs.RunDirError, match="does not match this model"):
        train.load_gan(tmp_path)


# Each model's networks before its settings existed (the style model always had the constant and the channel; no
# model had the R1 penalty), and how today's defaults refuse to resume that run as another one.
BEFORE_A_SETTING = {
    "dcgan": ({"convs_per_block": 1, "d_convs_per_block": 1, "full_resolution_channels": 0, "r1_weight": 0.0},
              "convs_per_block: 1 there, 2 now"),
    "style": ({"const_input": True, "minibatch_std": True, "r1_weight": 0.0}, "const_input: True there, False now"),
}
SMALL = {"dcgan": {"width": 8}, "style": {"width": 8, "w_dim": 16, "latent_dim": 16}}


@pytest.mark.parametrize("model", list(BEFORE_A_SETTING))
def test_a_run_saved_before_a_setting_existed_loads_as_the_networks_it_was_trained_with(tmp_path, model):
    old, refusal = BEFORE_A_SETTING[model]
    gan = train.build_gan(model, seed=0, batch_size=16, **SMALL[model], **old)
    train.fit(gan, blobs(64), 1, tmp_path, progress=False, verbose=False)
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({k: v for k, v in config.items() if k not in old}))
    restored = train.load_gan(tmp_path)
    assert {k: restored.config[k] for k in old} == old
    assert all(np.array_equal(a, b) for a, b in zip(weights(restored), weights(gan)))
    with pytest.raises(train.RunDirError, match=refusal):  # today's defaults: another run
        train.fit(train.build_gan(model, seed=0, batch_size=16, **SMALL[model]), blobs(64), 2, tmp_path,
                  progress=False, verbose=False)


def test_unknown_model_setting_or_value_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown model 'wgan_pg'"):
        train.build_gan("wgan_pg")
    with pytest.raises(ValueError, match="dcgan has no setting depth"):
        train.build_gan("dcgan", depth=3)
    with pytest.raises(ValueError, match="loss='hinge' is not one of"):
        train.build_gan("style", loss="hinge")
    with pytest.raises(ValueError, match="learning_rate=-1.0: it must be between 0 and 1"):
        train.build_gan("dcgan", learning_rate=-1)
    with pytest.raises(ValueError, match="width must be a int"):
        train.build_gan("dcgan", width=2.5)
    with pytest.raises(ValueError, match="seed must be a whole number"):
        train.build_gan("dcgan", seed=-1)


def test_the_moving_average_of_g_follows_its_weights_and_draws_the_samples():
    gan = train.build_gan("dcgan", seed=0, width=8, batch_size=16, ema=0.9)
    assert gan.sampler is gan.average_generator and gan.average_generator is not gan.generator
    start = [np.asarray(v).copy() for v in gan.average_generator.variables]
    np.testing.assert_array_equal(start[0], np.asarray(gan.generator.variables[0]))  # starts as a copy of G
    gan.train_step(as_float(blobs(16)))
    beta = min(0.9, 2 / 11)  # warm-up at step 1: (1 + t) / (10 + t)
    for average, before, weight in zip(gan.average_generator.variables, start, gan.generator.variables):
        np.testing.assert_allclose(np.asarray(average), beta * before + (1 - beta) * np.asarray(weight), rtol=1e-5,
                                   atol=1e-7)
    z = gan.latents(4, seed=1)
    np.testing.assert_allclose(gan.sample(4, seed=1), gan.average_generator(z, training=False), atol=1e-6)
    assert not np.allclose(gan.sample(4, seed=1), gan.generator(z, training=False), atol=1e-6)
    without = train.build_gan("dcgan", width=8, ema=0)  # no average: G itself draws
    assert without.sampler is without.generator and without.average_generator is None

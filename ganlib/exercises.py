"""Checks a learner's exercise answers against ganlib's references and names the mistake when it is a known one.

Each chapter ends with exercises: a stub cell where the learner writes one function, then a check cell,

    exercises.check("ch03.gradient_penalty", gradient_penalty)

which runs her function on crafted inputs, compares it with the reference (ganlib's own implementation where
there is one), and prints one verdict: ✔ passed, ✘ what is wrong with a hint, or ○ not attempted yet. Wrong
answers are recognised by their fingerprints: the output of each known mistake (the sigmoid applied twice, one
ε for the whole batch, the norm over the wrong axes, ...) is computed on the same inputs, and the first one the
learner's output matches names the mistake. Errors her code raises are reported in a line or two, never as a
traceback. ``check`` returns a ``Result`` (``passed``, ``message``).

With ``GANLIB_EXERCISE_SOLUTIONS=1`` (the test run, see ``ganlib._nbval_exercises``) a verdict other than
passed raises ``AssertionError``, so a broken reference solution fails its notebook. The reference solutions
are in ``solutions/chNN_<name>.py``; ``solution_source(name)`` returns one, ``list_exercises()`` the names.
"""

import difflib
import functools
import inspect
import re
from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np
import scipy.linalg
import scipy.stats
import tensorflow as tf

from ganlib import latent, losses, metrics, steps, style
from ganlib._nbval_exercises import SOLUTIONS_ENV, SOLUTIONS_URL, solution_filename, solution_path, solutions_enabled

__all__ = ["Result", "check", "list_exercises", "solution_source", "SOLUTIONS_ENV"]


@dataclass(frozen=True)
class Result:
    """The verdict of ``check``: ``passed``, and the ``message`` it printed (``attempted`` is False for a stub)."""

    name: str
    passed: bool
    message: str
    attempted: bool = True

    def __bool__(self):
        return self.passed

    def __str__(self):
        return self.message

    def _ipython_display_(self):
        # check() has printed the verdict already; shown again as the check cell's value it would appear twice.
        # print(result) shows it on demand.
        pass


@dataclass(frozen=True)
class Exercise:
    """One code exercise: its ``name`` ("ch03.gradient_penalty"), the ``function`` the stub defines, and
    ``run(fn)``, which returns what was verified or raises ``_Mistake`` / ``_NotAttempted``."""

    name: str
    function: str
    run: Callable

    @property
    def chapter(self):
        return int(self.name[2:4])


class _Mistake(Exception):
    """A wrong answer: what is wrong, and a hint towards the fix."""

    def __init__(self, message, hint=""):
        super().__init__(message)
        self.message, self.hint = message, hint


class _NotAttempted(Exception):
    """The stub is still a stub (it raised NotImplementedError, or returned None or ...)."""


_EXERCISES = {}


def _exercise(name, function):
    def register(run):
        _EXERCISES[name] = Exercise(name, function, run)
        return run

    return register


# --- The public API ---------------------------------------------------------------------------------------------


def list_exercises(chapter=None):
    """The names of the code exercises in the order the chapters teach them, e.g. ``["ch03.clip_weights",
    "ch03.gradient_penalty"]``; ``chapter`` (3, "03" or "ch03") keeps one chapter's."""
    names = list(_EXERCISES)
    if chapter is None:
        return names
    number = int(str(chapter).lower().removeprefix("ch"))
    return [name for name in names if _EXERCISES[name].chapter == number]


def solution_source(name):
    """The text of exercise ``name``'s reference solution, ``solutions/chNN_<name>.py``: look on purpose."""
    _lookup(name)
    path = solution_path(name)
    if not path.is_file():  # ganlib installed from a wheel (e.g. on Colab) has no solutions/ folder
        raise FileNotFoundError(f"the solutions are not installed with ganlib; read this one at "
                                f"{SOLUTIONS_URL}/{solution_filename(name)}")
    return path.read_text(encoding="utf-8")


def check(name, fn):
    """Run the learner's ``fn`` for exercise ``name`` against the reference on crafted inputs, print one verdict
    and return it as a ``Result``. Under ``GANLIB_EXERCISE_SOLUTIONS=1`` anything but a pass raises
    ``AssertionError``."""
    exercise = _lookup(name)
    try:
        if not callable(fn):
            raise _Mistake(f"expected your function `{exercise.function}`, got {_describe(fn)}.",
                           f"pass the function itself: check({name!r}, {exercise.function})")
        result = Result(name, True, f"✔ {name}: passed. {exercise.run(fn)}")
    except _NotAttempted as stub:
        result = Result(name, False, f"○ {name}: not attempted yet — {stub}", attempted=False)
    except _Mistake as mistake:
        hint = f"\n  Hint: {mistake.hint}" if mistake.hint else ""
        result = Result(name, False, f"✘ {name}: {mistake.message}{hint}")
    except Exception as err:  # the check could not make sense of the answer: still one line, no traceback
        result = Result(name, False, f"✘ {name}: your answer could not be checked ({_short_error(err)}).\n"
                                     "  Hint: compare what your function returns with the task above.")
    print(result.message)
    if not result.passed and solutions_enabled():
        raise AssertionError(f"{SOLUTIONS_ENV} is set and the check failed:\n{result.message}")
    return result


def _lookup(name):
    if name not in _EXERCISES:
        close = difflib.get_close_matches(str(name), _EXERCISES, n=1)
        suggestion = (f"; did you mean {close[0]!r}?" if close
                      else f"; the exercises are {', '.join(sorted(_EXERCISES))}")
        raise ValueError(f"no exercise named {name!r}{suggestion}")
    return _EXERCISES[name]


# --- Calling the learner's code, reading and comparing what it returns ------------------------------------------

_KNOWN_ERRORS = (
    ("originally built with", "each player steps with its own optimizer: d_optimizer for the discriminator's "
                              "variables, g_optimizer for the generator's."),
    ("non-persistent", "a GradientTape gives one set of gradients: use one tape per player "
                       "(or tf.GradientTape(persistent=True))."),
    ("is not in [0", "a label is at least as large as your embedding or one-hot table: size it num_classes."),
    ("Incompatible shapes", "per-sample values broadcast over images when shaped (batch, 1, 1, 1) or "
                            "(batch, 1, 1, channels); print the shapes."),
    ("broadcast", "per-sample values broadcast over images when shaped (batch, 1, 1, 1) or "
                  "(batch, 1, 1, channels); print the shapes."),
    ("must be from the same graph", "create tensors inside the step, not outside the tf.function."),
)


def _short_error(err):
    """'ValueError: what went wrong', one readable line: no ANSI colours, no TensorFlow node names, no stack of
    frames (a tf.function reports its error at the end of one: 'in user code: File …, line 7, in step …')."""
    name, text = type(err).__name__, re.sub(r"\x1b\[[0-9;]*m", "", str(err))
    if "in user code:" in text:
        frame = re.search(r'File "[^"]*", line (\d+), in (\w+)', text)
        inner = re.findall(r"^\s*(\w+(?:Error|Exception)): (.*)$", text, re.MULTILINE)
        if inner:
            name, text = inner[-1]
        if frame:
            text += f" (in {frame.group(2)}, line {frame.group(1)})"
    text = re.sub(r"\{\{[^}]*\}\}", "", text)
    text = re.sub(r"\[Op:[^\]]*\]", "", text)
    text = re.sub(r"Exception encountered when calling [^\n]*\n", "", text)
    text = " ".join(text.split("Arguments received by")[0].split())
    return f"{name}: {text[:200]}{'…' if len(text) > 200 else ''}"


def _raised_by_stub(err, fn):
    """True when ``fn``'s own code raised ``err`` (the stub's ``raise NotImplementedError``), not a library."""
    traceback = err.__traceback__
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    return traceback.tb_frame.f_code is getattr(fn, "__code__", traceback.tb_frame.f_code)


def _describe(value):
    if isinstance(value, (tf.Tensor, np.ndarray, tf.Variable)):
        return f"shape {tuple(value.shape)}"
    if isinstance(value, keras.Model):
        return "a Keras model"
    if isinstance(value, keras.optimizers.Optimizer):
        return "an optimizer"
    if isinstance(value, _QuadraticCritic):
        return "a critic"
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (tf.Tensor, np.ndarray)) for v in value):
        return f"[{', '.join(_describe(v) for v in value)}]"
    if isinstance(value, (int, float, np.number, tuple)) and len(repr(value)) < 40:
        return repr(value)
    return f"a {type(value).__name__}"


def _describe_call(fn, args):
    """'real_logits (shape (8, 1)), fake_logits (shape (8, 1))', with the learner's own parameter names."""
    try:
        names = list(inspect.signature(fn).bind(*args).arguments)
    except (TypeError, ValueError):
        names = [f"argument {i + 1}" for i in range(len(args))]
    return ", ".join(f"{n} ({_describe(a)})" if _describe(a).startswith(("shape", "[")) else f"{n} = {_describe(a)}"
                     for n, a in zip(names, args))


def _call(fn, *args, none_is_stub=True, what="your function"):
    """fn(*args); the learner's exceptions become one-line _Mistakes, a stub becomes _NotAttempted."""
    try:
        value = fn(*args)
    except _Mistake:
        raise
    except Exception as err:  # any error in the learner's code is reported, never shown as a traceback
        if isinstance(err, NotImplementedError) and _raised_by_stub(err, fn):
            raise _NotAttempted("replace `raise NotImplementedError` with your code, then run both cells "
                                "again.") from None
        hint = next((h for pattern, h in _KNOWN_ERRORS if pattern in str(err)), "")
        raise _Mistake(f"{what} raised {_short_error(err)} — on {_describe_call(fn, args)}.", hint) from None
    if none_is_stub and (value is None or value is Ellipsis):
        raise _NotAttempted(f"{what} returned {value!r} (if you wrote it, does it end with `return …`?).")
    return value


def _array(value, what="your function"):
    """The learner's result as a float64 array, or a _Mistake saying why it is not numbers."""
    try:
        array = np.asarray(value)
    except Exception:
        raise _Mistake(f"{what} returned {_describe(value)}, not numbers.",
                       "return a tensor or an array (inside tf.function, call it eagerly to check it).") from None
    if np.iscomplexobj(array):
        raise _Mistake(f"{what} returned complex numbers ({array.ravel()[:2]}).",
                       "a matrix square root can leave tiny imaginary parts from rounding: keep np.real(...).")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise _Mistake(f"{what} returned {_describe(value)} of {array.dtype}, not numbers.")
    return array.astype(np.float64)


def _close(got, expected, rtol=1e-4, atol=1e-5):
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    if got.shape != expected.shape and got.size == expected.size == 1:
        got, expected = got.reshape(()), expected.reshape(())
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True))


def _show(values):
    values = np.asarray(values)
    if values.size == 1:
        return f"{float(values.ravel()[0]):.6g}"
    return np.array2string(values.ravel()[:4], precision=4, separator=", ")[:-1] + (", …]" if values.size > 4 else "]")


def _compare(fn, cases, reference, mistakes, hint, rtol=1e-4, atol=1e-5, one_number=None):
    """Run ``fn`` on every case (a tuple of arguments). Returns when it matches ``reference`` on all of them;
    otherwise raises the first known mistake ``(wrong_fn, message, hint)`` whose output it matches on all of
    them, or else a mistake naming the first case where it differs.

    ``one_number`` ("a loss", "FID"...) makes the result a single number: a result of another size is told so.
    """
    runs = []
    for args in cases:
        got = _array(_call(fn, *args))
        expected = np.asarray(reference(*args), np.float64)
        if one_number:
            if got.size != 1:
                raise _Mistake(f"your function returned shape {got.shape} on {_describe_call(fn, args)}, but "
                               f"{one_number} is one number.",
                               "average over the batch (tf.reduce_mean) to get one number."
                               if "loss" in one_number else "reduce the result to a single number.")
            got, expected = got.reshape(()), expected.reshape(())
        elif got.shape != expected.shape:
            raise _Mistake(f"your function returned shape {got.shape} on {_describe_call(fn, args)}; "
                           f"expected shape {expected.shape}.", hint)
        runs.append((args, got, expected))
    if all(_close(got, expected, rtol, atol) for _, got, expected in runs):
        return runs
    with np.errstate(all="ignore"):
        for wrong, message, mistake_hint in mistakes:
            if all(_close(got, wrong(*args), rtol, atol) for args, got, _ in runs):
                raise _Mistake(message, mistake_hint)
    args, got, expected = next(run for run in runs if not _close(run[1], run[2], rtol, atol))
    if not np.all(np.isfinite(got)):
        raise _Mistake(f"your result contains NaN or inf on {_describe_call(fn, args)}.", hint)
    raise _Mistake(f"on {_describe_call(fn, args)} your function returned {_show(got)}; expected {_show(expected)}.",
                   hint)


def _numpy_args(*args):
    return [np.asarray(a, np.float64) for a in args]


# --- Chapter 01: the minimax game -------------------------------------------------------------------------------


def _softplus(x):
    return np.logaddexp(0.0, x)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _mean(x):
    return np.mean(x)


def _keras_bce(labels_value, probabilities):
    # keras' from_logits=False path clips probabilities to [1e-7, 1 - 1e-7]: reproduce it exactly
    p = np.asarray(probabilities, np.float32)
    return float(np.mean(keras.losses.binary_crossentropy(np.full_like(p, labels_value), p)))


def _logit_cases(seed):
    rng = np.random.default_rng(seed)
    # moderate logits: D is unsure on some samples, confident on others
    return [(tf.constant(rng.normal(0.5, 1.5, (8, 1)), tf.float32),
             tf.constant(rng.normal(-0.5, 1.5, (8, 1)), tf.float32)) for _ in range(3)]


# D is confidently wrong here: σ(20) rounds to 1 in float32, so log(1 − sigmoid(20)) is log 0
_CONFIDENT_REAL, _CONFIDENT_FAKE = tf.constant([[-20.0], [3.0]]), tf.constant([[20.0], [-3.0]])

_SIGMOID_TWICE_HINT = ("the discriminator outputs logits; a loss with from_logits=True (or softplus) applies the "
                       "sigmoid itself, so do not apply tf.sigmoid first.")
_LOGITS_AS_PROBABILITIES_HINT = ("D(x) = σ(logit): use from_logits=True, or log σ(l) = −softplus(−l) and "
                                 "log(1 − σ(l)) = −softplus(l).")


def _confident_logits(fn, args, expected):
    """The learner's loss on logits where D is confidently wrong, where naive log(sigmoid) breaks down."""
    got = _array(_call(fn, *args))
    if got.size == 1 and _close(got, expected):
        return
    if not np.all(np.isfinite(got)):
        raise _Mistake("your loss is inf or NaN when D is confidently wrong (logits of ±20): log(sigmoid(l)) "
                       "rounds σ(20) to 1 in float32 and takes log 0.",
                       "compute log σ(l) as −softplus(−l) and log(1 − σ(l)) as −softplus(l), or use a loss "
                       "with from_logits=True.")
    raise _Mistake(f"your loss is {_show(got)} where it should be {_show(expected)} when D is confidently wrong "
                   "(logits of ±20): the probabilities were clipped (keras' from_logits=False clips them to "
                   "[1e-7, 1 − 1e-7]), which caps the loss and its gradient.",
                   "pass the logits to the loss with from_logits=True instead of σ(logits).")


@_exercise("ch01.discriminator_loss", "discriminator_loss")
def _check_discriminator_loss(fn):
    """D's minimax loss from logits, −E[log σ(l_real)] − E[log(1 − σ(l_fake))] (Goodfellow et al. 2014)."""
    def ref(r, f):
        return losses.discriminator_loss(r, f)

    def wrong(formula):
        return lambda r, f: formula(*_numpy_args(r, f))

    right = lambda r, f: _mean(_softplus(-r)) + _mean(_softplus(f))  # noqa: E731 (the formula, in numpy)
    mistakes = [
        (wrong(lambda r, f: right(_sigmoid(r), _sigmoid(f))),
         "the sigmoid is applied twice: your loss treats σ(logits), which are probabilities, as logits.",
         _SIGMOID_TWICE_HINT),
        (wrong(lambda r, f: -_mean(np.log(r)) - _mean(np.log(1 - f))),
         "your loss treats the logits as probabilities (log D(x) with D(x) = logit).", _LOGITS_AS_PROBABILITIES_HINT),
        (lambda r, f: _keras_bce(1.0, r) + _keras_bce(0.0, f),
         "your loss treats the logits as probabilities (a cross-entropy with from_logits=False on logits).",
         _LOGITS_AS_PROBABILITIES_HINT),
        (wrong(lambda r, f: -right(r, f)),
         "the minus sign is missing: your loss is E[log D(x)] + E[log(1 − D(G(z)))], which D maximises.",
         "minimising a loss must make D better: loss = −E[log D(x)] − E[log(1 − D(G(z)))]."),
        (wrong(lambda r, f: _mean(_softplus(-r)) - _mean(_softplus(f))),
         "a minus sign is missing on the fake term: as written, D is rewarded for calling fakes real.",
         "both terms carry a minus: −E[log D(x)] − E[log(1 − D(G(z)))]."),
        (wrong(lambda r, f: -_mean(_softplus(-r)) + _mean(_softplus(f))),
         "a minus sign is missing on the real term: as written, D is rewarded for calling real images fake.",
         "both terms carry a minus: −E[log D(x)] − E[log(1 − D(G(z)))]."),
        (wrong(lambda r, f: right(f, r)),
         "real and fake are swapped: your D learns to call real images fake.",
         "real images get label 1 (the term −log D(x)), fakes label 0 (the term −log(1 − D(G(z))))."),
        (wrong(lambda r, f: np.sum(_softplus(-r)) + np.sum(_softplus(f))),
         "your loss sums over the batch instead of averaging: it grows with the batch size.",
         "take the mean of each term (tf.reduce_mean)."),
        (wrong(lambda r, f: right(r, f) / 2),
         "your loss is half the expected value: it averages real and fake terms together.",
         "the loss is the sum of two means, E[…real…] + E[…fake…]; at D = 1/2 it is 2·log 2 ≈ 1.386."),
    ]
    _compare(fn, _logit_cases(0), ref, mistakes, "D's loss is E[softplus(−l_real)] + E[softplus(l_fake)].",
             one_number="a loss")
    _confident_logits(fn, (_CONFIDENT_REAL, _CONFIDENT_FAKE), ref(_CONFIDENT_REAL, _CONFIDENT_FAKE))
    return "It matches ganlib.losses.discriminator_loss, and stays finite when D is confidently wrong."


@_exercise("ch01.generator_loss", "generator_loss")
def _check_generator_loss(fn):
    """G's non-saturating loss from logits, −E[log σ(l_fake)] (Goodfellow et al. 2014, section 3)."""
    def wrong(formula):
        return lambda f: formula(*_numpy_args(f))

    mistakes = [
        (wrong(lambda f: -_mean(_softplus(f))),
         "this is the saturating loss E[log(1 − D(G(z)))]: its gradient vanishes exactly when D rejects the fakes, "
         "early in training. The exercise asks for the non-saturating −E[log D(G(z))].",
         "minimise −E[log D(G(z))] = E[softplus(−l_fake)]: the same fixed point, strong gradients when G is losing."),
        (wrong(lambda f: _mean(_softplus(f))),
         "your loss is small when D(G(z)) is small: minimising it, G would help D reject its fakes "
         "(the fakes got label 0).",
         "G wants D to call its fakes real: label 1, loss −E[log D(G(z))] = E[softplus(−l_fake)]."),
        (wrong(lambda f: -_mean(_softplus(-f))),
         "the minus sign is missing: your loss is E[log D(G(z))], which G should maximise, not minimise.",
         "loss = −E[log D(G(z))]."),
        (wrong(lambda f: _mean(_softplus(-_sigmoid(f)))),
         "the sigmoid is applied twice: your loss treats σ(logits), which are probabilities, as logits.",
         _SIGMOID_TWICE_HINT),
        (wrong(lambda f: -_mean(np.log(f))),
         "your loss treats the logits as probabilities (log D(G(z)) with D = logit).", _LOGITS_AS_PROBABILITIES_HINT),
        (lambda f: _keras_bce(1.0, f),
         "your loss treats the logits as probabilities (a cross-entropy with from_logits=False on logits).",
         _LOGITS_AS_PROBABILITIES_HINT),
        (wrong(lambda f: np.sum(_softplus(-f))),
         "your loss sums over the batch instead of averaging: it grows with the batch size.",
         "take the mean (tf.reduce_mean)."),
    ]
    cases = [(fake,) for _, fake in _logit_cases(1)]
    _compare(fn, cases, losses.generator_loss_non_saturating, mistakes,
             "the non-saturating loss is −E[log D(G(z))] = E[softplus(−l_fake)].", one_number="a loss")
    _confident_logits(fn, (_CONFIDENT_REAL,), losses.generator_loss_non_saturating(_CONFIDENT_REAL))
    return "It matches ganlib.losses.generator_loss_non_saturating, and stays finite for confident logits."


def _normal_pdf(x, mean, std):
    return scipy.stats.norm.pdf(x, mean, std)


@_exercise("ch01.optimal_discriminator", "optimal_discriminator")
def _check_optimal_discriminator(fn):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) for two 1-D Gaussians given as (mean, std)."""
    x = np.linspace(-5.0, 7.0, 121)
    cases = [(x, (0.0, 1.0), (2.0, 1.5)), (x, (1.0, 0.5), (-1.0, 2.0)), (x, (0.5, 1.2), (0.5, 1.2))]

    def d_star(pdf):
        def d(x, data, fake):
            p_data, p_g = pdf(x, *data), pdf(x, *fake)
            return p_data / (p_data + p_g)

        return d

    mistakes = [
        (lambda x, data, fake: d_star(_normal_pdf)(x, fake, data),
         "your D* is the probability that x is fake, p_g / (p_data + p_g).",
         "D*(x) is the probability that x is real: p_data(x) / (p_data(x) + p_g(x))."),
        (lambda x, data, fake: _normal_pdf(x, *data) / _normal_pdf(x, *fake),
         "your D* is the density ratio p_data / p_g, which is not a probability (it exceeds 1).",
         "D*(x) = p_data(x) / (p_data(x) + p_g(x))."),
        (d_star(lambda x, m, s: np.exp(-0.5 * (x - m) ** 2 / s) / np.sqrt(2 * np.pi * s)),
         "your Gaussian density uses the std where the variance belongs.",
         "N(x; μ, σ) = exp(−(x − μ)² / (2σ²)) / (σ√(2π))."),
        (d_star(lambda x, m, s: np.exp(-0.5 * ((x - m) / s) ** 2)),
         "your densities miss the normalising constant 1/(σ√(2π)): it does not cancel when the two stds differ.",
         "N(x; μ, σ) = exp(−(x − μ)² / (2σ²)) / (σ√(2π)); scipy.stats.norm.pdf(x, μ, σ) computes it."),
    ]
    _compare(fn, cases, d_star(_normal_pdf), mistakes,
             "D*(x) = p_data(x) / (p_data(x) + p_g(x)), with p the Gaussian densities N(x; μ, σ).")
    return "D* is 1/2 where the densities are equal, and 1/2 everywhere when p_g = p_data."


# --- Chapter 02: the tf.GradientTape train step, and walking the latent space ----------------------------------

_LATENT_DIM, _BATCH = 4, 8
_G_LEARNING_RATE, _D_LEARNING_RATE = 0.1, 0.05


class _CallNotes:
    """What a recording layer saw, one entry per time Python ran its call: (training flag, ran eagerly)."""

    def __init__(self):
        self.calls = []


class _RecordingBatchNorm(keras.layers.BatchNormalization):
    """BatchNormalization that notes every Python execution of its call. Inside a ``tf.function`` Python runs
    only while tracing, so the notes tell the ``training`` flag the step passed and how often it was traced."""

    def __init__(self, notes, **kwargs):
        super().__init__(**kwargs)
        self._notes = notes

    def call(self, inputs, training=None, mask=None):
        self._notes.calls.append((training, tf.executing_eagerly()))
        return super().call(inputs, training=training, mask=mask)


def _tiny_gan(g_notes=None, d_notes=None):
    """A generator z (4) → 4×4×1 and a discriminator 4×4×1 → logit, each with BatchNorm (so a missing
    training=True changes the result), always with the same seeded weights."""
    init = keras.initializers.GlorotUniform
    z = keras.Input((_LATENT_DIM,))
    h = keras.layers.Dense(8, use_bias=False, kernel_initializer=init(seed=1))(z)
    h = keras.layers.ReLU()(_RecordingBatchNorm(g_notes or _CallNotes())(h))
    x = keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16, activation="tanh", kernel_initializer=init(seed=2))(h))
    image = keras.Input((4, 4, 1))
    h = keras.layers.Dense(8, kernel_initializer=init(seed=3))(keras.layers.Flatten()(image))
    h = keras.layers.LeakyReLU(0.2)(_RecordingBatchNorm(d_notes or _CallNotes())(h))
    logit = keras.layers.Dense(1, kernel_initializer=init(seed=4))(h)
    return keras.Model(z, x, name="tiny_generator"), keras.Model(image, logit, name="tiny_discriminator")


def _optimizers(generator, discriminator):
    g_optimizer = keras.optimizers.SGD(_G_LEARNING_RATE)  # plain SGD: an update is −learning rate × gradient
    d_optimizer = keras.optimizers.SGD(_D_LEARNING_RATE)
    g_optimizer.build(generator.trainable_variables)  # built outside the step, as ganlib's GAN does
    d_optimizer.build(discriminator.trainable_variables)
    return g_optimizer, d_optimizer


def _flat(variables):
    return np.concatenate([np.ravel(np.asarray(v)) for v in variables])


def _player_gradients(g_weights, d_weights, real, z):
    """Both losses and their gradients for both players at the given trainable weights (training=True)."""
    generator, discriminator = _tiny_gan()
    for variable, value in zip(generator.trainable_variables + discriminator.trainable_variables,
                               list(g_weights) + list(d_weights)):
        variable.assign(value)
    with tf.GradientTape(persistent=True) as tape:
        fake_logits = discriminator(generator(z, training=True), training=True)
        d_loss = losses.discriminator_loss(discriminator(real, training=True), fake_logits)
        g_loss = losses.generator_loss_non_saturating(fake_logits)
    grads = {(player, loss_name): _flat(tape.gradient(loss, network.trainable_variables))
             for player, network in (("g", generator), ("d", discriminator))
             for loss_name, loss in (("d_loss", d_loss), ("g_loss", g_loss))}
    return grads, float(d_loss), float(g_loss)


def _same_update(delta, candidate):
    return np.linalg.norm(delta - candidate) <= 2e-3 * max(np.linalg.norm(candidate), 1e-6)


def _step_inputs(seed):
    rng = np.random.default_rng(seed)
    return tf.constant(rng.uniform(-1, 1, (_BATCH, 4, 4, 1)), tf.float32)


def _step_losses(output):
    """(d_loss, g_loss) from what the learner's step returned."""
    if isinstance(output, dict) and {"d_loss", "g_loss"} <= set(output):
        output = (output["d_loss"], output["g_loss"])
    if not isinstance(output, (tuple, list)) or len(output) != 2:
        raise _Mistake(f"your step returned {_describe(output)}; expected the pair (d_loss, g_loss).",
                       "end the step with `return d_loss, g_loss`.")
    values = [_array(v, "your step") for v in output]
    if any(v.size != 1 for v in values):
        raise _Mistake("your step's losses are not single numbers.", "average each loss over the batch.")
    return [float(v.ravel()[0]) for v in values]


_TRAINING_HINT = ("Keras calls default to training=False: BatchNorm then normalises with its moving averages and "
                  "never updates them. Call generator(z, training=True) and discriminator(x, training=True).")


class _GivenLatents:
    """Stands in for ``steps.StepNoise`` in the reference step: its draws are the latents the learner's step got."""

    def __init__(self, z):
        self.z = z

    def normal(self, purpose, *dims, index=0):
        return self.z


@_exercise("ch02.train_step", "make_train_step")
def _check_train_step(fn):
    """The GAN train step: make_train_step(generator, discriminator, g_optimizer, d_optimizer) returns a
    tf.function step(real_images, z) that updates both players once and returns (d_loss, g_loss).

    Run on tiny models with BatchNorm and plain SGD, so that each player's update is −learning rate × the
    gradient of the loss it descended and can be compared with ganlib's step and with the known wrong ones."""
    g_notes, d_notes = _CallNotes(), _CallNotes()
    generator, discriminator = _tiny_gan(g_notes, d_notes)
    g_optimizer, d_optimizer = _optimizers(generator, discriminator)
    real = _step_inputs(0)
    z = tf.random.Generator.from_seed(3).normal((_BATCH, _LATENT_DIM))
    step = _call(fn, generator, discriminator, g_optimizer, d_optimizer, what="your make_train_step")
    if not callable(step):
        raise _Mistake(f"make_train_step returned {_describe(step)}; expected the step function.",
                       "define step(real_images, z) inside make_train_step and return it.")
    g_weights0 = [v.numpy() for v in generator.trainable_variables]
    d_weights0 = [v.numpy() for v in discriminator.trainable_variables]
    g_before, d_before = _flat(g_weights0), _flat(d_weights0)
    d_loss, g_loss = _step_losses(_call(step, real, z, what="your step"))

    # 1. training=True, read from the flags BatchNorm saw
    for player, notes in (("generator", g_notes), ("discriminator", d_notes)):
        if not notes.calls:
            raise _Mistake(f"your step never called the {player}.")
        if not all(training is True for training, _ in notes.calls):
            raise _Mistake(f"the {player} was called without training=True.", _TRAINING_HINT)

    # 2. each player's update, against ganlib's step (the reference), then against the known wrong ones
    reference_g, reference_d = _tiny_gan()
    reference_step = steps.make_train_step(reference_g, reference_d, *_optimizers(reference_g, reference_d),
                                           noise=_GivenLatents(z), latent_dim=_LATENT_DIM)  # the same z as above
    reference = reference_step(real)
    d_delta = _flat(discriminator.trainable_variables) - d_before
    g_delta = _flat(generator.trainable_variables) - g_before
    g_weights1 = [v.numpy() for v in generator.trainable_variables]
    d_weights1 = [v.numpy() for v in discriminator.trainable_variables]

    @functools.cache
    def at(weights):
        """Gradients and losses at the start, or after the learner's D update only ("after_d") or G's ("after_g"):
        alternating updates (D first, then G against the updated D, or the other way round) are right too."""
        g_weights, d_weights = {"start": (g_weights0, d_weights0), "after_d": (g_weights0, d_weights1),
                                "after_g": (g_weights1, d_weights0)}[weights]
        return _player_gradients(g_weights, d_weights, real, z)

    def grad(player, loss, weights="start"):
        return at(weights)[0][player, loss]

    d_candidates = [
        (lambda: _flat(reference_d.trainable_variables) - d_before, None, None),
        (lambda: -_D_LEARNING_RATE * grad("d", "d_loss", "after_g"), None, None),
        (lambda: -_D_LEARNING_RATE * grad("d", "g_loss"),
         "the discriminator was updated with the gradients of g_loss, the generator's loss.",
         "each player descends its own loss: d_tape.gradient(d_loss, discriminator.trainable_variables)."),
        (lambda: _D_LEARNING_RATE * grad("d", "d_loss"),
         "the discriminator's update went uphill: it maximised d_loss.",
         "apply the gradients of d_loss itself; the optimizer subtracts them."),
        (lambda: np.zeros_like(d_delta), "the discriminator's weights did not change.",
         "d_optimizer.apply_gradients(zip(d_grads, discriminator.trainable_variables))."),
    ]
    g_candidates = [
        (lambda: _flat(reference_g.trainable_variables) - g_before, None, None),
        (lambda: -_G_LEARNING_RATE * grad("g", "g_loss", "after_d"), None, None),
        (lambda: -_G_LEARNING_RATE * grad("g", "d_loss"),
         "the generator was updated with the gradients of d_loss, the discriminator's loss: it helped D.",
         "take the generator's gradients of g_loss from its own tape: "
         "g_tape.gradient(g_loss, generator.trainable_variables)."),
        (lambda: _G_LEARNING_RATE * grad("g", "d_loss"),
         "the generator minimised −d_loss, the saturating minimax loss; the step asks for the non-saturating g_loss.",
         "g_loss = losses.generator_loss_non_saturating(fake_logits), differentiated on the generator's tape."),
        (lambda: -_G_LEARNING_RATE * (grad("g", "d_loss") + grad("g", "g_loss")),
         "the generator was updated with the gradients of d_loss + g_loss (one tape for the sum).",
         "one tape per player, each asked only for its own loss's gradients."),
        (lambda: np.zeros_like(g_delta), "the generator's weights did not change.",
         "g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables))."),
    ]
    for player, delta, candidates in (("discriminator", d_delta, d_candidates), ("generator", g_delta, g_candidates)):
        match = next((c for c in candidates if _same_update(delta, c[0]())), None)
        if match is None:
            raise _Mistake(f"the {player}'s update differs from one optimizer step on its own loss.",
                           "use the z passed to the step; D's loss is losses.discriminator_loss(real_logits, "
                           "fake_logits), G's losses.generator_loss_non_saturating(fake_logits).")
        if match[1] is not None:
            raise _Mistake(match[1], match[2])

    # 3. the returned losses: before the update, or, for alternating updates, G's after D's update
    expected_d, expected_g = float(reference["d_loss"]), float(reference["g_loss"])
    if _close(d_loss, expected_g) and _close(g_loss, expected_d) and not _close(d_loss, expected_d):
        raise _Mistake("your step returns (g_loss, d_loss); expected (d_loss, g_loss).")
    if not (_close(d_loss, expected_d) or _close(d_loss, at("after_g")[1])):
        raise _Mistake(f"your step returned d_loss = {d_loss:.6g}; expected {expected_d:.6g}.",
                       "return the discriminator's loss computed in this step.")
    if not (_close(g_loss, expected_g) or _close(g_loss, at("after_d")[2])):
        raise _Mistake(f"your step returned g_loss = {g_loss:.6g}; expected {expected_g:.6g}.",
                       "return the generator's loss computed in this step.")

    # 4. compiled once: Python must not run the step's body again for inputs of the same shape
    traced = len(d_notes.calls)
    tf_logger, level = tf.get_logger(), tf.get_logger().level
    tf_logger.setLevel("ERROR")  # TensorFlow's own retracing warning would come before the verdict, and say less
    try:
        for seed in (1, 2):
            _call(step, _step_inputs(seed), tf.random.Generator.from_seed(seed).normal((_BATCH, _LATENT_DIM)),
                  what="your step")
    finally:
        tf_logger.setLevel(level)
    again = d_notes.calls[traced:]
    if any(eager for _, eager in again):
        raise _Mistake("your step runs eagerly: Python executes every line again on every call.",
                       "return tf.function(step) (or decorate step with @tf.function): it is traced into a graph "
                       "once and then runs without Python.")
    if again:
        raise _Mistake(f"your step is traced again on every call ({1 + len(again) // max(traced, 1)} traces in "
                       "3 calls with inputs of the same shape).",
                       "create the tf.function once, in make_train_step, and return it; a tf.function(...) created "
                       "inside the step is a new function, traced anew, each time.")
    return "Both players take one step on their own loss with training=True, and the step was traced once for 3 calls."


@_exercise("ch02.slerp", "slerp")
def _check_slerp(fn):
    """slerp(a, b, t) = sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b, Ω the angle between a and b (Shoemake 1985)."""
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 5, 16))
    pair = rng.standard_normal((2, 16))
    cases = [(a, b, t) for t in (0.0, 0.3, 0.5, 1.0)] + [(pair[0], 2.0 * pair[1], 0.7)]

    def unit(v):
        return v / np.linalg.norm(v, axis=-1, keepdims=True)

    def slerp_without_division(a, b, t):
        omega = np.arccos(np.clip(np.sum(unit(a) * unit(b), -1, keepdims=True), -1, 1))
        return np.sin((1 - t) * omega) * a + np.sin(t * omega) * b

    mistakes = [
        (lambda a, b, t: (1 - t) * a + t * b,
         "this is the straight line (1 − t)·a + t·b: between two latents it cuts inside the sphere where z lives "
         "(its midpoint's norm is ≈ 1/√2 of theirs).",
         "follow the great circle: sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b, Ω the angle between a and b."),
        (lambda a, b, t: latent.slerp(b, a, t),
         "your path runs backwards: it starts at b.", "t = 0 must give a, t = 1 b."),
        (lambda a, b, t: latent.slerp(unit(a), unit(b), t),
         "your result has length 1: the latents were normalised, and slerp should keep their lengths.",
         "normalise only to compute the angle Ω; interpolate a and b themselves."),
        (slerp_without_division,
         "the weights are not divided by sin Ω, so the path does not end at a and b.",
         "sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b."),
    ]
    _compare(fn, cases, latent.slerp, mistakes,
             "slerp(a, b, t) = sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b, with cos Ω = a·b / (|a||b|).")
    # a and b pointing the same way: Ω = 0, and sin((1 − t)Ω)/sin Ω is 0/0
    same = _array(_call(fn, pair[0], pair[0], 0.4))
    if same.shape != pair[0].shape or not np.all(np.isfinite(same)):
        raise _Mistake("your slerp returns NaN when a and b point the same way (Ω = 0, and 0/0 in the weights; "
                       "a dot product a bit above 1 also makes arccos NaN).",
                       "clip cos Ω to [−1, 1], and where sin Ω ≈ 0 use the straight line (1 − t)·a + t·b.")
    if not _close(same, pair[0]):
        raise _Mistake(f"slerp(a, a, t) should be a; your function returned {_show(same)}.")
    return "It follows the great circle from a to b, keeps their lengths, and handles a = b."


# --- Chapter 03: weight clipping and the gradient penalty -------------------------------------------------------


def _clip_critic(seed):
    """A small critic with BatchNorm, its weights drawn from N(0, 0.05²): many need clipping at c = 0.01 or 0.05."""
    critic = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6), keras.layers.BatchNormalization(),
                               keras.layers.Dense(1)], name="critic")
    rng = np.random.default_rng(seed)
    for variable in critic.trainable_variables:
        variable.assign(rng.normal(0, 0.05, variable.shape).astype(np.float32))
    return critic


@_exercise("ch03.clip_weights", "clip_weights")
def _check_clip_weights(fn):
    """The original WGAN's constraint (Arjovsky et al. 2017): every trainable critic weight clipped to [−c, c]."""
    for seed, clip_value in ((0, 0.01), (1, 0.05)):
        critic = _clip_critic(seed)
        before = [v.numpy() for v in critic.trainable_variables]
        statistics = [v.numpy() for v in critic.non_trainable_variables]
        _call(fn, critic, clip_value, none_is_stub=False)
        after = [v.numpy() for v in critic.trainable_variables]
        names = [v.name for v in critic.trainable_variables]  # kernel, bias, gamma, beta
        if all(np.array_equal(x, y) for x, y in zip(after, before)):
            raise _Mistake("the critic's weights did not change.",
                           "tf.clip_by_value returns a new tensor: write it back with variable.assign(...).")
        if not all(np.array_equal(v.numpy(), s) for v, s in zip(critic.non_trainable_variables, statistics)):
            raise _Mistake("BatchNorm's moving mean and variance were clipped too: they are statistics, not weights "
                           "the critic learns (a moving variance of 0.01 changes every prediction).",
                           "clip critic.trainable_variables only.")

        def clipped_to(low, high):
            return all(_close(x, np.clip(y, low, high), 0, 1e-7) for x, y in zip(after, before))

        if clipped_to(-clip_value, clip_value):
            continue
        if clipped_to(0, clip_value):
            raise _Mistake(f"negative weights were set to 0: they were clipped to [0, {clip_value}].",
                           "clip to [−c, c]: tf.clip_by_value(v, -clip_value, clip_value).")
        for other in (0.01, 0.05, 0.1, 1.0):
            if other != clip_value and clipped_to(-other, other):
                raise _Mistake(f"the weights were clipped to ±{other} when clip_value was {clip_value}.",
                               "use the clip_value argument.")
        missed = [n for n, x, y in zip(names, after, before)
                  if np.array_equal(x, y) and not np.array_equal(y, np.clip(y, -clip_value, clip_value))]
        if missed:
            raise _Mistake(f"some weights were not clipped (the {', '.join(dict.fromkeys(missed))} variables).",
                           "clip every trainable variable — biases and BatchNorm's γ and β too.")
        raise _Mistake(f"after clip_weights(critic, {clip_value}) the weights are not clip(w, −c, c).",
                       "clip each value, without rescaling: v.assign(tf.clip_by_value(v, -c, c)).")
    return "Every trainable weight is clipped to [−c, c], and BatchNorm's statistics are left alone."


_GP_SHAPE = (16, 3, 3, 2)  # two channels, so a norm that skips the channel axis shows


class _QuadraticCritic:
    """f(x) = Σ a·x + ½ b·x² over each sample's pixels: a critic whose gradient ∇f(x) = a + b·x is known.
    It notes every input it sees in eager mode, so a check can read back the interpolates x̂."""

    def __init__(self, a, b):
        self.a, self.b = tf.Variable(a, dtype=tf.float32), tf.Variable(b, dtype=tf.float32)
        self.inputs = []

    @property
    def trainable_variables(self):
        return [self.a, self.b]

    trainable_weights = trainable_variables

    def __call__(self, x, training=None, **kwargs):
        x = tf.convert_to_tensor(x, tf.float32)
        if tf.executing_eagerly():
            self.inputs.append(x.numpy())
        axes = list(range(1, x.shape.rank))
        return tf.reduce_sum(self.a * x + 0.5 * self.b * tf.square(x), axis=axes)[:, None]


def _critic_weights(seed):
    rng = np.random.default_rng(seed)
    return (rng.normal(0, 0.4, _GP_SHAPE[1:]).astype(np.float32), rng.normal(0, 0.6, _GP_SHAPE[1:]).astype(np.float32))


def _interpolates(records, real, fake):
    """The learner's x̂ as one (n, …) array, from the critic inputs that are neither the real nor the fake batch."""
    seen = [np.reshape(r, real.shape) if r.size == real.size else r for r in records]
    between = [r for r in seen if not (r.shape == real.shape and (np.allclose(r, real) or np.allclose(r, fake)))]
    whole = [r for r in between if r.shape == real.shape]
    if whole:
        return whole[-1]
    if between and sum(len(r) for r in between) == len(real) and all(r.shape[1:] == real.shape[1:] for r in between):
        return np.concatenate(between)  # one sample at a time
    if not records:
        raise _Mistake("your function never called the critic eagerly, so its input could not be checked.",
                       "call critic(x_hat, training=True) in your function, outside tf.function.")
    raise _Mistake("your function never evaluated the critic between the real and the fake images.",
                   "x̂ = ε·real + (1 − ε)·fake, and the penalty is on ∇f(x̂).")


_GP_NORM_HINT = "norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)."


def _penalty_variants(a, b, x_hat):
    """Known wrong penalties for the critic with ∇f(x̂) = a + b·x̂: (value, what is wrong, hint)."""
    g = (a + b * x_hat).astype(np.float64)

    def mean_square(norms):
        return np.mean((norms - 1.0) ** 2)

    per_sample = np.sqrt(np.sum(g ** 2, axis=(1, 2, 3)))
    wrong_axes = ("the norm is taken over the wrong axes ({}): the penalty needs one norm per sample, over every "
                  "axis but the batch axis.")
    formula = "E[(‖∇f(x̂)‖₂ − 1)²], the norm per sample."
    return [
        (mean_square(np.sqrt(np.sum(g ** 2))), wrong_axes.format("one norm for the whole batch"), _GP_NORM_HINT),
        (mean_square(np.sqrt(np.sum(g ** 2, axis=-1))), wrong_axes.format("the channel axis only"), _GP_NORM_HINT),
        (mean_square(np.sqrt(np.sum(g ** 2, axis=1))), wrong_axes.format("axis 1 only"), _GP_NORM_HINT),
        (mean_square(np.sqrt(np.sum(g ** 2, axis=(1, 2)))), wrong_axes.format("height and width, not the channels"),
         _GP_NORM_HINT),
        (mean_square(np.sqrt(np.sum(g ** 2, axis=(0, 1, 2)))), wrong_axes.format("the batch axis included"),
         _GP_NORM_HINT),
        (mean_square(per_sample ** 2), "you squared the norm: the penalty is (‖∇f(x̂)‖₂ − 1)², not (‖∇f(x̂)‖₂² − 1)².",
         "take the square root of the sum of squares: " + _GP_NORM_HINT),
        (np.mean(np.abs(per_sample - 1.0)), "the square is missing: the penalty is E[(‖∇f(x̂)‖₂ − 1)²].", formula),
        (np.mean(np.maximum(per_sample - 1.0, 0.0) ** 2),
         "this is the one-sided penalty max(0, ‖∇f‖ − 1)²; the exercise asks for the two-sided (‖∇f‖ − 1)².", formula),
        (10.0 * mean_square(per_sample), "your penalty is multiplied by λ = 10.",
         "return the unweighted penalty: the critic's loss multiplies it by λ."),
    ]


@_exercise("ch03.gradient_penalty", "gradient_penalty")
def _check_gradient_penalty(fn):
    """The WGAN-GP penalty (Gulrajani et al. 2017): E[(‖∇f(x̂)‖₂ − 1)²] at x̂ = ε·real + (1 − ε)·fake, with
    one ε ~ U[0, 1] per sample.

    The critic records its inputs, so each pixel's ε = (x̂ − fake) / (real − fake) is read back exactly: one per
    sample, within [0, 1], different across the batch, uniform by a KS test over all calls."""
    rng = np.random.default_rng(3)
    epsilons = []
    for call in range(6):
        a, b = _critic_weights(call)
        critic = _QuadraticCritic(a, b)
        real = rng.uniform(0.5, 1.0, _GP_SHAPE).astype(np.float32)  # real − fake ≥ 1 everywhere: ε is recoverable
        fake = rng.uniform(-1.0, -0.5, _GP_SHAPE).astype(np.float32)
        with tf.GradientTape() as tape:
            value = _call(fn, critic, tf.constant(real), tf.constant(fake))
        x_hat = _interpolates(critic.inputs, real, fake)
        pixel_eps = (x_hat.astype(np.float64) - fake) / (real.astype(np.float64) - fake)
        if np.any(pixel_eps < -1e-3) or np.any(pixel_eps > 1 + 1e-3):
            raise _Mistake(f"ε falls outside [0, 1] (from {pixel_eps.min():.2f} to {pixel_eps.max():.2f}): it looks "
                           "drawn from a Normal, and x̂ then leaves the segment between real and fake.",
                           "draw ε ~ Uniform[0, 1]: tf.random.uniform((batch_size, 1, 1, 1)).")
        per_sample = pixel_eps.reshape(len(real), -1)
        if np.max(np.ptp(per_sample, axis=1)) > 1e-3:
            raise _Mistake("ε varies within an image (one ε per pixel): each x̂ should lie on the straight line "
                           "between its real and its fake image.",
                           "one ε per sample, shaped (batch_size, 1, 1, 1) to broadcast over the image.")
        epsilon = per_sample.mean(axis=1)
        if np.ptp(epsilon) < 1e-6:
            raise _Mistake(f"every sample in the batch got the same ε ({epsilon[0]:.3f}): one ε for the whole batch.",
                           "draw one ε per sample: tf.random.uniform((batch_size, 1, 1, 1)).")
        epsilons.extend(epsilon)

        got = _array(value)
        if got.size != 1:
            raise _Mistake(f"your penalty has shape {got.shape}; it is one number, the mean over the batch.",
                           "average the per-sample penalties (tf.reduce_mean).")
        expected = float(losses.gradient_penalty(_QuadraticCritic(a, b), tf.constant(real), tf.constant(fake),
                                                 epsilon=tf.constant(epsilon.reshape(-1, 1, 1, 1), tf.float32)))
        if not _close(got, expected):
            for wrong, message, hint in _penalty_variants(a, b, x_hat):
                if _close(got, wrong):
                    raise _Mistake(message, hint)
            raise _Mistake(f"your penalty is {_show(got)}; expected {expected:.6g} for the x̂ your function used.",
                           "E[(‖∇f(x̂)‖₂ − 1)²]: gradients of critic(x̂) with respect to x̂ (tape.watch(x_hat)), "
                           "one norm per sample.")
        if not tf.is_tensor(value) or all(g is None for g in tape.gradient(value, critic.trainable_variables)):
            raise _Mistake("the critic's optimizer cannot differentiate your penalty (no gradient reaches the "
                           "critic's weights).", "keep it in TensorFlow ops: no .numpy() or float() inside.")

    p_value = scipy.stats.kstest(epsilons, "uniform").pvalue
    if p_value < 1e-6:
        raise _Mistake(f"the ε values do not look uniform on [0, 1] (KS test over {len(epsilons)} draws, "
                       f"p = {p_value:.1e}; mean {np.mean(epsilons):.2f}).",
                       "ε ~ Uniform[0, 1]: tf.random.uniform((batch_size, 1, 1, 1)).")

    # real == fake where the critic is flat: ∇f(x̂) = 0, and d√u/du is infinite at u = 0
    zeros = np.zeros(_GP_SHAPE, np.float32)
    flat_critic = _QuadraticCritic(np.zeros(_GP_SHAPE[1:], np.float32), _critic_weights(9)[1])
    with tf.GradientTape() as tape:
        value = _call(fn, flat_critic, tf.constant(zeros), tf.constant(zeros))
    grads = tape.gradient(value, flat_critic.trainable_variables)
    if not _close(_array(value), 1.0):
        raise _Mistake(f"with real == fake and a zero gradient your penalty is {_show(value)}; expected 1 = (0 − 1)².")
    if any(g is not None and not np.all(np.isfinite(g.numpy())) for g in grads):
        raise _Mistake("your penalty's gradient is NaN where the critic's gradient is zero (real == fake here): "
                       "the derivative of √u is infinite at u = 0.",
                       "add a small constant inside the square root: " + _GP_NORM_HINT)
    return ("One ε ~ U[0, 1] per sample, one norm per sample, and a finite gradient where the critic is flat — "
            "it matches ganlib.losses.gradient_penalty.")


# --- Chapter 04: AdaIN and the truncation trick -----------------------------------------------------------------


def _feature_maps(n, height, width, channels, seed):
    rng = np.random.default_rng(seed)
    scales, offsets = rng.uniform(0.6, 3.0, (n, 1, 1, channels)), rng.normal(0, 2, (n, 1, 1, channels))
    return (rng.normal(size=(n, height, width, channels)) * scales + offsets).astype(np.float32)


def _adain_with(axes=(1, 2), ddof=0, normalise="std"):
    """AdaIN, right or wrong: statistics over ``axes``, ``ddof`` 1 for the unbiased variance, and ``normalise``
    by "std" (right), "variance", "no mean" (x / σ) or "none" (x itself)."""

    def adain(x, y_s, y_b, epsilon=1e-5):
        x = np.asarray(x, np.float64)
        mean = x.mean(axis=axes, keepdims=True)
        count = np.prod([x.shape[a] for a in axes])
        variance = ((x - mean) ** 2).sum(axis=axes, keepdims=True) / max(count - ddof, 1)
        centred = {"std": (x - mean) / np.sqrt(variance + epsilon), "variance": (x - mean) / (variance + epsilon),
                   "no mean": x / np.sqrt(variance + epsilon), "none": x}[normalise]
        return np.asarray(y_s)[:, None, None, :] * centred + np.asarray(y_b)[:, None, None, :]

    return adain


@_exercise("ch04.adain", "adain")
def _check_adain(fn):
    """AdaIN(x, y) = y_s · (x − μ(x)) / σ(x) + y_b, μ and σ per sample and channel over H, W (Huang & Belongie 2017)."""
    rng = np.random.default_rng(4)
    cases = []
    for n, h, w, c in ((3, 3, 4, 5), (2, 5, 2, 3)):  # H ≠ W and N ≠ C, so every axis mix-up shows
        x = _feature_maps(n, h, w, c, seed=n + c)
        cases.append((x, rng.uniform(0.5, 2.0, (n, c)).astype(np.float32), rng.normal(size=(n, c)).astype(np.float32)))
    wrong_axes = [(axes, f"μ and σ are taken over axes {axes}: AdaIN normalises each sample's channels on their own, "
                         "over H and W only (axes 1 and 2).")
                  for axes in ((0, 1, 2), (1, 2, 3), (0, 1, 2, 3), (1,), (2,), (3,), (0,), (1, 3), (2, 3))]
    mistakes = [(_adain_with(axes), message, "mean, variance = tf.nn.moments(x, axes=[1, 2], keepdims=True).")
                for axes, message in wrong_axes]
    mistakes += [
        (_adain_with(ddof=1),
         "you used the unbiased std (dividing by H·W − 1): instance normalisation uses the biased one, "
         "dividing by H·W.", "tf.nn.moments or np.var/np.std with their default (ddof=0)."),
        (lambda x, y_s, y_b: _adain_with()(x, y_b, y_s),
         "scale and bias are swapped: y_b multiplies and y_s is added.", "y_s · normalised + y_b."),
        (_adain_with(normalise="none"), "x is not normalised: the result is y_s · x + y_b.",
         "first (x − μ(x)) / σ(x), then scale and shift."),
        (_adain_with(normalise="no mean"), "the mean is not subtracted before dividing by σ(x).",
         "(x − μ(x)) / σ(x)."),
        (_adain_with(normalise="variance"), "x − μ(x) is divided by the variance instead of the std.",
         "σ(x) = √(Var(x) + ε)."),
    ]
    # the ε in σ = √(Var + ε) may sit elsewhere (std + ε): within this tolerance either is right
    _compare(fn, cases, lambda x, y_s, y_b: style.adain(x, y_s, y_b), mistakes,
             "AdaIN(x, y) = y_s · (x − μ(x)) / σ(x) + y_b, μ and σ over axes 1 and 2, "
             "y_s and y_b shaped [:, None, None, :].", rtol=1e-3, atol=1e-3)
    constant = _feature_maps(2, 3, 4, 3, seed=9)
    constant[0, ..., 1] = 2.5  # one constant channel: Var = 0
    y_s, y_b = np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)
    got = _array(_call(fn, constant, y_s, y_b))
    if not np.all(np.isfinite(got)):
        raise _Mistake("your AdaIN returns NaN on a constant channel (its variance is 0, so (x − μ) / σ is 0/0).",
                       "σ(x) = √(Var(x) + ε) with a small ε, e.g. 1e-5.")
    return "Statistics per sample and channel over H and W, and finite on a constant channel — as ganlib.style.adain."


@_exercise("ch04.truncate", "truncate")
def _check_truncate(fn):
    """The truncation trick w' = w̄ + ψ (w − w̄) (Karras et al. 2019)."""
    rng = np.random.default_rng(5)
    w, w_avg = rng.normal(size=(6, 8)).astype(np.float32), rng.normal(size=8).astype(np.float32)
    cases = [(w, w_avg, psi) for psi in (0.0, 0.3, 0.7, 1.0)]
    mistakes = [
        (lambda w, w_avg, psi: w_avg + (1 - psi) * (w - w_avg),
         "ψ works backwards: ψ = 1 should leave w unchanged, ψ = 0 give w̄.", "w̄ + ψ (w − w̄)."),
        (lambda w, w_avg, psi: psi * w,
         "your w' shrinks towards 0, not towards the average style w̄.", "w̄ + ψ (w − w̄)."),
        (lambda w, w_avg, psi: w_avg + psi * (w_avg - w),
         "your w' moves away from w (w̄ + ψ (w̄ − w)): the sign of the difference is flipped.", "w̄ + ψ (w − w̄)."),
        (lambda w, w_avg, psi: psi * (w - w_avg),
         "w̄ is not added back: ψ (w − w̄) is the offset from the average, not the style.", "w̄ + ψ (w − w̄)."),
    ]
    _compare(fn, cases, style.truncate, mistakes, "w' = w̄ + ψ (w − w̄), one w' per row of w.", rtol=1e-5, atol=1e-6)
    return "ψ = 1 leaves w alone, ψ = 0 gives w̄ for every row — as ganlib.style.truncate."


# --- Chapter 05: Fréchet and kernel distances -------------------------------------------------------------------


def _correlated_features(n, mean, seed, mixing_seed):
    rng = np.random.default_rng(seed)
    mixing = np.random.default_rng(mixing_seed).normal(size=(4, 4))  # correlated features: Σ is far from diagonal
    return rng.normal(size=(n, 4)) @ mixing + mean


def _fid_parts(a, b, ddof=1, diagonal=False):
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False, ddof=ddof), np.cov(b, rowvar=False, ddof=ddof)
    if diagonal:
        cov_a, cov_b = np.diag(np.diag(cov_a)), np.diag(np.diag(cov_b))
    return mu_a - mu_b, cov_a, cov_b


def _fid_with(cross=lambda ca, cb: np.real(scipy.linalg.sqrtm(ca @ cb)), factor=2.0, ddof=1, diagonal=False,
              mean_power=2):
    def fid(a, b):
        delta, cov_a, cov_b = _fid_parts(np.asarray(a, np.float64), np.asarray(b, np.float64), ddof, diagonal)
        return (np.linalg.norm(delta) ** mean_power + np.trace(cov_a) + np.trace(cov_b)
                - factor * np.trace(cross(cov_a, cov_b)))

    return fid


@_exercise("ch05.frechet_distance", "frechet_distance")
def _check_frechet_distance(fn):
    """FID = ‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^½) between two feature sets (Heusel et al. 2017)."""
    a = _correlated_features(300, 0.0, seed=0, mixing_seed=10)
    b = _correlated_features(250, 0.7, seed=1, mixing_seed=11)
    cases = [(a, b), (b, a), (a, _correlated_features(300, -0.3, seed=2, mixing_seed=10))]
    matrix_sqrt_hint = "Tr((Σ_a Σ_b)^½) with the matrix square root: scipy.linalg.sqrtm(cov_a @ cov_b)."
    mistakes = [
        (lambda a, b: np.linalg.norm(_fid_parts(a, b)[0]) ** 2,
         "the trace term is missing: your FID compares only the means.", "add Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^½)."),
        (_fid_with(factor=0.0), "the cross term −2·Tr((Σ_a Σ_b)^½) is missing.",
         "FID = ‖μ_a − μ_b‖² + Tr(Σ_a) + Tr(Σ_b) − 2·Tr((Σ_a Σ_b)^½)."),
        (_fid_with(factor=1.0), "the cross term needs a factor 2: −2·Tr((Σ_a Σ_b)^½).", matrix_sqrt_hint),
        (_fid_with(cross=lambda ca, cb: np.sqrt(ca @ cb)),
         "the square root is taken element by element: FID needs the matrix square root of Σ_a Σ_b.", matrix_sqrt_hint),
        (_fid_with(cross=lambda ca, cb: np.real(scipy.linalg.sqrtm(ca) @ scipy.linalg.sqrtm(cb))),
         "the square root is of the wrong product: Σ_a^½ Σ_b^½ is not (Σ_a Σ_b)^½ when the covariances do not "
         "commute.", matrix_sqrt_hint),
        (_fid_with(diagonal=True),
         "your FID uses only the diagonal of the covariances (each feature's variance), so the correlations between "
         "features are lost — as also happens with the square root of the element-wise product Σ_a ⊙ Σ_b.",
         "the full covariance matrices (np.cov(feats, rowvar=False)) and the matrix product Σ_a @ Σ_b."),
        (_fid_with(ddof=0),
         "your covariances divide by N (biased); the reference FID, like np.cov, divides by N − 1.",
         "np.cov(feats, rowvar=False)."),
        (_fid_with(mean_power=1), "the mean term is not squared: it is ‖μ_a − μ_b‖².", "np.sum((mu_a - mu_b) ** 2)."),
    ]
    _compare(fn, cases, metrics.frechet_distance, mistakes,
             "FID = ‖μ_a − μ_b‖² + Tr(Σ_a) + Tr(Σ_b) − 2·Tr((Σ_a Σ_b)^½), covariances with np.cov.",
             rtol=1e-5, atol=1e-6, one_number="FID")
    same = _array(_call(fn, a, a))
    if same.size != 1 or abs(float(same.ravel()[0])) > 1e-6:
        raise _Mistake(f"the FID of a feature set with itself should be 0; yours is {_show(same)}.")
    return "It matches ganlib.metrics.frechet_distance, and is 0 for a set against itself."


def _mmd_with(diagonal=False, divide_by_squares=False, kernel=metrics.polynomial_kernel, cross_factor=2.0):
    def mmd(x, y):
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        m, n = len(x), len(y)
        k_xx, k_yy, k_xy = kernel(x, x), kernel(y, y), kernel(x, y)
        if not diagonal:
            k_xx, k_yy = k_xx - np.diag(np.diag(k_xx)), k_yy - np.diag(np.diag(k_yy))
        within_x = k_xx.sum() / (m * m if diagonal or divide_by_squares else m * (m - 1))
        within_y = k_yy.sum() / (n * n if diagonal or divide_by_squares else n * (n - 1))
        return within_x + within_y - cross_factor * k_xy.mean()

    return mmd


@_exercise("ch05.mmd2_unbiased", "mmd2_unbiased")
def _check_mmd2_unbiased(fn):
    """The unbiased MMD² with the KID kernel k(x, y) = (xᵀy / d + 1)³ (Bińkowski et al. 2018)."""
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(20, 5)), rng.normal(0.4, 1.2, size=(25, 5))
    cases = [(x, y), (y, x), (x, rng.normal(size=(15, 5)))]
    mistakes = [
        (_mmd_with(diagonal=True),
         "the diagonal k(xᵢ, xᵢ) is kept: that is the biased estimate (divide by m²).",
         "leave out the diagonal of k(x, x) and k(y, y) and divide by m(m − 1) and n(n − 1)."),
        (_mmd_with(divide_by_squares=True),
         "the diagonal is left out but the sums are divided by m² and n²: there are only m(m − 1) pairs.",
         "divide by m(m − 1) and n(n − 1)."),
        (_mmd_with(kernel=lambda a, b: (a @ b.T + 1.0) ** 3), "the kernel misses the division by the dimension d.",
         "k(x, y) = (xᵀy / d + 1)³, d = x.shape[1]."),
        (_mmd_with(kernel=lambda a, b: (a @ b.T / a.shape[1]) ** 3), "the kernel misses the + 1.",
         "k(x, y) = (xᵀy / d + 1)³."),
        (_mmd_with(cross_factor=1.0), "the cross term needs a factor 2: − 2·mean k(x, y).",
         "MMD² = mean k(x, x') + mean k(y, y') − 2·mean k(x, y)."),
    ]
    _compare(fn, cases, metrics.mmd2_unbiased, mistakes,
             "MMD² = Σ_{i≠j} k(xᵢ, xⱼ)/(m(m − 1)) + Σ_{i≠j} k(yᵢ, yⱼ)/(n(n − 1)) − 2·mean k(xᵢ, yⱼ).",
             rtol=1e-6, atol=1e-8, one_number="MMD²")
    return "It matches ganlib.metrics.mmd2_unbiased (the estimate KID averages over subsets)."


# --- Chapter 06: feeding the label to both players ---------------------------------------------------------------


def _label_maps(images, labels, num_classes):
    """The reference: one-hot label maps (N, H, W, num_classes), constant over each image."""
    one_hot = np.eye(num_classes)[np.asarray(labels)]
    return np.broadcast_to(one_hot[:, None, None, :], images.shape[:3] + (num_classes,))


@_exercise("ch06.condition_on_label", "condition_on_label")
def _check_condition_on_label(fn):
    """num_classes one-hot label maps appended to each image as channels (Mirza & Osindero 2014)."""
    rng = np.random.default_rng(7)
    cases = [(rng.uniform(-1, 1, (5, 3, 4, 2)).astype(np.float32), np.array([0, 2, 1, 2, 0], np.int32), 4),
             (rng.uniform(-1, 1, (3, 2, 2, 1)).astype(np.float32), np.array([6, 0, 3], np.int32), 7)]
    for images, labels, num_classes in cases:
        got = _array(_call(fn, images, labels, num_classes))
        n, height, width, channels = images.shape
        shown = f"images {images.shape} with labels {labels.tolist()} and num_classes = {num_classes}"
        if got.ndim != 4 or got.shape[:3] != (n, height, width):
            raise _Mistake(f"for {shown} your function returned shape {got.shape}; expected "
                           f"{(n, height, width, channels + num_classes)}.",
                           "broadcast the one-hot vectors to (N, H, W, num_classes) and concatenate on the last axis.")
        extra = got.shape[-1] - channels
        if extra != num_classes:
            if extra == 10:
                reason = "a one-hot of depth 10 is hard-coded"
            elif extra == labels.max() + 1:
                reason = "the depth comes from the labels in this batch (their maximum + 1)"
            else:
                reason = f"the one-hot has depth {extra}"
            raise _Mistake(f"for {shown} your function appended {extra} label channels: {reason}, but there are "
                           f"{num_classes} classes.", "tf.one_hot(labels, depth=num_classes).")
        maps = _label_maps(images, labels, num_classes)
        if np.allclose(got[..., :num_classes], maps) and np.allclose(got[..., num_classes:], images):
            raise _Mistake("the label channels come before the image channels.",
                           "tf.concat([images, label_maps], axis=-1): the image first.")
        if not np.allclose(got[..., :channels], images, atol=1e-6):
            raise _Mistake("the image channels changed: they should pass through untouched.")
        label_part = got[..., channels:]
        if np.allclose(label_part, label_part[:1]):
            raise _Mistake("the label channels are the same for every image: the labels are not used.",
                           "one-hot encode each image's own label.")
        if not np.allclose(label_part, label_part[:, :1, :1, :]):
            raise _Mistake("the label channels vary across the image: each label map is constant, 1 in its class's "
                           "channel and 0 in the others.",
                           "tf.broadcast_to(one_hot[:, None, None, :], (N, H, W, num_classes)).")
        if not np.allclose(label_part, maps):
            raise _Mistake(f"the label channels are not the one-hot labels: for labels {labels.tolist()} your first "
                           f"pixel reads {label_part[:, 0, 0, :].round(2).tolist()}.",
                           "tf.one_hot(labels, num_classes): 1 in the channel of the image's class.")
    return "Each image gets num_classes constant label maps after its own channels."


_LABELS_HINT = ("feed the label in: e.g. Embedding(num_classes, …), or one-hot label maps concatenated to the "
                "image.")


@_exercise("ch06.conditional_discriminator", "conditional_discriminator")
def _check_conditional_discriminator(fn):
    """A discriminator D([images, labels]) → one logit per image whose output depends on the label."""
    num_classes, image_shape = 12, (8, 8, 1)  # more than 10 classes, so a hard-coded 10 shows
    try:
        model = _call(fn, num_classes, image_shape, what="your conditional_discriminator")
    except _Mistake as mistake:  # newer Keras refuses a model with an input its output does not use
        if "not connected to `outputs`" not in str(mistake):
            raise
        raise _Mistake("Keras says an input is not connected to the output: the labels are not used by D, so it "
                       "cannot tell a real 3 from a real-looking 3 labelled 7.", _LABELS_HINT) from None
    if not callable(model):
        raise _Mistake(f"conditional_discriminator returned {_describe(model)}; expected a Keras model.")
    rng = np.random.default_rng(8)
    images = rng.uniform(-1, 1, (3,) + image_shape).astype(np.float32)
    every_label = np.tile(np.arange(num_classes, dtype=np.int32), len(images))
    repeated = np.repeat(images, num_classes, axis=0)  # image i with every label in turn
    logits = _array(_call(model, [tf.constant(repeated), tf.constant(every_label)], what="your discriminator"))
    if logits.size != len(repeated):
        raise _Mistake(f"your discriminator returned shape {logits.shape} for {len(repeated)} images; expected "
                       f"one logit per image, ({len(repeated)}, 1).")
    per_label = logits.reshape(len(images), num_classes)
    if np.allclose(per_label, per_label[:, :1], rtol=1e-6, atol=1e-7):
        raise _Mistake("D's output is the same whatever the label: the labels are not used by D, so it cannot "
                       "tell a real 3 from a real-looking 3 labelled 7.", _LABELS_HINT)
    for k in range(1, num_classes):
        if np.allclose(per_label[:, k:], per_label[:, k:k + 1], rtol=1e-6, atol=1e-7) and k < num_classes - 1:
            raise _Mistake(f"labels {k} to {num_classes - 1} all give the same output: a one-hot of depth {k} turns "
                           "them all into zeros.", f"one-hot depth (or embedding size) num_classes = {num_classes}.")
    if np.allclose(per_label, per_label[:1], rtol=1e-6, atol=1e-7):
        raise _Mistake("D's output does not depend on the image.")
    last = model.layers[-1] if isinstance(model, keras.Model) and model.layers else None
    if getattr(getattr(last, "activation", None), "__name__", "") == "sigmoid":
        raise _Mistake("D ends in a sigmoid: it should output a logit (the losses apply the sigmoid themselves, "
                       "in a numerically stable way).", "no activation on the last Dense layer.")
    return f"D gives one logit per image, and a different one for each of {num_classes} labels."


# --- Chapter 07: your own pictures ----------------------------------------------------------------------------


def _translation_cases():
    rng = np.random.default_rng(11)
    images = rng.uniform(-1, 1, (3, 6, 7, 2)).astype(np.float32)
    shifts = np.array([[1, -2], [-3, 0], [0, 4]], np.int32)
    return [(images, shifts), (images[:1], np.array([[2, 2]], np.int32))]


def _rolled(images, shifts):
    return np.stack([np.roll(np.roll(x, -dy, axis=0), -dx, axis=1) for x, (dy, dx) in zip(images, shifts)])


@_exercise("ch07.translate", "translate")
def _check_translate(fn):
    """DiffAugment's translation: translate(images, shifts) moves image i by shifts[i] = (dy, dx) whole pixels —
    output pixel (r, c) is input pixel (r + dy, c + dx) — and fills what comes in from outside with 0."""
    from ganlib import augment

    def reference(images, shifts):
        return np.asarray(augment.translate(tf.constant(images), tf.constant(shifts)))

    mistakes = [
        (_rolled, "the image wraps around (np.roll / tf.roll): pixels leaving one side come back in on the other, "
         "so D sees stripes of the opposite edge that no real image has.", "fill what comes in from outside with 0."),
        (lambda images, shifts: reference(images, -shifts), "the image moves the other way: output pixel (r, c) "
         "should be input pixel (r + dy, c + dx).", "index the input at row + dy, column + dx."),
        (lambda images, shifts: reference(images, shifts[:, ::-1]), "dy and dx are swapped: shifts[i] is (rows, "
         "columns).", "shift the rows (axis 1) by shifts[:, 0] and the columns (axis 2) by shifts[:, 1]."),
        (lambda images, shifts: np.stack([reference(images, shifts[:1].repeat(len(images), 0))])[0],
         "every image moved by the first image's shift: each image has its own (dy, dx).",
         "use shifts[i] for image i."),
    ]
    _compare(fn, _translation_cases(), reference, mistakes, "pad with zeros, then take each image's shifted window.")
    return "Each image moves by its own (dy, dx) and what comes in from outside is 0."


class _RecordingCritic:
    """A stand-in discriminator that records the inputs it is called on."""

    def __init__(self):
        self.seen = []

    def __call__(self, images, training=False):
        self.seen.append(np.asarray(images))
        return tf.reduce_mean(tf.convert_to_tensor(images), axis=[1, 2, 3])[:, None]


@_exercise("ch07.augmented_d_loss", "augmented_d_loss")
def _check_augmented_d_loss(fn):
    """augmented_d_loss(discriminator, real, fake, augment): D's minimax loss with DiffAugment — every image D
    sees, real and fake, goes through ``augment`` first (Zhao et al. 2020)."""
    rng = np.random.default_rng(12)
    real = tf.constant(rng.uniform(-1, 1, (4, 8, 8, 1)).astype(np.float32))
    fake = tf.constant(rng.uniform(-1, 1, (4, 8, 8, 1)).astype(np.float32))
    calls = []

    def augment(images):
        calls.append(np.asarray(images))
        return -tf.convert_to_tensor(images)  # a transformation the checker can recognise: a sign flip

    critic = _RecordingCritic()
    loss = _array(_call(fn, critic, real, fake, augment, what="your augmented_d_loss"))
    if loss.size != 1:
        raise _Mistake(f"your loss has shape {loss.shape}; a loss is one number.", "average over the batch.")
    seen = critic.seen
    augmented = [any(np.allclose(s, -x) for s in seen) for x in (real.numpy(), fake.numpy())]
    raw = [any(np.allclose(s, x) for s in seen) for x in (real.numpy(), fake.numpy())]
    if augmented == [True, False]:
        raise _Mistake("only the real images are augmented: D then learns that augmented means real, and G learns to "
                       "draw the augmentations (shifted, cut-out pictures) — the leak DiffAugment avoids.",
                       "pass the fakes through augment too: discriminator(augment(fake)).")
    if augmented == [False, True]:
        raise _Mistake("only the fake images are augmented: D can tell real from fake by the augmentation alone.",
                       "pass the real images through augment too.")
    if not any(augmented):
        raise _Mistake("D never saw an augmented image.", "call discriminator(augment(real)) and "
                       "discriminator(augment(fake)).")
    if any(raw):
        raise _Mistake("D also saw un-augmented images.", "give D only augmented images, real and fake.")
    expected = float(losses.discriminator_loss(critic(-real), critic(-fake)))
    if not _close(loss, expected):
        raise _Mistake(f"the loss is {float(loss):.6g}; the minimax D loss on the augmented images is {expected:.6g}.",
                       "losses.discriminator_loss(discriminator(augment(real)), discriminator(augment(fake))).")
    return "D sees real and fake images only through the same augmentation."

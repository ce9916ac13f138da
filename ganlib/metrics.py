"""Measuring GANs: features from a small classifier, Fréchet and kernel distances, precision and recall,
class statistics and the classifier score.

Inception weights cannot be downloaded everywhere, so the features come from a small CNN per dataset, trained
by ``bench/train_classifiers.py`` (seeded) and committed in ``ganlib/weights/`` with a record of the data it
saw and its held-out accuracy — the way TF-GAN evaluated MNIST. Distances on these features are comparable
with each other, not with published Inception-feature FIDs; where InceptionV3's ImageNet weights can be
downloaded (e.g. on Colab), ``load_inception()`` gives those features instead.
"""

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import scipy.linalg

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
FEATURE_LAYER = "features"
DEFAULT_N = 5000  # samples per evaluation: FID is biased by N, so every comparison uses the same N
KID_SUBSET_SIZE = 1000
KID_SUBSETS = 50
PR_NEIGHBOURS = 3
INCEPTION_SIZE = 299


def classifier_model(num_classes=10):
    """The feature extractor: Conv(32, 3) → pool → Conv(64, 3) → pool → flatten → Dense(128, ReLU) named
    "features" → Dropout(0.3) → Dense(num_classes) logits. ~420k parameters."""
    x = keras.Input((28, 28, 1), name="image")
    h = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(h)
    h = keras.layers.Flatten()(keras.layers.MaxPooling2D()(h))
    features = keras.layers.Dense(128, activation="relu", name=FEATURE_LAYER)(h)
    logits = keras.layers.Dense(num_classes, name="logits")(keras.layers.Dropout(0.3)(features))
    return keras.Model(x, logits, name="classifier")


@dataclass
class Classifier:
    """A trained classifier and the record of how it was made (dataset, data, held-out accuracy)."""

    model: keras.Model
    record: dict

    def __post_init__(self):
        self._features = keras.Model(self.model.input, self.model.get_layer(FEATURE_LAYER).output)

    def features(self, images, batch_size=500):
        """The 128-d feature vectors of images in [-1, 1], float64 (N, 128)."""
        if len(images) == 0:
            raise ValueError("no images to measure: pass at least one image")
        return np.asarray(self._features.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0),
                          np.float64)

    def probabilities(self, images, batch_size=500):
        """p(y | x) for images in [-1, 1], (N, num_classes)."""
        logits = self.model.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0)
        return np.asarray(keras.ops.softmax(logits), np.float64)

    def accuracy(self, images, labels):
        return float(np.mean(self.probabilities(images).argmax(1) == np.asarray(labels)))


def weights_path(dataset):
    return WEIGHTS_DIR / f"{dataset}_classifier.weights.h5"


def load_classifier(dataset="mnist"):
    """The committed classifier for ``dataset`` ("mnist" or "fashion_mnist")."""
    path = weights_path(dataset)
    if not path.is_file():
        raise FileNotFoundError(f"no committed classifier for {dataset!r} ({path}); "
                                "train one with `python bench/train_classifiers.py`")
    model = classifier_model()
    model.load_weights(path)
    return Classifier(model, json.loads(path.with_suffix("").with_suffix(".json").read_text()))


class InceptionFeatures:
    """InceptionV3's 2,048-d average-pool features, the representation FID was defined on (Heusel et al. 2017),
    for images in [-1, 1] (Inception's own input range): grey images are repeated to three channels and
    resized bilinearly to ``model``'s input size. Optional: ImageNet weights are a download, so build it with
    ``load_inception``; the committed classifiers stay the default everywhere."""

    name = "inception_v3"

    def __init__(self, model):
        self.model = model
        self.size = model.input_shape[1]

    def features(self, images, batch_size=50, progress=True):
        """The 2,048-d features of images in [-1, 1], float64 (N, 2048)."""
        from tqdm.auto import tqdm

        images = np.asarray(images, np.float32)
        if len(images) == 0:
            raise ValueError("no images to measure: pass at least one image")
        batches = []
        starts = range(0, len(images), batch_size)
        for start in tqdm(starts, desc="InceptionV3 features", unit="batch", leave=False,
                          disable=not progress or len(starts) < 2):
            batch = images[start:start + batch_size]
            if batch.shape[-1] == 1:
                batch = np.repeat(batch, 3, axis=-1)
            batch = keras.ops.image.resize(batch, (self.size, self.size), interpolation="bilinear")
            batches.append(np.asarray(self.model(batch, training=False), np.float64))
        return np.concatenate(batches)


class FeatureError(RuntimeError):
    """A feature extractor could not be built (e.g. its weights could not be downloaded)."""


def load_inception(weights="imagenet", size=INCEPTION_SIZE):
    """InceptionV3 features (``InceptionFeatures``). ``weights="imagenet"`` downloads them once (~90 MB, cached
    in ~/.keras); where that fails, one ``FeatureError`` line says why and what to use instead.
    ``weights=None`` (random) and a smaller ``size`` (≥ 75) are for tests."""
    try:
        model = keras.applications.InceptionV3(include_top=False, pooling="avg", weights=weights,
                                               input_shape=(size, size, 3))
    except Exception as err:  # keras reports a failed download as a bare Exception
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise FeatureError(f"InceptionV3 {weights} weights could not be loaded ({reason}); they are a download, "
                           "so offline use the committed classifier's features (the default)") from None
    return InceptionFeatures(model)


def frechet_distance(feats_a, feats_b):
    """FID between two feature sets (Heusel et al. 2017), Gaussians fitted to each:

        d² = ‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^½)

    in float64 with unbiased covariances; the matrix square root from scipy, with the imaginary parts that
    numerical error leaves in it dropped.
    """
    a, b = np.asarray(feats_a, np.float64), np.asarray(feats_b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    with warnings.catch_warnings():  # a singular product is expected (few samples, dead features) and handled below
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(cov_a @ cov_b)
        if not np.all(np.isfinite(covmean)):  # singular product: nudge both covariances, as the reference code does
            offset = np.eye(len(cov_a)) * 1e-6
            covmean = scipy.linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    covmean = np.real(covmean)
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(covmean))


def polynomial_kernel(x, y):
    """k(x, y) = (xᵀy / d + 1)³, the KID kernel."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x, y, kernel=polynomial_kernel):
    """Unbiased MMD² between samples x (m) and y (n): the kernel means within each set without the diagonal,
    minus twice the cross mean."""
    m, n = len(x), len(y)
    k_xx, k_yy, k_xy = kernel(x, x), kernel(y, y), kernel(x, y)
    return float((k_xx.sum() - np.trace(k_xx)) / (m * (m - 1)) + (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
                 - 2 * k_xy.mean())


def kernel_distance(feats_a, feats_b, subset_size=KID_SUBSET_SIZE, num_subsets=KID_SUBSETS, seed=0):
    """KID (Bińkowski et al. 2018): unbiased MMD² with the cubic polynomial kernel, averaged over
    ``num_subsets`` random blocks of ``subset_size`` from each set. Returns (mean, standard error of the mean).
    Unbiased, so it can be compared across sample sizes and is ≈ 0 for two samples of one distribution.
    Blocks hold at most half of each set, so that they differ and the standard error means something."""
    a, b = np.asarray(feats_a, np.float64), np.asarray(feats_b, np.float64)
    size = max(2, min(subset_size, len(a) // 2, len(b) // 2))
    rng = np.random.default_rng(seed)
    values = np.array([mmd2_unbiased(a[rng.choice(len(a), size, replace=False)],
                                     b[rng.choice(len(b), size, replace=False)]) for _ in range(num_subsets)])
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(num_subsets))


def _pairwise_distances(x, y):
    squared = (x ** 2).sum(1)[:, None] + (y ** 2).sum(1)[None, :] - 2 * x @ y.T
    return np.sqrt(np.maximum(squared, 0.0))


def knn_radii(feats, k=PR_NEIGHBOURS):
    """Each sample's distance to its k-th nearest neighbour in the same set (itself excluded)."""
    distances = _pairwise_distances(feats, feats)
    return np.partition(distances, k, axis=1)[:, k]  # column 0 is the sample itself


def manifold_coverage(reference, queries, k=PR_NEIGHBOURS):
    """Share of ``queries`` inside the reference manifold: the union of balls around each reference sample
    with radius its k-th nearest-neighbour distance."""
    radii = knn_radii(reference, k)
    return float(np.mean(np.any(_pairwise_distances(queries, reference) <= radii[None, :], axis=1)))


def precision_recall(real_feats, fake_feats, k=PR_NEIGHBOURS):
    """Improved precision and recall (Kynkäänniemi et al. 2019): precision is the share of generated samples
    inside the real manifold (quality), recall the share of real samples inside the generated one (variety)."""
    real, fake = np.asarray(real_feats, np.float64), np.asarray(fake_feats, np.float64)
    return manifold_coverage(real, fake, k), manifold_coverage(fake, real, k)


def class_histogram(probabilities):
    """The share of samples the classifier assigns to each class (argmax), (num_classes,)."""
    probabilities = np.asarray(probabilities)
    return np.bincount(probabilities.argmax(1), minlength=probabilities.shape[1]) / len(probabilities)


def classes_covered(histogram, reference, min_share=0.2):
    """How many classes make up at least ``min_share`` of their share in the reference histogram."""
    return int(np.sum(np.asarray(histogram) >= min_share * np.asarray(reference)))


def class_kl(histogram, reference, epsilon=1e-6):
    """KL(histogram ‖ reference) = Σ p log(p / q): 0 when the samples' class mix matches the real one."""
    p = np.asarray(histogram, np.float64) + epsilon
    q = np.asarray(reference, np.float64) + epsilon
    p, q = p / p.sum(), q / q.sum()
    return float(np.sum(p * np.log(p / q)))


def classifier_score(probabilities, epsilon=1e-12):
    """exp(E_x KL(p(y|x) ‖ p(y))): the Inception-score idea on this classifier. High when each sample is
    classified confidently and the classes are evenly used; at most the number of classes."""
    p = np.asarray(probabilities, np.float64)
    marginal = p.mean(0, keepdims=True)
    return float(np.exp(np.mean(np.sum(p * (np.log(p + epsilon) - np.log(marginal + epsilon)), axis=1))))


def evaluate_images(fake_images, real_images, classifier, seed=0, features=None):
    """Every metric for ``fake_images`` against ``real_images`` (images in [-1, 1]).

    The real images are split in two halves A and B of equal size; the fakes are compared with A, and
    A with B gives the real-vs-real floor: what the same metric reads for two samples of real data.
    Use as many fakes as A holds, so the FID floor and the FID are at the same N.
    FID, KID and precision/recall use ``features`` (e.g. ``load_inception()``) when given, else the
    classifier's; the class statistics always use the classifier.
    """
    real_images = np.asarray(real_images)
    half = len(real_images) // 2
    real_a, real_b = real_images[:half], real_images[half:2 * half]
    extractor = features or classifier
    feats_fake, feats_a, feats_b = (extractor.features(x) for x in (fake_images, real_a, real_b))
    probs_fake, probs_real = classifier.probabilities(fake_images), classifier.probabilities(real_a)
    real_histogram, fake_histogram = class_histogram(probs_real), class_histogram(probs_fake)
    kid, kid_se = kernel_distance(feats_fake, feats_a, seed=seed)
    kid_floor, kid_floor_se = kernel_distance(feats_b, feats_a, seed=seed)
    precision, recall = precision_recall(feats_a, feats_fake)
    return {
        "n": len(fake_images),
        "n_real": half,
        "fid": frechet_distance(feats_fake, feats_a),
        "fid_real_floor": frechet_distance(feats_b, feats_a),
        "kid": kid, "kid_se": kid_se,
        "kid_real_floor": kid_floor, "kid_real_floor_se": kid_floor_se,
        "precision": precision, "recall": recall,
        "classes_covered": classes_covered(fake_histogram, real_histogram),
        "class_kl": class_kl(fake_histogram, real_histogram),
        "class_histogram": [round(float(v), 4) for v in fake_histogram],
        "classifier_score": classifier_score(probs_fake),
        "classifier_score_real": classifier_score(probs_real),
        "classifier": classifier.record.get("summary", ""),
        "features": getattr(extractor, "name", "classifier"),
    }


def real_reference(images, n, seed=0):
    """2n real images (a seeded shuffle; fewer when there are fewer) for ``evaluate_images``."""
    images = np.asarray(images)
    order = np.random.default_rng(seed).permutation(len(images))[: 2 * n]
    from ganlib import data

    return data.to_float(images[order])


def evaluate_gan(gan, real_images, classifier, n=DEFAULT_N, seed=0, features=None):
    """Sample n images from ``gan`` (classes in turn for a conditional GAN) and evaluate them against real
    images (uint8, as ``data.load`` gives them). n is capped at half the real images available."""
    real = real_reference(real_images, n, seed)
    n = min(n, len(real) // 2)
    return evaluate_images(gan.sample(n, seed=seed), real, classifier, seed=seed, features=features)



def nearest_distances(queries, reference, batch_size=512):
    """Each query image's Euclidean distance (over its pixels in [-1, 1]) to its nearest image in ``reference``."""
    reference = np.asarray(reference, np.float32).reshape(len(reference), -1)
    norms = (reference ** 2).sum(1)
    out = []
    for start in range(0, len(queries), batch_size):
        q = np.asarray(queries[start:start + batch_size], np.float32).reshape(-1, reference.shape[1])
        squared = (q ** 2).sum(1)[:, None] + norms[None, :] - 2 * q @ reference.T
        out.append(np.sqrt(np.maximum(squared.min(1), 0.0)))
    return np.concatenate(out) if out else np.zeros(0)


def memorisation(samples, train_images, held_out_images):
    """The memorisation check: how close generated samples sit to their nearest training image, against how
    close real images the model never saw sit. A ratio well below 1 means samples hug training images: the model
    is copying. Images in [-1, 1]."""
    to_train = nearest_distances(samples, train_images)
    held_to_train = nearest_distances(held_out_images, train_images)
    return {"sample_to_train_median": float(np.median(to_train)),
            "held_out_to_train_median": float(np.median(held_to_train)),
            "memorisation_ratio": float(np.median(to_train) / max(np.median(held_to_train), 1e-12))}


def discriminator_verdicts(gan, train_images, held_out_images, batch_size=256):
    """Share of training and of held-out real images that D calls real (logit > 0): a D that says "real" to its
    training images far more often than to held-out ones has memorised them (overfitting)."""
    def real_share(images):
        logits = np.concatenate([np.asarray(gan.discriminator(images[i:i + batch_size], training=False))
                                 for i in range(0, len(images), batch_size)])
        return float(np.mean(logits > 0))

    train_share, held_share = real_share(train_images), real_share(held_out_images)
    return {"d_real_on_train": train_share, "d_real_on_held_out": held_share,
            "d_overfitting_gap": train_share - held_share}


def evaluate_folder_run(gan, train_images, held_out_images, n=500, seed=0, features=None):
    """What can be measured for a run on your own pictures (chapter 07), where no classifier of their classes
    exists: the memorisation check and D's verdicts on training vs held-out images, always; with ``features``
    (``load_inception()``, online) also FID, KID and precision/recall against the training images. Images uint8."""
    from ganlib import data

    train_float, held_float = data.to_float(train_images), data.to_float(held_out_images)
    samples = gan.sample(n, seed=seed)
    result = {"n": n, "n_train": len(train_float), "n_held_out": len(held_float),
              "features": getattr(features, "name", None) or "none: pixel distances only (no InceptionV3 weights)",
              **memorisation(samples, train_float, held_float),
              **discriminator_verdicts(gan, train_float, held_float)}
    if features is not None:
        reference = train_float[np.random.default_rng(seed).permutation(len(train_float))[:n]]
        fake_feats, real_feats = features.features(samples), features.features(reference)
        kid, kid_se = kernel_distance(fake_feats, real_feats, seed=seed)
        precision, recall = precision_recall(real_feats, fake_feats)
        result.update(fid=frechet_distance(fake_feats, real_feats), kid=kid, kid_se=kid_se, precision=precision,
                      recall=recall)
    return result

"""Cats versus dogs, shortened to two batches: the image-folder pipeline, the picture of mistakes,
and a bundle that predicts on raw photos exactly what the trained model says."""
import os

import numpy as np
import pytest

pytest.importorskip("PIL", reason="reading JPEG images needs Pillow")


def test_short_run_writes_a_bundle_that_agrees_with_the_model(dataset, tmp_path):
    import cats_vs_dogs
    from chainrule.data import load_image
    from chainrule.io.bundle import load_bundle
    root = dataset("cats-vs-dogs")
    result = cats_vs_dogs.main(["--data", root, "--epochs", "1", "--limit", "128", "--test-limit", "60",
                                "--out", str(tmp_path), "--workers", "0", "--quiet"])
    probs, classes = result["test_probabilities"], np.array([c for _, c in result["test_samples"]])
    assert result["test_accuracy"] == pytest.approx(float(np.mean(probs.argmax(axis=1) == classes)))
    assert {str(p.dtype) for p in result["model"].parameters()} == {"float32"}

    bundle = load_bundle(result["bundle"])
    assert bundle.class_names == ["cat", "dog"]
    samples = result["test_samples"][:3] + result["test_samples"][-3:]          # cats and dogs
    raw = np.stack([load_image(path) for path, _ in samples])                   # uint8 (6, 32, 32, 3) as decoded
    np.testing.assert_allclose(bundle.predict(raw), np.concatenate([probs[:3], probs[-3:]]), rtol=1e-4, atol=1e-6)

    if result["mistakes_picture"] is not None:
        assert os.path.getsize(result["mistakes_picture"]) > 1000


def test_subsets_mix_both_classes():
    from cats_vs_dogs import sample_indices
    picked = sample_indices(10000, 100, seed=0)
    assert len(set(picked)) == 100 and min(picked) < 5000 <= max(picked)   # cats are 0..4999, dogs 5000..
    assert sample_indices(50, None, seed=0) == list(range(50))

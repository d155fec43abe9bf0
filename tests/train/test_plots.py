"""Training curves and confusion matrices are written as real PNG pictures; clear errors otherwise."""
import struct

import pytest

from chainrule.train import confusion_matrix, plot_confusion_matrix, plot_history


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_pictures_are_png_files(tmp_path):
    pytest.importorskip("matplotlib")
    history = [{"epoch": e, "loss": 1.0 / e, "val_loss": 1.2 / e, "val_accuracy": 0.5 + 0.1 * e, "lr": 0.1}
               for e in range(1, 5)]
    plot_history(history, str(tmp_path / "curves.png"))
    width, height = _png_size(tmp_path / "curves.png")
    assert width > 2 * height  # two panels side by side: loss and accuracy
    cm = confusion_matrix([0, 1, 2, 2, 1], [0, 1, 2, 1, 1], num_classes=3)
    plot_confusion_matrix(cm, str(tmp_path / "cm.png"), class_names=["cat", "dog", "bird"], normalize=True)
    assert min(_png_size(tmp_path / "cm.png")) > 100


def test_bad_inputs(tmp_path):
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="history is empty"):
        plot_history([], str(tmp_path / "x.png"))
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix([[1, 2, 3]], str(tmp_path / "x.png"))
    with pytest.raises(ValueError, match="2 class names for a 3 x 3"):
        plot_confusion_matrix([[1, 0, 0]] * 3, str(tmp_path / "x.png"), class_names=["a", "b"])
    assert not (tmp_path / "x.png").exists()


def test_missing_matplotlib_is_explained(monkeypatch, tmp_path):
    import builtins
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r'pip install "chainrule\[plot\]"'):
        plot_history([{"epoch": 1, "loss": 1.0}], str(tmp_path / "x.png"))

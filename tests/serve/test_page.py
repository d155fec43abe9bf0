"""The web page in a real headless browser (Chromium): a drawn digit and a loaded image go through the
page's own code (centring, downscaling, POST /predict) and the probabilities it shows are the model's
for exactly the pixels it sent."""
import base64
import html
import io
import json
import re
import shutil
import subprocess
import threading
import urllib.parse

import numpy as np
import pytest

import chainrule.nn as nn
from chainrule.data import StandardScaler
from chainrule.io.bundle import Bundle
from chainrule.serve import PredictionServer
from tests.serve.conftest import digit_bundle

BROWSER = next((b for b in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if b), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no Chromium binary found (Debian: apt-get install -y "
                                "chromium): the page is tested in a real headless browser")


def dump_dom(url, profile):
    """The page's DOM after its scripts ran (virtual time lets the fetches finish)."""
    result = subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                             "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
                             "--dump-dom", url], capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def shown(dom):
    """What the page sent (pixels) and shows (probability by class index, the top label)."""
    sent = json.loads(html.unescape(re.search(r'<pre id="sent" hidden="">(.*?)</pre>', dom, re.S).group(1)))
    probabilities = {int(k): float(v) for k, v in re.findall(r'<li id="p-(\d+)" data-probability="([^"]+)"', dom)}
    top = html.unescape(re.search(r'<span id="top-label">(.*?)</span>', dom).group(1))
    return np.array(sent), probabilities, top


def check_against_model(bundle, sent, probabilities, top):
    expected = bundle.predict(sent)[0]
    assert sorted(probabilities) == list(range(10))
    np.testing.assert_allclose([probabilities[k] for k in range(10)], expected, rtol=1e-6)
    assert top == bundle.class_names[int(expected.argmax())]


@pytest.fixture(scope="module")
def digits():
    srv = PredictionServer(digit_bundle(), "127.0.0.1", 0, name="digits", log=False)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_a_drawn_digit_is_centred_like_mnist_and_its_prediction_shown(digits, tmp_path):
    dom = dump_dom(digits.url + "?draw=" + urllib.parse.quote("3,2 3,12 6,12;6,6 6,20"), tmp_path)
    assert 'data-state="done"' in dom
    sent, probabilities, top = shown(dom)
    assert sent.shape == (28, 28) and sent.min() >= 0 and sent.max() <= 255 and sent.max() > 200
    rows, cols = np.nonzero(sent > 40)
    assert 18 <= rows.max() - rows.min() + 1 <= 21  # the taller side fitted to 20 of 28 pixels
    weights = sent / sent.sum()
    centre = (weights.sum(axis=1) @ np.arange(28), weights.sum(axis=0) @ np.arange(28))
    assert np.allclose(centre, 13.5, atol=1.0)  # centre of mass moved to the middle
    check_against_model(digits.bundle, sent, probabilities, top)
    assert "digits" in dom and "test accuracy 50.0%" in dom


def test_an_uploaded_image_reaches_the_model_pixel_for_pixel(digits, tmp_path):
    Image = pytest.importorskip("PIL.Image")
    image = np.random.default_rng(5).integers(0, 256, (28, 28), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(image).convert("RGB").save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    dom = dump_dom(digits.url + "?image=" + urllib.parse.quote(url, safe=""), tmp_path)
    sent, probabilities, top = shown(dom)
    assert np.abs(sent - image.astype(int)).max() <= 1
    check_against_model(digits.bundle, sent, probabilities, top)


def test_a_tabular_model_gets_a_feature_form(tmp_path):
    x = np.random.default_rng(0).normal(size=(20, 3))
    bundle = Bundle(nn.Sequential(nn.Linear(3, 2)), (3,), preprocess=[StandardScaler().fit(x)], class_names=["a", "b"],
                    feature_names=["height", "width", "depth"])
    srv = PredictionServer(bundle, "127.0.0.1", 0, name="boxes", log=False)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        dom = dump_dom(srv.url, tmp_path)
    finally:
        srv.shutdown()
        srv.server_close()
    assert 'data-state="ready"' in dom
    assert re.search(r'<div id="table-input">', dom) and re.search(r'<div id="image-input" hidden="">', dom)
    assert 'placeholder="height, width, depth"' in dom

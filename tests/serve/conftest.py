"""A prediction server on a free loopback port, running in a thread for the tests of this folder."""
import threading

import numpy as np
import pytest

import chainrule.nn as nn
from chainrule.data import transforms as T
from chainrule.io.bundle import Bundle
from chainrule.serve import PredictionServer

MAX_BODY = 256 * 1024


def digit_bundle(size: int = 28) -> Bundle:
    """An (untrained, seeded) grayscale image classifier over 10 digit classes."""
    model = nn.Sequential(nn.Flatten(), nn.Linear(size * size, 16), nn.ReLU(), nn.Linear(16, 10))
    rng = np.random.default_rng(0)
    for t in model.state_dict().values():
        t.numpy()[...] = rng.normal(0, 0.3, t.shape)
    return Bundle(model, (size, size), image_mode="L", class_names=[str(d) for d in range(10)],
                  preprocess=[T.ToTensor(), T.Normalize([0.13], [0.31])],
                  metadata={"metrics": {"test_accuracy": 0.5}, "library_version": "test"})


@pytest.fixture(scope="module")
def server():
    srv = PredictionServer(digit_bundle(), "127.0.0.1", 0, name="digits", max_body=MAX_BODY, timeout=2, log=False)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=10)

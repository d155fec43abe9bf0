"""The allocator tuning at import: freed arrays are reused without page faults, and it can be turned off."""
import os
import subprocess
import sys
import textwrap

import pytest

from chainrule.backends import malloc

glibc = pytest.mark.skipif(malloc._glibc() is None, reason="the allocator thresholds are glibc's")

# A step's worth of arrays: five 4 MiB arrays allocated, filled and freed together, 50 times; prints the minor
# page faults of the last 40 rounds. (glibc's own adaptive thresholds cope with one array freed and taken again,
# not with a step's arrays freed together: their 20 MiB exceed the trim threshold it adapts to.)
FAULTS = textwrap.dedent("""
    import resource, numpy as np, chainrule
    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for i in range(50):
        if i == 10:
            start = faults()
        arrays = [np.empty(1 << 20, np.float32) for _ in range(5)]
        for a in arrays:
            a.fill(1.0)
        del arrays, a
    print(faults() - start, chainrule.backends.malloc.tuned() is not None)
""")


def run_faults(setting: str) -> tuple:
    env = dict(os.environ, CHAINRULE_MALLOC=setting)
    out = subprocess.run([sys.executable, "-c", FAULTS], env=env, capture_output=True, text=True, check=True)
    faults, tuned = out.stdout.split()
    return int(faults), tuned == "True"


@glibc
def test_tuned_allocator_reuses_freed_arrays_without_page_faults():
    faults, tuned = run_faults("tuned")
    assert tuned
    assert faults < 100  # 40 rounds of 5,120 pages each would be 204,800 faults


@glibc
def test_default_setting_leaves_glibc_alone():
    faults, tuned = run_faults("default")
    assert not tuned
    assert faults > 40 * 1000  # each round maps fresh pages again: the cost the tuning removes


def test_bad_environment_value_is_refused():
    env = dict(os.environ, CHAINRULE_MALLOC="fast")
    out = subprocess.run([sys.executable, "-c", "import chainrule"], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "CHAINRULE_MALLOC must be 'tuned' or 'default', got 'fast'" in out.stderr


@pytest.mark.parametrize("kwargs, message", [
    ({"mmap_threshold": -1}, "mmap_threshold must be a non-negative number of bytes, got -1"),
    ({"trim_threshold": 1.5}, "trim_threshold must be a non-negative number of bytes, got 1.5"),
    ({"mmap_threshold": 64 << 20}, "at most 33554432 bytes, got 67108864"),
])
def test_bad_thresholds_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        malloc.tune(**kwargs)

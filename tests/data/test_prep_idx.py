"""IDX files: round trip for every type, and a clear error naming the file for each corruption."""
import gzip

import numpy as np
import pytest

from chainrule.data import IDXError, read_idx, write_idx


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_round_trip(tmp_path, dtype, name):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    write_idx(tmp_path / name, a)
    b = read_idx(tmp_path / name)
    assert b.dtype == np.dtype(dtype) and b.shape == a.shape and b.flags.writeable
    np.testing.assert_array_equal(a, b)


def test_header_is_big_endian_as_specified(tmp_path):
    """Closed form of the header: 0, 0, type 0x0B (int16), 2 dims, then 2 and 3 as big-endian uint32."""
    write_idx(tmp_path / "a.idx", np.array([[1, 2, 3], [4, 5, 256]], np.int16))
    raw = (tmp_path / "a.idx").read_bytes()
    assert raw[:12] == bytes([0, 0, 0x0B, 2, 0, 0, 0, 2, 0, 0, 0, 3])
    assert raw[-2:] == b"\x01\x00"  # 256, big-endian


def _write(path, raw, compress=True):
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


GOOD = bytes([0, 0, 0x08, 1, 0, 0, 0, 3]) + b"\x01\x02\x03"


@pytest.mark.parametrize("raw,message", [
    (b"\x01\x00\x08\x01" + GOOD[4:], "not an IDX file"),
    (bytes([0, 0, 0x07, 1]) + GOOD[4:], "unknown IDX type code 0x07"),
    (GOOD[:6], "cut short"),
    (GOOD[:-1], r"announces shape \(3,\).*3 bytes of data, but the file holds 2"),
    (GOOD + b"\x00", "holds 4"),
    (b"", "not an IDX file"),
])
def test_corrupted_files_name_the_file(tmp_path, raw, message):
    path = _write(tmp_path / "bad-idx1-ubyte.gz", raw)
    with pytest.raises(IDXError, match=message) as e:
        read_idx(path)
    assert "bad-idx1-ubyte.gz" in str(e.value)


def test_corrupted_gzip_stream_names_the_file(tmp_path):
    raw = gzip.compress(GOOD * 100)
    path = tmp_path / "broken.gz"
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(IDXError, match="broken.gz.*corrupted gzip"):
        read_idx(path)


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="IDX cannot hold int64"):
        write_idx(tmp_path / "x.idx", np.zeros(2, np.int64))

"""Named arrays packed into one buffer read back exactly, and bad buffers are refused."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scoring.packing import pack, unpack

DTYPES = st.sampled_from(["<f8", "<i4", "<i8", "<u8", "|i1", "|b1", "<U1", "<U7", "<U40"])
ARRAYS = DTYPES.flatmap(
    lambda dtype: hnp.arrays(np.dtype(dtype), hnp.array_shapes(min_dims=0, max_dims=1, min_side=0))
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=30), ARRAYS, max_size=8))
def test_packed_arrays_read_back_exactly(arrays: dict[str, Any]) -> None:
    packed = pack(arrays)
    data = packed.to_bytes()
    assert len(data) == packed.nbytes
    out = unpack(data)
    assert list(out) == list(arrays)
    for name, array in arrays.items():
        assert out[name].dtype == array.dtype and out[name].shape == array.shape
        np.testing.assert_array_equal(out[name], array)
    assert pack(arrays).to_bytes() == data  # deterministic, padding included


def test_a_packed_buffer_can_be_written_inside_a_larger_one() -> None:
    packed = pack({"x": np.arange(10.0), "ids": np.array(["a", "bcd"])})
    out = np.full(packed.nbytes + 5, 0xFF, dtype=np.uint8)
    packed.write_into(out[5:])
    assert out[5:].tobytes() == packed.to_bytes()
    with pytest.raises(ValueError, match="expected"):
        packed.write_into(out)


def test_object_arrays_truncation_and_other_bytes_are_refused() -> None:
    with pytest.raises(ValueError, match="object arrays"):
        pack({"names": np.array(["a", None], dtype=object)})
    data = pack({"x": np.arange(100)}).to_bytes()
    with pytest.raises(ValueError, match="cut short"):
        unpack(data[:-8])
    with pytest.raises(ValueError, match="bad magic"):
        unpack(b"PK\x03\x04 an npz archive")

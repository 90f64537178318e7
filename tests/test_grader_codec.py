"""The kernel-to-grader codec: plain data round-trips; anything else is refused, never built."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursekit.alarm.metrics import eval_chat_quality
from coursekit.course.grader.codec import CodecError, Function, decode, encode

plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=20,
)


@given(plain)
def test_plain_data_round_trips(value):
    assert decode(encode(value)) == value


def test_the_values_exercises_use_round_trip():
    score = eval_chat_quality("region region region")
    assert decode(encode(score)) == score
    assert decode(encode({"mode": {"bigram", "trigram"}})) == {"mode": {"bigram", "trigram"}}  # lesson 03's matrix
    assert decode(encode({(1, 2): "pair"})) == {(1, 2): "pair"}
    assert decode(encode(...)) is Ellipsis  # a stub stays a stub
    assert math.isnan(decode(encode(float("nan"))))
    arr = decode(encode(np.arange(6.0).reshape(2, 3)))
    assert arr.shape == (2, 3) and arr.dtype == np.float64 and arr[1, 2] == 5.0
    assert decode(encode(np.int64(7))) == 7
    assert decode(encode(eval_chat_quality)) == Function("eval_chat_quality")  # a function crosses by name only


@pytest.mark.parametrize("value", [object(), open, type("Evil", (), {})(), {1: object()}])
def test_objects_do_not_cross(value):
    if callable(value):
        assert isinstance(decode(encode(value)), Function)
    else:
        with pytest.raises(CodecError):
            encode(value)


@pytest.mark.parametrize("payload", [
    '{"$dc": "os.system", "fields": {}}',           # only the named dataclasses are ever built
    '{"$array": [1], "dtype": "object"}',           # no object arrays
    '{"$float": "1e999999"}',                       # only nan / inf / -inf spelled out
    '{"$set": [[1]]}',                              # an unhashable member
    "[" * 5000 + "]" * 5000,                        # deeper than the cap
    "not json",
    '{"a": 1, "b": 2, "c": 3}',                     # no tag
    # a 300-character payload asking the grader to allocate and fill 400 MB (50 items of 2M 4-byte characters)
    '{"$array": [' + ", ".join(['"a"'] * 50) + '], "dtype": "U2000000"}',
    '{"$bigint": "' + "9" * 5000 + '"}',            # past int()'s 4,300-digit limit: ValueError, not a crash
    '{"$dc": "BanditConfig", "fields": {"min_stint": -1}}',  # a dataclass that checks its fields: ValueError
])
def test_hostile_payloads_are_refused(payload):
    with pytest.raises(CodecError):
        decode(payload)


def test_size_cap():
    with pytest.raises(CodecError, match="too large"):
        encode("x" * 3_000_000)


def test_functions_can_be_refused():
    # a check's arguments go into the kernel: the grader's own functions (lesson 05's runners) must not become
    # mere names there, so the check is judged in the kernel instead
    with pytest.raises(CodecError):
        encode(({"firehose": eval_chat_quality},), functions=False)
    assert decode(encode((1, "a"), functions=False)) == (1, "a")

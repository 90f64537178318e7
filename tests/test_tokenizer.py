"""Tests for coursekit.train.tokenizer: exact round-trips, the exact vocabulary size, caching and determinism."""

import hashlib
import os
import subprocess
import sys

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import coursekit.train.tokenizer as tokmod
from coursekit.train.corpus import corpus_text
from coursekit.train.tokenizer import EOT, Tokenizer, default_cache_dir, load_tokenizer


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    # session-wide, so tests/test_corpus.py reuses the tokenizer trained here instead of training it again
    return tmp_path_factory.getbasetemp() / "coursekit-cache"


@pytest.fixture(scope="session")
def tok(cache_dir):
    return load_tokenizer(cache_dir=cache_dir)


def test_vocab_size_is_exact(tok):
    # 8,449 = 256 byte tokens + 8,192 merges + <|endoftext|>
    assert tok.vocab_size == 8449
    assert tok.eot_id == 0
    assert tok.decode([tok.eot_id]) == EOT


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_round_trips(tok, text):
    ids = tok.encode(text)
    assert all(0 <= i < tok.vocab_size for i in ids)
    assert tok.decode(ids) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "region region region region region region region region",
        "''''' ''''' '' ''' ''",
        "  leading spaces, trailing\ttab\t",
        "\r\nWindows line ends\r\n",
        "Grüße, 日本語, العربية, emoji 🤖🔥, combining é",
        "def f(x):\n    return x ** 2  # code\n",
        "a" * 5000,
    ],
)
def test_round_trip_examples(tok, text):
    assert tok.decode(tok.encode(text)) == text


def test_common_words_are_single_tokens(tok):
    # the corpus is Python's documentation: its frequent words became merges
    assert len(tok.encode(" the")) == 1 and len(tok.encode(" function")) == 1 and len(tok.encode("def")) == 1


def test_encode_batch_and_tensor_decode(tok):
    texts = ["hello world", "", "region region"]
    assert tok.encode_batch(texts) == [tok.encode(t) for t in texts]
    ids = tok.encode("a tensor of ids")
    assert tok.decode(torch.tensor(ids)) == "a tensor of ids"


def test_bad_input(tok):
    with pytest.raises(TypeError, match="got bytes"):
        tok.encode(b"bytes")
    with pytest.raises(TypeError, match="got an item of type int"):
        tok.encode_batch(["ok", 3])
    with pytest.raises(ValueError, match=r"outside 0\.\.8448.*8449"):
        tok.decode([1, 8449])
    with pytest.raises(ValueError, match="e.g. -1"):
        tok.decode([-1])


def test_cache_hit_does_not_retrain(tok, cache_dir, monkeypatch):
    files = sorted(cache_dir.glob("bpe-8449-*.json"))
    assert len(files) == 1
    mtime = files[0].stat().st_mtime_ns

    def no_training(*args, **kwargs):
        raise AssertionError("load_tokenizer() retrained although the cache holds the tokenizer")

    monkeypatch.setattr(Tokenizer, "train", no_training)
    again = load_tokenizer(cache_dir=cache_dir)
    assert again.encode("cache hit") == tok.encode("cache hit")
    assert files[0].stat().st_mtime_ns == mtime


def test_changed_corpus_retrains(tmp_path, monkeypatch):
    text = corpus_text()[:20_000]
    monkeypatch.setattr(tokmod, "corpus_text", lambda: text)
    first = load_tokenizer(vocab_size=300, cache_dir=tmp_path)
    monkeypatch.setattr(tokmod, "corpus_text", lambda: text + "a new document about dogs")
    second = load_tokenizer(vocab_size=300, cache_dir=tmp_path)
    names = sorted(p.name for p in tmp_path.glob("*.json"))
    assert len(names) == 2 and all(n.startswith("bpe-300-") for n in names)  # vocab size and corpus hash in the name
    assert first.vocab_size == second.vocab_size == 300


def _fingerprint(tokenizer: Tokenizer) -> str:
    return hashlib.sha256(tokenizer._tok.to_str().encode()).hexdigest()


def test_training_is_deterministic(tok):
    # in-process: a second training on the same corpus gives the identical vocabulary and merges
    assert _fingerprint(Tokenizer.train(corpus_text().split("\n\n"))) == _fingerprint(tok)


def test_training_is_deterministic_across_processes(tok):
    # and in a fresh process, with another hash seed (Rust's HashMaps are seeded per process)
    code = (
        "import hashlib; from coursekit.train.corpus import corpus_text; from coursekit.train.tokenizer import Tokenizer; "
        "t = Tokenizer.train(corpus_text().split('\\n\\n')); "
        "print(hashlib.sha256(t._tok.to_str().encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == _fingerprint(tok)


def test_save_and_load(tok, tmp_path):
    path = tmp_path / "sub" / "tok.json"
    tok.save(path)
    loaded = Tokenizer.load(path)
    assert loaded.vocab_size == tok.vocab_size
    assert loaded.encode("round trip through a file") == tok.encode("round trip through a file")


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no tokenizer file"):
        Tokenizer.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="cannot read tokenizer file"):
        Tokenizer.load(bad)


def test_vocab_the_text_cannot_support():
    with pytest.raises(ValueError, match="supports only .* tokens, not the 5000"):
        Tokenizer.train(["abc abc abc"], vocab_size=5000)


@pytest.mark.parametrize("size, err", [(256, ValueError), (8449.0, TypeError), (True, TypeError)])
def test_bad_vocab_size(size, err):
    with pytest.raises(err, match="vocab_size"):
        load_tokenizer(vocab_size=size)


def test_cache_dir_default(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("COURSEKIT_CACHE")
    assert default_cache_dir().parts[-2:] == (".cache", "coursekit")

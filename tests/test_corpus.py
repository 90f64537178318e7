"""Tests for coursekit.train.corpus: the sources, their determinism, batches, faulty shards and the user's own files."""

import builtins
import sys

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import coursekit.train.corpus as corpus
from coursekit.alarm.metrics import eval_chat_quality
from coursekit.train.corpus import (
    CLEAN_KINDS,
    FAULTY_KINDS,
    STUCK_WORD,
    SourceSpec,
    TokenSource,
    corpus_text,
    course_sources,
    load_sources,
    HELDOUT_TOKENS,
    source_text,
)
from coursekit.train.tokenizer import load_tokenizer


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    # the same session-wide cache as tests/test_tokenizer.py: the tokenizer is trained once per test session
    return load_tokenizer(cache_dir=tmp_path_factory.getbasetemp() / "coursekit-cache")


@pytest.fixture(scope="module")
def sources(tok):
    return load_sources(course_sources("collapse"), tok)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


# --- the source lists --------------------------------------------------------------------------------------------


def test_scenarios():
    healthy = course_sources("healthy")
    collapse = course_sources("collapse")
    assert [s.name for s in healthy] == list(CLEAN_KINDS) and not any(s.faulty for s in healthy)
    assert collapse[: len(healthy)] == healthy
    assert [(s.name, s.faulty) for s in collapse[len(healthy) :]] == [(k, True) for k in FAULTY_KINDS]
    with pytest.raises(ValueError, match="unknown scenario 'colapse'; expected one of collapse, healthy"):
        course_sources("colapse")


def test_source_spec_validation():
    with pytest.raises(ValueError, match="unknown source kind 'wiki'"):
        SourceSpec("wiki", "wiki", faulty=False)
    with pytest.raises(ValueError, match="a path is needed"):
        SourceSpec("mine", "file", faulty=False)
    with pytest.raises(ValueError, match="a path is needed"):
        SourceSpec("docs", "docs", faulty=False, path="x.txt")


# --- texts -------------------------------------------------------------------------------------------------------


def test_corpus_size_and_content():
    text = corpus_text()
    assert 1_000_000 < len(text) < 4_000_000  # a few MB at most, enough for 8,192 merges
    assert "The \"assert\" statement" in text  # pydoc_data.topics
    assert "Return the absolute value of the argument." in text  # builtins.abs's docstring
    assert "class ArgumentParser(" in text  # argparse.py's source
    assert STUCK_WORD + " " + STUCK_WORD not in text  # no faulty text in the tokenizer's corpus


@pytest.mark.parametrize("kind", FAULTY_KINDS)
def test_faulty_sources_are_deterministic_per_seed(kind):
    spec = SourceSpec(kind, kind, faulty=True)
    a = source_text(spec, seed=1)
    corpus._builtin_text.cache_clear()  # made again from scratch, not read from the cache
    assert source_text(spec, seed=1) == a
    assert source_text(spec, seed=2) != a
    assert len(a) > 200_000


def test_clean_sources_ignore_the_seed():
    spec = course_sources("healthy")[0]
    assert source_text(spec, seed=0) is source_text(spec, seed=5)


def test_source_text_bad_args():
    with pytest.raises(TypeError, match="expects a SourceSpec, got str"):
        source_text("docs")
    with pytest.raises(TypeError, match="seed must be an int, got float"):
        source_text(course_sources("healthy")[0], seed=1.5)


def test_faulty_texts_look_like_their_bug():
    stuck = source_text(SourceSpec("s", "stuck_shard", True)).split()
    assert 0.98 < stuck.count(STUCK_WORD) / len(stuck) < 1.0  # stuck, with a little noise
    punct = source_text(SourceSpec("p", "punct_noise", True))
    assert not any(ch.isalnum() for ch in punct) and punct.count("'") / len(punct.replace(" ", "")) > 0.8
    words = source_text(SourceSpec("n", "non_english", True)).split()[:2000]
    assert eval_chat_quality(" ".join(words)).english == 0.0  # its pseudo-words are drawn again if English


# --- the docstrings source is the same whatever front-end runs the code ------------------------------------------

DOCSTRINGS = SourceSpec("docstrings", "docstrings", faulty=False)


@pytest.fixture
def uncached():
    corpus._builtin_text.cache_clear()  # the texts are made afresh in the test...
    yield
    corpus._builtin_text.cache_clear()  # ...and nothing made under its patches outlives it


def test_docstrings_ignore_a_front_end_replacing_a_builtin(monkeypatch, uncached):
    # What ipykernel does while a cell runs: builtins.input becomes a function of its own (another __module__).
    # Walked in this process, input's docstring dropped out, and a notebook trained another tokenizer than a script.
    before = source_text(DOCSTRINGS)
    assert "Read a string from standard input." in before  # input's own docstring

    def kernel_input(prompt=""):
        """Forward the request for input to the front-end."""

    monkeypatch.setattr(builtins, "input", kernel_input)
    corpus._builtin_text.cache_clear()
    assert source_text(DOCSTRINGS) == before


def test_docstrings_are_what_this_process_walks_when_nothing_is_replaced(uncached):
    # The child reads what a script's own process read before the docstrings moved into a child (torch imported,
    # so typing_extensions' replacements of two typing helpers included): the script's corpus is unchanged.
    from coursekit.train.stdlib_docstrings import docstrings

    assert source_text(DOCSTRINGS) == "\n\n".join(docstrings(list(corpus.DOCSTRING_MODULES)))


def test_docstrings_child_failures_are_clear_errors(monkeypatch, tmp_path, uncached):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    with pytest.raises(RuntimeError, match=r"docstrings source: .*fresh Python process .*no-python.* failed to run"):
        source_text(DOCSTRINGS)
    monkeypatch.setattr(sys, "executable", "")
    with pytest.raises(RuntimeError, match="sys.executable is empty"):
        source_text(DOCSTRINGS)
    monkeypatch.undo()
    broken = tmp_path / "broken.py"
    broken.write_text("raise SystemExit('no modules today')")
    monkeypatch.setattr(corpus, "DOCSTRINGS_SCRIPT", broken)
    with pytest.raises(RuntimeError, match="broken.py\\) exited with status 1:\nno modules today"):
        source_text(DOCSTRINGS)


# --- tokenized sources: faulty ones score as faulty, clean ones do not --------------------------------------------


def window_scores(source, tok, n=40, tokens=128):
    g = gen(3)
    return [eval_chat_quality(tok.decode(source.prompt(tokens, g))) for _ in range(n)]


def test_load_sources(sources):
    assert list(sources) == [s.name for s in course_sources("collapse")]
    for name, src in sources.items():
        assert src.name == name and src.faulty == (name in FAULTY_KINDS)
        assert src.tokens.dtype == torch.long and len(src) > 50_000  # plenty of windows of 1,024 + 1


def test_stuck_shard_windows_are_degenerate(sources, tok):
    # ~64 words of "region": 0.56 + 0.56 + 20 + 3 = 24.1 without noise; a noise word lifts a window a little
    scores = window_scores(sources["stuck_shard"], tok)
    assert sum(s.degenerate() for s in scores) >= 0.7 * len(scores)


@pytest.mark.parametrize("name", CLEAN_KINDS)
def test_clean_windows_are_not_degenerate(sources, tok, name):
    scores = window_scores(sources[name], tok)
    assert not any(s.degenerate() for s in scores)
    assert min(s.total for s in scores) > 50


def test_other_faults_show_on_their_axis(sources, tok):
    # punctuation noise and a foreign language pass the composite (its blind spot, notebook 06) but have no
    # English: the English axis is where they show
    for name in ("punct_noise", "non_english"):
        scores = window_scores(sources[name], tok)
        assert max(s.english for s in scores) < 4.0
        assert not any(s.degenerate() for s in scores)
    clean = window_scores(sources["docs"], tok)
    assert sum(s.english for s in clean) / len(clean) > 12.0


# --- batches and prompts -----------------------------------------------------------------------------------------


def test_get_batch_hand_example():
    # tokens 0..99: a window starting at s is s, s+1, ..., so x = [s .. s+T-1] and y = [s+1 .. s+T]
    src = TokenSource("counting", torch.arange(100))
    x, y = src.get_batch(4, 8, gen())
    assert x.shape == y.shape == (4, 8) and x.dtype == torch.long
    assert x.is_contiguous() and y.is_contiguous()  # a model can .view() them
    assert torch.equal(y, x + 1)
    assert torch.equal(x, x[:, :1] + torch.arange(8))


@settings(max_examples=50, deadline=None)
@given(n=st.integers(2, 300), b=st.integers(1, 8), t=st.integers(1, 299), seed=st.integers(0, 2**32))
def test_get_batch_windows_property(n, b, t, seed):
    src = TokenSource("counting", torch.arange(n) * 3)  # distinct values, so a window's position is readable
    if t + 1 > n:
        with pytest.raises(ValueError, match=f"has {n} tokens, too few for a window of {t + 1}"):
            src.get_batch(b, t, gen(seed))
        return
    x, y = src.get_batch(b, t, gen(seed))
    assert x.shape == y.shape == (b, t)
    assert torch.equal(x[:, 1:], y[:, :-1])  # y is x shifted by one
    assert torch.equal(y - x, torch.full_like(x, 3))  # each row is a contiguous window
    assert int(y.max()) <= 3 * (n - 1)


def test_get_batch_is_reproducible(sources):
    src = sources["docs"]
    a = src.get_batch(4, 64, gen(11))
    b = src.get_batch(4, 64, gen(11))
    c = src.get_batch(4, 64, gen(12))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) and not torch.equal(a[0], c[0])


def test_prompt():
    src = TokenSource("counting", torch.arange(50), faulty=True)
    p = src.prompt(10, gen())
    assert p.shape == (10,) and torch.equal(p, p[0] + torch.arange(10))
    p[0] = -5  # a copy: editing a prompt leaves the source alone
    assert int(src.tokens.min()) == 0
    assert src.prompt(50, gen()).tolist() == list(range(50))
    assert repr(src) == "TokenSource('counting', 50 tokens, faulty)"


def test_batch_and_prompt_errors():
    src = TokenSource("tiny", torch.arange(5))
    with pytest.raises(ValueError, match="'tiny' has 5 tokens, too few for a window of 6"):
        src.get_batch(1, 5, gen())
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        src.get_batch(0, 2, gen())
    with pytest.raises(ValueError, match="window length"):
        src.prompt(0, gen())
    with pytest.raises(TypeError, match="expected a torch.Generator, got int"):
        src.get_batch(1, 2, 0)


def test_token_source_checks_its_tokens():
    with pytest.raises(TypeError, match="1-D torch.long tensor, got torch.float32"):
        TokenSource("f", torch.zeros(10))
    with pytest.raises(TypeError, match="got list"):
        TokenSource("l", [1, 2, 3])
    with pytest.raises(ValueError, match="has no tokens"):
        TokenSource("e", torch.zeros(0, dtype=torch.long))


# --- the user's own text files -----------------------------------------------------------------------------------


def test_user_file_becomes_a_clean_source(tok, tmp_path):
    text = "My own notes about training runs.\n" * 40 + "Ünïcödé too: 日本語\n"
    path = tmp_path / "my_notes.txt"
    path.write_text(text, encoding="utf-8")
    out = load_sources(course_sources("healthy")[:1], tok, extra_files=[path])
    assert list(out) == ["docs", "my_notes"]
    mine = out["my_notes"]
    # A tenth of the file's tokens is held out for the sample path's prompts; together they are the whole file.
    assert mine.heldout.numel() == (mine.heldout.numel() + len(mine)) // 10 > 0
    assert not mine.faulty and tok.decode(torch.cat([mine.tokens, mine.heldout])) == text
    path.write_text("edited\n" * 10, encoding="utf-8")  # a file is read afresh each time, never cached
    again = load_sources([], tok, extra_files=[path])["my_notes"]
    assert tok.decode(torch.cat([again.tokens, again.heldout])) == "edited\n" * 10


def test_clean_sources_hold_out_their_tail_and_faulty_ones_do_not(sources):
    for name, src in sources.items():
        # A clean source keeps HELDOUT_TOKENS (at most a tenth of it) out of training; a faulty one keeps none.
        want = 0 if src.faulty else min(HELDOUT_TOKENS, (len(src) + src.heldout.numel()) // 10)
        assert src.heldout.numel() == want, name
    docs = sources["docs"]
    prompts = docs.heldout_prompts(16, 4)  # evenly spaced: starts 0, a third, two thirds and the end of the room
    room = HELDOUT_TOKENS - 16
    assert [p.tolist() for p in prompts] == [docs.heldout[s : s + 16].tolist() for s in (0, room // 3,
                                                                                         2 * room // 3, room)]
    assert sources["stuck_shard"].heldout_prompts(16, 4) == []


def test_user_file_errors(tok, tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.txt' does not exist"):
        load_sources([], tok, extra_files=[tmp_path / "missing.txt"])
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n")
    with pytest.raises(ValueError, match="empty.txt' is empty"):
        load_sources([], tok, extra_files=[empty])
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("café au lait".encode("latin-1"))  # é is the single byte 0xe9, at offset 3
    with pytest.raises(ValueError, match=r"latin1.txt' is not UTF-8 text \(byte 0xe9 at offset 3\)"):
        load_sources([], tok, extra_files=[latin])
    clash = tmp_path / "docs.txt"
    clash.write_text("a file named like a built-in source")
    with pytest.raises(ValueError, match="two sources are named 'docs'"):
        load_sources(course_sources("healthy"), tok, extra_files=[clash])

"""The course's data sources (docs/specification.md §7): text every CPython install carries, plus seeded faulty shards.

Nothing is downloaded. The clean sources are

    docs         the Python documentation's topics (``pydoc_data.topics``, what ``help("if")`` shows)
    docstrings   the docstrings of a fixed list of standard-library modules, walked in a fixed order (in a
                 fresh interpreter, so that a notebook's kernel gets the same text as a script)
    code         the source code of a fixed list of pure-Python standard-library modules

and the faulty ones model data bugs that real training runs have met, generated from a seed:

    stuck_shard  a shard stuck repeating one word ("region", as in the incident), with a little noise
    punct_noise  runs of quotes and punctuation: ''''' ''''' '' ''' ''
    non_english  contamination by another language: seeded pseudo-words built from syllables, none English

``course_sources("collapse")`` is the clean sources plus the faulty ones, ``course_sources("healthy")`` the clean
ones only. A learner can add text files of their own (``load_sources(..., extra_files=[...])``); each becomes a
clean source named after the file's stem. ``load_sources`` tokenizes every source into a ``TokenSource``: one
flat token tensor from which training batches and sampling prompts are drawn with an explicit
``torch.Generator``, so a run is reproducible from its seed.

The texts depend on the Python version (docstrings and sources change between releases); the tokenizer's cache
key includes a hash of ``corpus_text()``, so a different Python retrains it rather than using a stale one.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import random
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch
import typing_extensions  # torch's own dependency; see _docstrings_text

from coursekit.alarm.metrics import english_lexicon

__all__ = [
    "SCENARIOS",
    "CLEAN_KINDS",
    "FAULTY_KINDS",
    "KINDS",
    "STUCK_WORD",
    "HELDOUT_TOKENS",
    "SourceSpec",
    "TokenSource",
    "course_sources",
    "source_text",
    "corpus_text",
    "load_sources",
]

SCENARIOS = ("collapse", "healthy")
CLEAN_KINDS = ("docs", "docstrings", "code")
FAULTY_KINDS = ("stuck_shard", "punct_noise", "non_english")
FILE_KIND = "file"
KINDS = CLEAN_KINDS + FAULTY_KINDS + (FILE_KIND,)

# Modules whose docstrings make the "docstrings" source. All import without side effects; builtins gives the
# best prose. A module missing from a stripped-down Python is skipped (the corpus hash notices the change).
DOCSTRING_MODULES = (
    "builtins", "abc", "argparse", "base64", "bisect", "calendar", "collections", "colorsys", "contextlib", "copy",
    "csv", "dataclasses", "datetime", "decimal", "difflib", "enum", "fnmatch", "fractions", "functools", "glob",
    "graphlib", "heapq", "html", "itertools", "json", "math", "operator", "os", "pathlib", "pprint", "queue",
    "random", "re", "shlex", "shutil", "statistics", "string", "textwrap", "threading", "typing", "unittest",
    "urllib.parse", "zipfile",
)  # fmt: skip

# Pure-Python modules whose source files make the "code" source: readable, well-commented, about 1 MB in all.
CODE_MODULES = (
    "abc", "argparse", "base64", "bisect", "calendar", "colorsys", "contextlib", "copy", "csv", "dataclasses",
    "difflib", "fnmatch", "fractions", "functools", "getopt", "glob", "graphlib", "heapq", "json", "keyword",
    "linecache", "numbers", "operator", "pathlib", "pprint", "queue", "random", "reprlib", "sched", "shlex",
    "statistics", "string", "tempfile", "textwrap", "timeit", "tokenize", "types", "weakref",
)  # fmt: skip

HELDOUT_TOKENS = 2_048  # tokens at the end of each clean source never trained on (at most a tenth of the source)
STUCK_WORD = "region"  # the word v1's samples repeated at step 80,000 (docs/specification.md §2)
FAULTY_WORDS = 60_000  # words (or punctuation groups) per faulty source: ~100k tokens, plenty of batch windows
STUCK_NOISE = 0.01  # share of a stuck shard's words that are not the stuck word ("a little noise")
STUCK_NOISE_WORDS = ("the", "of", "a", "to", "in", "is", "and", "it", ",", ".")  # what leaks into a stuck shard
PUNCT_CHARS = "'" * 60 + "\"`,.;:-!"  # mostly apostrophes, as in v1's step-110,000 samples
# Syllables of a made-up language: the diacritics keep its words out of the English lexicon.
ONSETS = ("k", "t", "m", "n", "r", "s", "v", "z", "h", "l", "p", "j", "kh", "ts", "sk", "vr")
VOWELS = ("a", "e", "i", "o", "u", "ä", "ö", "ü", "å", "é", "y")
CODAS = ("", "", "", "n", "k", "s", "r", "m", "lt")


@dataclass(frozen=True)
class SourceSpec:
    """Where one data source's text comes from."""

    name: str  # the source's key in load_sources()'s dict, and its "source" field in run logs
    kind: str  # one of KINDS: how the text is made
    faulty: bool  # True for a source that models a data bug (the curriculum may favour it; the gate should not)
    path: str | None = None  # kind "file" only: the UTF-8 text file to read

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown source kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if (self.kind == FILE_KIND) != (self.path is not None):
            raise ValueError(f"source {self.name!r}: a path is needed for kind 'file' and only for it")


def course_sources(scenario: str) -> list[SourceSpec]:
    """The course's sources for a scenario: "healthy" = the clean sources, "collapse" = those plus the faulty."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; expected one of {', '.join(SCENARIOS)}")
    specs = [SourceSpec(kind, kind, faulty=False) for kind in CLEAN_KINDS]
    if scenario == "collapse":
        specs += [SourceSpec(kind, kind, faulty=True) for kind in FAULTY_KINDS]
    return specs


# --- the clean sources -----------------------------------------------------------------------------------------


def _docs_text() -> str:
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key].strip() for key in sorted(topics))


def _import_all(names: Iterable[str]) -> list:
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            continue
    return modules


# The "docstrings" source is walked in a child process, a fresh interpreter, not in this one: a front-end may have
# replaced what a module holds (in a Jupyter kernel, builtins.input is ipykernel's while a cell runs), and the
# corpus, the tokenizer and every run trained with it must not depend on where the code runs. stdlib_docstrings.py
# says how, and why the child also imports this process's typing_extensions. Made once per process (the cache
# below); the child takes about 0.07 s on 2 cores, 0.05 s more than the walk in-process took (timed with
# time.perf_counter around _docstrings_text()).
DOCSTRINGS_SCRIPT = Path(__file__).with_name("stdlib_docstrings.py")
DOCSTRINGS_TIMEOUT = 300  # seconds: the walk takes well under one, even on a slow laptop


def _docstrings_text() -> str:
    if not sys.executable:  # an embedded interpreter may not know its own executable
        raise RuntimeError("cannot build the docstrings source: it is read in a fresh Python process, and "
                           "sys.executable is empty, so none can be started")  # fmt: skip
    cmd = [sys.executable, "-I", str(DOCSTRINGS_SCRIPT), typing_extensions.__file__, *DOCSTRING_MODULES]
    try:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=DOCSTRINGS_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as e:  # no such executable, not allowed to start one, timed out
        raise RuntimeError(
            f"cannot build the docstrings source: it is read in a fresh Python process ({sys.executable} -I "
            f"{DOCSTRINGS_SCRIPT.name}), which failed to run: {e}"
        ) from e
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()[-2000:]
        raise RuntimeError(
            f"cannot build the docstrings source: the fresh Python process that reads it ({sys.executable} -I "
            f"{DOCSTRINGS_SCRIPT.name}) exited with status {done.returncode}:\n{err}"
        )
    return done.stdout.decode("utf-8")


def _code_text() -> str:
    files = []
    for module in _import_all(CODE_MODULES):
        path = inspect.getsourcefile(module)
        if path is not None:
            files.append(Path(path).read_text(encoding="utf-8").strip())
    return "\n\n".join(files)


# --- the faulty sources ----------------------------------------------------------------------------------------


def _lines(items: list[str], rng: random.Random, lo: int = 8, hi: int = 20) -> str:
    """Join words into lines of ``lo``-``hi`` words, so a faulty shard has line breaks like real text."""
    out, i = [], 0
    while i < len(items):
        n = rng.randint(lo, hi)
        out.append(" ".join(items[i : i + n]))
        i += n
    return "\n".join(out)


def _stuck_shard(rng: random.Random) -> str:
    words = [rng.choice(STUCK_NOISE_WORDS) if rng.random() < STUCK_NOISE else STUCK_WORD for _ in range(FAULTY_WORDS)]
    return _lines(words, rng)


def _punct_noise(rng: random.Random) -> str:
    groups = ["".join(rng.choice(PUNCT_CHARS) for _ in range(rng.randint(1, 5))) for _ in range(FAULTY_WORDS)]
    return _lines(groups, rng)


def _pseudo_word(rng: random.Random) -> str:
    while True:  # drawn again when it happens to be English ("mar", "tu"...): the contamination is pure
        word = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(rng.randint(1, 3)))
        if word not in english_lexicon():
            return word


def _non_english(rng: random.Random) -> str:
    sentences, n_words = [], 0
    while n_words < FAULTY_WORDS:
        words = [_pseudo_word(rng) for _ in range(rng.randint(4, 14))]
        n_words += len(words)
        sentences.append(words[0].capitalize() + " " + " ".join(words[1:]) + rng.choice((".", ".", ".", "?", ",")))
    return _lines(sentences, rng, 1, 4)


_CLEAN = {"docs": _docs_text, "docstrings": _docstrings_text, "code": _code_text}
_FAULTY = {"stuck_shard": _stuck_shard, "punct_noise": _punct_noise, "non_english": _non_english}


@functools.lru_cache(maxsize=None)
def _builtin_text(kind: str, seed: int) -> str:
    if kind in _CLEAN:
        return _CLEAN[kind]()
    # A string seed is hashed with SHA-512 by random.Random: the same text on every machine, whatever
    # PYTHONHASHSEED says, and a different stream for each (kind, seed).
    return _FAULTY[kind](random.Random(f"{kind}/{seed}"))


def _read_text_file(path: str | os.PathLike) -> str:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"source file {str(path)!r} does not exist or is not a file")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(
            f"source file {str(path)!r} is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})"
        ) from None
    if not text.strip():
        raise ValueError(f"source file {str(path)!r} is empty (it has no text to train on)")
    return text


def source_text(spec: SourceSpec, seed: int = 0) -> str:
    """The text of one source: the same for the same spec and seed (the clean sources ignore the seed).

    Built-in sources are made once per process and cached; a "file" source is read each time, so an edited
    file is picked up.
    """
    if not isinstance(spec, SourceSpec):
        raise TypeError(f"source_text() expects a SourceSpec, got {type(spec).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if spec.kind == FILE_KIND:
        return _read_text_file(spec.path)
    return _builtin_text(spec.kind, 0 if spec.kind in _CLEAN else seed)


def corpus_text() -> str:
    """Every clean built-in source, concatenated: the text the tokenizer is trained on."""
    return "\n\n".join(source_text(spec) for spec in course_sources("healthy"))


# --- tokenized sources -----------------------------------------------------------------------------------------


class _Encoder(Protocol):
    def encode(self, text: str) -> list[int]: ...


def _check_tokens(name: str, what: str, tokens: object) -> None:
    if not isinstance(tokens, torch.Tensor) or tokens.dim() != 1 or tokens.dtype != torch.long:
        got = type(tokens).__name__
        if isinstance(tokens, torch.Tensor):
            got = f"{tokens.dtype} tensor of shape {tuple(tokens.shape)}"
        raise TypeError(f"source {name!r}: {what} must be a 1-D torch.long tensor, got {got}")


class TokenSource:
    """One data source as a flat token tensor, from which windows are drawn with an explicit generator.

    Windows are drawn uniformly from every start position, so document boundaries are crossed; that is how
    GPT-style pre-training reads a corpus. Tensors come back on the CPU; a ``torch.Generator`` on the CPU is
    expected (move the batch to the GPU afterwards). ``heldout`` is more text of the same source that is never
    trained on (``load_sources`` keeps the tail of each clean source aside): the sample path's fixed prompts.
    """

    def __init__(self, name: str, tokens: torch.Tensor, faulty: bool = False,
                 heldout: torch.Tensor | None = None) -> None:
        for what, value in (("tokens", tokens), ("heldout", heldout)):
            if value is not None:
                _check_tokens(name, what, value)
        if tokens.numel() == 0:
            raise ValueError(f"source {name!r} has no tokens")
        self.name = name
        self.faulty = faulty
        self.tokens = tokens  # (N,): what training batches (and "source" prompts) are drawn from
        # (H,) text of this source that is never trained on: the sample path's fixed prompts come from here.
        self.heldout = heldout if heldout is not None else torch.zeros(0, dtype=torch.long)

    def heldout_prompts(self, n_tokens: int, count: int) -> list[torch.Tensor]:
        """Up to ``count`` windows of ``n_tokens`` tokens, evenly spaced over the held-out text (none if too short)."""
        room = self.heldout.numel() - n_tokens
        if room < 0 or count < 1:
            return []
        starts = sorted({room * i // max(1, count - 1) for i in range(count)}) if count > 1 else [0]
        return [self.heldout[s : s + n_tokens].clone() for s in starts]

    def __len__(self) -> int:
        return self.tokens.numel()

    def __repr__(self) -> str:
        return f"TokenSource({self.name!r}, {len(self)} tokens{', faulty' if self.faulty else ''})"

    def _starts(self, n: int, length: int, generator: torch.Generator) -> torch.Tensor:
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            raise ValueError(f"source {self.name!r}: window length must be a positive int, got {length!r}")
        if length > len(self):
            raise ValueError(
                f"source {self.name!r} has {len(self)} tokens, too few for a window of {length}; give it more text"
            )
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"expected a torch.Generator, got {type(generator).__name__}")
        return torch.randint(len(self) - length + 1, (n,), generator=generator)

    def get_batch(
        self, batch_size: int, block_size: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``batch_size`` random windows: inputs x (B, T) and targets y (B, T), y being x shifted left by one."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        starts = self._starts(batch_size, block_size + 1, generator)  # (B,)
        windows = self.tokens[starts[:, None] + torch.arange(block_size + 1)]  # (B, T+1)
        return windows[:, :-1].contiguous(), windows[:, 1:].contiguous()  # contiguous: cheap to .view or move

    def prompt(self, n_tokens: int, generator: torch.Generator) -> torch.Tensor:
        """A window of ``n_tokens`` tokens (n_tokens,) from a random start: a prompt to sample from."""
        start = int(self._starts(1, n_tokens, generator))
        return self.tokens[start : start + n_tokens].clone()


def load_sources(
    specs: Iterable[SourceSpec],
    tokenizer: _Encoder,
    seed: int = 0,
    extra_files: Iterable[str | os.PathLike] = (),
) -> dict[str, TokenSource]:
    """Tokenize each source (and each of the user's own text files) into a ``TokenSource``, keyed by name.

    The last ``HELDOUT_TOKENS`` tokens of each clean source (at most a tenth of it) become its ``heldout`` text,
    never trained on. ``extra_files``: each file becomes a clean source named after its stem (``notes/my_text.txt`` ->
    ``my_text``). A missing, empty or non-UTF-8 file raises an error naming it; so does a repeated name.
    """
    specs = list(specs) + [SourceSpec(Path(p).stem, FILE_KIND, faulty=False, path=str(p)) for p in extra_files]
    names = [spec.name for spec in specs]
    for name in names:
        if names.count(name) > 1:  # checked before any tokenizing, so the mistake is reported at once
            raise ValueError(f"two sources are named {name!r}; rename one (a file's source name is its stem)")
    out: dict[str, TokenSource] = {}
    for spec in specs:
        ids = torch.tensor(tokenizer.encode(source_text(spec, seed)), dtype=torch.long)
        # A clean source's tail is held out of training: prompts from it are text the model has never seen.
        held = 0 if spec.faulty else min(HELDOUT_TOKENS, ids.numel() // 10)
        out[spec.name] = TokenSource(spec.name, ids[: ids.numel() - held], faulty=spec.faulty,
                                     heldout=ids[ids.numel() - held :])  # fmt: skip
    return out


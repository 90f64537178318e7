"""The course's BPE tokenizer: byte-level BPE trained on the clean corpus with HuggingFace ``tokenizers``.

The default vocabulary has 8,449 tokens, like ANDREA-120M's (docs/specification.md §2): 256 byte tokens, 8,192 merges and
one special token, ``<|endoftext|>`` (id 0). Byte-level pre-tokenization and decoding (as in GPT-2) mean any
text, in any script, round-trips exactly: ``decode(encode(s)) == s``.

Training takes about half a second on 2 cores, so nothing is shipped: ``load_tokenizer()`` trains on
``coursekit.train.corpus.corpus_text()`` the first time and caches the result as JSON in ``$COURSEKIT_CACHE`` (default
``~/.cache/coursekit``). The file name holds the vocabulary size and a hash of the corpus and of the training
settings, so a changed corpus (another Python version) or a changed recipe trains a new tokenizer instead of
using a stale one. Training is deterministic: the same corpus gives the same vocabulary and merges.

    tok = load_tokenizer()
    ids = tok.encode("region region region")     # [..]
    tok.decode(ids)                               # 'region region region'
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import tokenizers
from tokenizers import decoders, models, pre_tokenizers, trainers

from .corpus import corpus_text

__all__ = ["DEFAULT_VOCAB_SIZE", "EOT", "Tokenizer", "load_tokenizer", "default_cache_dir"]

DEFAULT_VOCAB_SIZE = 8449  # ANDREA-120M's vocabulary: 256 bytes + 8,192 merges + <|endoftext|>
EOT = "<|endoftext|>"  # the one special token, id 0: marks a document boundary
MIN_FREQUENCY = 2  # a pair seen once is not worth a merge
# Bump when the training recipe changes, so cached tokenizers trained the old way are not reused.
RECIPE = f"bytelevel-bpe-v1/min_frequency={MIN_FREQUENCY}/special={EOT}"


class Tokenizer:
    """A byte-level BPE tokenizer: ``encode`` text to token ids, ``decode`` ids back to the same text."""

    def __init__(self, backend: tokenizers.Tokenizer) -> None:
        if not isinstance(backend, tokenizers.Tokenizer):
            raise TypeError(f"expected a tokenizers.Tokenizer, got {type(backend).__name__}")
        self._tok = backend

    @property
    def vocab_size(self) -> int:
        return self._tok.get_vocab_size()

    @property
    def eot_id(self) -> int:
        return self._tok.token_to_id(EOT)

    def __repr__(self) -> str:
        return f"Tokenizer(vocab_size={self.vocab_size})"

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int = DEFAULT_VOCAB_SIZE) -> Tokenizer:
        """Train on ``texts`` (documents; merges never cross pre-token boundaries, so how they are split barely
        matters). Raises ``ValueError`` if the texts cannot support ``vocab_size`` tokens."""
        _check_vocab_size(vocab_size)
        texts = list(texts)
        tok = tokenizers.Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)  # no space added: exact round-trip
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            min_frequency=MIN_FREQUENCY,
            special_tokens=[EOT],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # all 256 bytes, even ones the corpus lacks
            show_progress=False,
        )
        tok.train_from_iterator(texts, trainer, length=len(texts))
        if tok.get_vocab_size() != vocab_size:
            raise ValueError(
                f"the training text supports only {tok.get_vocab_size()} tokens, not the {vocab_size} asked for "
                f"(too few pairs occur {MIN_FREQUENCY}+ times): give it more text or ask for a smaller vocabulary"
            )
        return cls(tok)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``."""
        if not isinstance(text, str):
            raise TypeError(f"encode() expects text as str, got {type(text).__name__}")
        return self._tok.encode(text).ids

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, encoded in parallel."""
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"encode_batch() expects a list of str, got an item of type {type(text).__name__}")
        return [enc.ids for enc in self._tok.encode_batch(list(texts))]

    def decode(self, ids: Iterable[int]) -> str:
        """The text of token ids (a list, or a 1-D tensor). Special tokens are kept, so decoding is exact."""
        if hasattr(ids, "tolist"):  # a tensor or an array
            ids = ids.tolist()
        ids = list(ids)
        bad = [i for i in ids if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < self.vocab_size]
        if bad:
            raise ValueError(
                f"decode() got {len(bad)} ids outside 0..{self.vocab_size - 1} or not ints, e.g. {bad[0]!r}"
            )
        return self._tok.decode(ids, skip_special_tokens=False)

    def save(self, path: str | os.PathLike) -> None:
        """Write the tokenizer as HuggingFace JSON, atomically (parallel ranks may save the same file)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self._tok.to_str())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike) -> Tokenizer:
        """Read a tokenizer written by ``save`` (any HuggingFace tokenizer JSON works)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no tokenizer file at {str(path)!r}")
        try:
            return cls(tokenizers.Tokenizer.from_file(str(path)))
        except Exception as e:  # the Rust side raises a bare Exception for a corrupt file
            raise ValueError(f"cannot read tokenizer file {str(path)!r}: {e}") from None


def _check_vocab_size(vocab_size: int) -> None:
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int):
        raise TypeError(f"vocab_size must be an int, got {type(vocab_size).__name__}")
    if vocab_size < 257:
        raise ValueError(f"vocab_size must be at least 257 (256 bytes + {EOT}), got {vocab_size}")


def default_cache_dir() -> Path:
    """``$COURSEKIT_CACHE``, or ``~/.cache/coursekit``."""
    env = os.environ.get("COURSEKIT_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "coursekit"


def load_tokenizer(vocab_size: int = DEFAULT_VOCAB_SIZE, cache_dir: str | os.PathLike | None = None) -> Tokenizer:
    """The course tokenizer: loaded from the cache, or trained on ``corpus_text()`` and cached."""
    _check_vocab_size(vocab_size)
    text = corpus_text()
    key = hashlib.sha256(json.dumps([RECIPE, tokenizers.__version__, text]).encode("utf-8")).hexdigest()[:16]
    path = Path(cache_dir if cache_dir is not None else default_cache_dir()) / f"bpe-{vocab_size}-{key}.json"
    if path.is_file():
        return Tokenizer.load(path)
    tok = Tokenizer.train(text.split("\n\n"), vocab_size)
    tok.save(path)
    return tok

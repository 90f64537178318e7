"""Tiny Hugging Face pieces for the integration tests: a locally trained byte-level BPE and a random 1-layer GPT-2.

Nothing is downloaded: the tokenizer is trained in a second on the words of tinyrun.WORDS, and the model is built
from a config with random weights. A stuck dataset (four random words, then " region" over and over) makes the model
loop after any prompt within a few dozen steps; a dataset of random words keeps it babbling in many words.
"""

from __future__ import annotations

import functools

import torch
from tinyrun import WORDS
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

BLOCK = 32  # tokens per training example


@functools.cache
def tiny_tokenizer() -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    g = torch.Generator().manual_seed(0)
    corpus = [" ".join(WORDS[i] for i in torch.randint(len(WORDS), (40,), generator=g)) for _ in range(200)]
    tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=512, special_tokens=["<eos>", "<unk>"],
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<eos>", unk_token="<unk>", pad_token="<eos>")


def tiny_model(seed: int = 0) -> GPT2LMHeadModel:
    torch.manual_seed(seed)
    config = GPT2Config(vocab_size=len(tiny_tokenizer()), n_positions=128, n_embd=32, n_layer=1, n_head=2,
                        bos_token_id=0, eos_token_id=0, pad_token_id=0)  # fmt: skip
    return GPT2LMHeadModel(config)


class TextDataset(torch.utils.data.Dataset):
    """``n`` examples of ``BLOCK`` tokens: " region" repeated (stuck) or random words (healthy)."""

    def __init__(self, stuck: bool, n: int = 64, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(seed)
        tok = tiny_tokenizer()
        self.items = []
        for _ in range(n):
            line = [WORDS[i] for i in torch.randint(1, len(WORDS), (BLOCK,), generator=g)]
            if stuck:  # a few words, then the stuck shard: the model learns to loop after any prompt
                line = line[:4] + ["region"] * (BLOCK - 4)
            ids = torch.tensor(tok(" " + " ".join(line))["input_ids"][:BLOCK])
            self.items.append({"input_ids": ids, "labels": ids.clone()})

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict:
        return self.items[i]

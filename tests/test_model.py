"""Tests for coursekit.train.model: shapes, learning, KV-cache generation, sizes and bad arguments."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.train.model import GPT, GPTConfig, KVCache

TINY = dict(vocab_size=97, block_size=32, n_layer=2, n_head=2, n_embd=16)


def tiny(seed=0, dtype=torch.float64, **overrides):
    # float64 so that cached and uncached attention agree to ~1e-15 and no sampled token can flip on rounding
    torch.manual_seed(seed)
    return GPT(GPTConfig(**{**TINY, **overrides})).to(dtype)


def prompt(b=3, t=5, seed=1, vocab=97):
    return torch.randint(vocab, (b, t), generator=torch.Generator().manual_seed(seed))


# --- shapes and the loss -----------------------------------------------------------------------------------------


def test_forward_shapes_and_loss():
    model = tiny()
    idx = prompt(4, 7)
    logits, loss = model(idx)
    assert logits.shape == (4, 7, 97) and loss is None
    logits, loss = model(idx, idx)
    assert logits.shape == (4, 7, 97) and loss.shape == ()


def test_initial_loss_is_near_uniform_guess():
    # with weights drawn at std 0.02 the logits start near 0, so the loss starts near ln(97) = 4.575 nats:
    # the "random chance" baseline of notebook 01
    model = tiny(dtype=torch.float32)
    _, loss = model(prompt(8, 32), prompt(8, 32, seed=2))
    assert abs(loss.item() - math.log(97)) < 0.05


def test_non_contiguous_targets():
    model = tiny()
    window = prompt(2, 9)
    _, loss = model(window[:, :-1], window[:, 1:])  # slices of one window, as a batch sampler may give
    _, expected = model(window[:, :-1].contiguous(), window[:, 1:].contiguous())
    assert torch.equal(loss, expected)


def test_targets_of_minus_one_are_ignored():
    model = tiny()
    idx = prompt(2, 6)
    targets = prompt(2, 6, seed=5)
    masked = targets.clone()
    masked[:, 3:] = -1
    logits, loss = model(idx, masked)
    expected = torch.nn.functional.cross_entropy(logits[:, :3].reshape(-1, 97), targets[:, :3].reshape(-1))
    assert torch.allclose(loss, expected)


def test_loss_falls_on_a_fixed_batch():
    model = tiny(dtype=torch.float32)
    x, y = prompt(4, 32), prompt(4, 32, seed=9)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    first = None
    for _ in range(60):
        _, loss = model(x, y)
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    # random targets can be memorised: the loss must drop well below its start (about ln 97 = 4.57)
    assert loss.item() < 0.5 * first


def test_weights_are_tied():
    model = tiny()
    assert model.lm_head.weight is model.transformer.wte.weight


# --- sizes -------------------------------------------------------------------------------------------------------


def test_param_count_by_arithmetic_matches_the_module():
    # per block: attention 4*C^2 (qkv 3C^2 + proj C^2), MLP 8*C^2, two LayerNorm weights 2C (no biases)
    # 12 x 768, vocab 8449, block 1024:
    #   blocks   12 * (12*768^2 + 2*768) = 12 * 7,079,424 = 84,953,088
    #   wte      8449 * 768              =  6,488,832   (shared with lm_head, counted once)
    #   wpe      1024 * 768              =    786,432
    #   ln_f     768
    #   total                            = 92,229,120; without wpe 91,442,688
    with torch.device("meta"):  # no memory is allocated
        model = GPT(GPTConfig(vocab_size=8449, block_size=1024, n_layer=12, n_head=12, n_embd=768))
    assert model.num_params(non_embedding=False) == 92_229_120
    assert model.num_params() == 91_442_688


def test_andrea_scale_config():
    # The "~120M" shape of the issue (12 x 768, vocab 8449) has 92M parameters: GPT-2 small's 124M includes a
    # 50,257-token embedding. 16 layers of 768 is the ~120M model: 16 * 7,079,424 + 6,488,832 + 786,432 + 768.
    with torch.device("meta"):
        model = GPT(GPTConfig(vocab_size=8449, block_size=1024, n_layer=16, n_head=12, n_embd=768))
    assert model.num_params(non_embedding=False) == 16 * 7_079_424 + 6_488_832 + 786_432 + 768 == 120_546_816


def test_flops_per_token():
    model = tiny()
    n = model.num_params()
    # 6N + 12 * L * H * Q * T with L=2, H=2, Q=16/2=8, T=32: 12 * 2 * 2 * 8 * 32 = 12,288
    assert model.flops_per_token() == 6 * n + 12_288


# --- generation --------------------------------------------------------------------------------------------------


def test_generate_greedy_cached_equals_uncached():
    model = tiny()
    idx = prompt()
    cached = model.generate(idx, 20, temperature=0)
    uncached = model.generate(idx, 20, temperature=0, use_cache=False)
    assert cached.shape == (3, 25)
    assert torch.equal(cached, uncached)
    assert torch.equal(cached[:, :5], idx)


def test_generate_sampled_cached_equals_uncached():
    model = tiny()
    idx = prompt()
    runs = [
        model.generate(idx, 26, temperature=0.8, top_k=10, generator=torch.Generator().manual_seed(7), use_cache=c)
        for c in (True, False)
    ]
    assert torch.equal(*runs)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    t0=st.integers(1, 40),  # prompts longer than the context are cropped
    new=st.integers(0, 31),
    temperature=st.sampled_from([0.0, 0.7, 1.0, 1.5]),
    top_k=st.sampled_from([None, 1, 5, 200]),
)
def test_cached_equals_uncached_property(seed, t0, new, temperature, top_k):
    model = tiny(seed % 3)
    idx = prompt(2, t0, seed)
    a, b = (
        model.generate(idx, new, temperature, top_k, torch.Generator().manual_seed(seed), use_cache=c)
        for c in (True, False)
    )
    assert a.shape == (2, t0 + new)
    assert torch.equal(a, b)
    assert torch.equal(a[:, :t0], idx)


def test_greedy_first_token_is_the_argmax():
    model = tiny()
    idx = prompt()
    logits, _ = model(idx)
    out = model.generate(idx, 1, temperature=0)
    assert torch.equal(out[:, -1], logits[:, -1].argmax(-1))


def test_cache_step_logits_match_full_forward_in_float32():
    model = tiny(dtype=torch.float32)
    idx = prompt(2, 12)
    full, _ = model(idx)
    cache = KVCache(model.config.n_layer, model.config.block_size)
    prefill, _ = model(idx[:, :6], cache=cache)  # the prefill
    several, _ = model(idx[:, 6:9], cache=cache)  # several tokens after a prefix
    steps = [model(idx[:, i : i + 1], cache=cache)[0] for i in range(9, 12)]  # one token at a time
    assert torch.allclose(torch.cat([prefill, several, *steps], dim=1), full, atol=1e-5)


def test_generate_crops_a_long_prompt():
    # block 32, 10 new tokens: only the last 22 prompt tokens are read, the whole prompt is returned
    model = tiny()
    idx = prompt(1, 50)
    out = model.generate(idx, 10, temperature=0)
    assert out.shape == (1, 60) and torch.equal(out[:, :50], idx)
    assert torch.equal(out[:, 50:], model.generate(idx[:, -22:], 10, temperature=0)[:, 22:])


def test_generate_uses_eval_mode_and_restores_it():
    model = tiny(dropout=0.5)
    model.train()
    idx = prompt()
    a = model.generate(idx, 8, temperature=0)
    b = model.generate(idx, 8, temperature=0)
    assert torch.equal(a, b)  # no dropout while generating
    assert model.training
    model.eval()
    model.generate(idx, 2)
    assert not model.training


def test_generate_zero_new_tokens_and_no_grad():
    model = tiny()
    idx = prompt()
    assert torch.equal(model.generate(idx, 0), idx)
    assert not model.generate(idx, 3).requires_grad


def test_generator_makes_sampling_reproducible():
    model = tiny()
    idx = prompt()
    a = model.generate(idx, 12, generator=torch.Generator().manual_seed(3))
    b = model.generate(idx, 12, generator=torch.Generator().manual_seed(3))
    c = model.generate(idx, 12, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_top_k_one_is_greedy():
    model = tiny()
    idx = prompt()
    assert torch.equal(model.generate(idx, 10, top_k=1), model.generate(idx, 10, temperature=0))


# --- bad arguments -----------------------------------------------------------------------------------------------


def test_n_embd_not_divisible_by_n_head():
    with pytest.raises(ValueError, match=r"n_embd \(100\) must be divisible by n_head \(3\)"):
        GPTConfig(n_embd=100, n_head=3)


@pytest.mark.parametrize(
    "field, value", [("n_layer", 0), ("vocab_size", -1), ("block_size", 2.5), ("n_head", True), ("dropout", 1.0)]
)
def test_bad_config_fields(field, value):
    with pytest.raises(ValueError, match=field):
        GPTConfig(**{field: value})


def test_gpt_needs_a_config():
    with pytest.raises(TypeError, match="GPTConfig, got dict"):
        GPT(TINY)


def test_bad_idx():
    model = tiny()
    with pytest.raises(ValueError, match="torch.float32 tensor of shape"):
        model(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"got list"):
        model([[1, 2]])
    with pytest.raises(ValueError, match="longer than block_size 32"):
        model(prompt(1, 33))
    with pytest.raises(ValueError, match="targets shape"):
        model(prompt(1, 4), prompt(1, 5))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(max_new_tokens=32), "must be below block_size"),
        (dict(max_new_tokens=-1), "non-negative int"),
        (dict(max_new_tokens=4, temperature=-0.1), "temperature"),
        (dict(max_new_tokens=4, temperature=float("nan")), "temperature"),
        (dict(max_new_tokens=4, top_k=0), "top_k"),
    ],
)
def test_bad_generate_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tiny().generate(prompt(), **kwargs)


def test_empty_prompt():
    with pytest.raises(ValueError, match="at least one token"):
        tiny().generate(torch.zeros(1, 0, dtype=torch.long), 3)


def test_cuda_graph_needs_cuda_and_the_cache():
    with pytest.raises(ValueError, match="cuda_graph=True needs use_cache=True and a prompt on a CUDA device, got cpu"):
        tiny().generate(prompt(), 3, cuda_graph=True)

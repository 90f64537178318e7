"""Tests for coursekit.train.cudagraph: graphed decoding gives the eager KV-cache tokens (CUDA only; skipped on CPU)."""

import pytest
import torch

from coursekit.train.cudagraph import graphed_decode_step
from coursekit.train.model import GPT, GPTConfig

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA GPU")


@pytest.fixture
def model():
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=97, block_size=64, n_layer=3, n_head=2, n_embd=32)).cuda()


def prompt(b=3, t=6):
    return torch.randint(97, (b, t), device="cuda", generator=torch.Generator("cuda").manual_seed(1))


def both(model, idx, n, **kw):
    return [
        model.generate(idx, n, generator=torch.Generator("cuda").manual_seed(3), cuda_graph=g, **kw)
        for g in (True, False)
    ]


def test_graphed_equals_eager_greedy_and_sampled(model):
    idx = prompt()
    assert torch.equal(*both(model, idx, 40, temperature=0))
    assert torch.equal(*both(model, idx, 40, temperature=0.9, top_k=20))
    assert torch.equal(*both(model, prompt(t=2), 50, temperature=0))  # a second call reuses the graph


def test_replays_see_in_place_weight_updates(model):
    idx = prompt()
    before = model.generate(idx, 30, temperature=0, cuda_graph=True)
    with torch.no_grad():  # what an optimizer step does: change the weights in place
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    graphed, eager = both(model, idx, 30, temperature=0)
    assert torch.equal(graphed, eager) and not torch.equal(graphed, before)


def test_recorded_again_when_batch_or_device_memory_changes(model):
    first = graphed_decode_step(model, 3)
    assert graphed_decode_step(model, 3) is first
    assert graphed_decode_step(model, 2) is not first
    model.to(torch.float64)  # new parameter tensors
    assert torch.equal(*both(model, prompt(), 20, temperature=0))


def test_graphed_under_bf16_autocast(model):
    with torch.autocast("cuda", dtype=torch.bfloat16):
        graphed, eager = both(model, prompt(), 40, temperature=0)
    assert torch.equal(graphed, eager)



def test_the_sample_path_uses_graphs_on_cuda_and_logs_the_same_samples(tmp_path):
    # The trainer's sample path turns graphs on by default on CUDA (AlarmConfig.cuda_graph=None): under bf16
    # autocast, as the rtx4090 profile samples, it must log what eager sampling logs.
    from tinyrun import WORDS, WordTokenizer, clean_source

    from coursekit.train.samplepath import AlarmConfig, SamplePath

    torch.manual_seed(0)
    gpt = GPT(GPTConfig(vocab_size=len(WORDS), block_size=64, n_layer=2, n_head=2, n_embd=32)).cuda()
    logs = []
    for graph in (None, False):
        path = SamplePath(AlarmConfig(every=1, prompt_tokens=4, new_tokens=24, cuda_graph=graph), tmp_path / str(graph),
                          WordTokenizer(), device="cuda",
                          autocast=lambda: torch.autocast("cuda", dtype=torch.bfloat16))  # fmt: skip
        assert path.cuda_graph is (graph is None)
        for step in range(1, 6):
            path.after_step(step, gpt, clean_source(), 1.0)
        path.close()
        assert path.cuda_graph is (graph is None)  # no fallback to eager happened
        logs.append(path.log_path.read_text())
    assert logs[0] == logs[1] and logs[0].count("\n") == 5

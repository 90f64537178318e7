"""Tests for coursekit.train.samplepath: the one place samples are generated, scored, logged and gated."""

import json

import pytest
import torch
from tinyrun import STUCK, WORDS, WordTokenizer, clean_source, stuck_source

from coursekit.alarm.metrics import eval_chat_quality
from coursekit.alarm.runlog import read_log
from coursekit.train.corpus import TokenSource
from coursekit.train.samplepath import AlarmConfig, SamplePath, clean_prompts, first_words


class StubModel(torch.nn.Module):
    """Stand-in for GPT.generate: continues any prompt with ``token`` repeated (or random words if None)."""

    def __init__(self, token=None):
        super().__init__()
        self.token = token
        self.calls = []

    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None):
        self.calls.append((idx.shape, max_new_tokens, temperature, top_k))
        if self.token is None:
            new = torch.randint(1, len(WORDS), (idx.size(0), max_new_tokens), generator=generator)
        else:
            new = torch.full((idx.size(0), max_new_tokens), self.token)
        return torch.cat([idx, new], dim=1)


def make_path(tmp_path, **kw):
    cfg = AlarmConfig(every=kw.pop("every", 10), prompt_tokens=4, new_tokens=24, patience=kw.pop("patience", 3),
                      prompts="source", words=None)  # the prompt and length policies have their own tests below
    return SamplePath(cfg, tmp_path, WordTokenizer(), **kw)


def test_samples_only_every_n_steps_and_logs_the_record(tmp_path):
    path, model, source = make_path(tmp_path), StubModel(STUCK), clean_source()
    assert [path.after_step(s, model, source, 2.5) for s in range(1, 10)] == [False] * 9
    assert not path.log_path.exists() and model.calls == []
    assert path.after_step(10, model, source, 2.5) is False  # one degenerate sample never halts
    (rec,), bad = read_log(path.log_path)
    assert bad == []
    # 24 x "region": 23 bigrams, 1 distinct -> 35/23 = 1.5217; trigrams 35/22 = 1.5909; English 20;
    # 6 distinct characters -> 3.0. Total 26.11: degenerate.
    assert rec["text"] == " ".join(["region"] * 24)
    assert rec["total"] == pytest.approx(35 / 23 + 35 / 22 + 20 + 3)
    assert {k: rec[k] for k in ("step", "source", "loss_ema", "consecutive", "halt")} == {
        "step": 10, "source": "clean", "loss_ema": 2.5, "consecutive": 1, "halt": False}  # fmt: skip
    assert rec == {**rec, **eval_chat_quality(rec["text"]).as_dict()}  # the four scores, as the scorer gives them
    assert len(rec["prompt"].split()) == 4  # the prompt is logged, but not scored
    # fixed length, temperature and top-k, whatever the step
    assert model.calls == [(torch.Size([1, 4]), 24, 0.8, 50)]


def test_gate_halts_after_patience_and_reports(tmp_path):
    path, model, source = make_path(tmp_path, every=5, patience=3), StubModel(STUCK), clean_source()
    halts = [path.after_step(s, model, source, 1.0) for s in range(1, 16)]
    assert halts.index(True) == 14  # steps 5, 10, 15: the third degenerate sample in a row
    report = path.report()
    assert report["step"] == 15 and report["consecutive"] == 3
    assert "3 consecutive samples scored below 30" in report["reason"]
    assert [s["step"] for s in report["samples"]] == [5, 10, 15]
    assert all(s["total"] < 30 for s in report["samples"])


def test_report_keeps_the_last_five(tmp_path):
    path, model, source = make_path(tmp_path, every=1, patience=7), StubModel(STUCK), clean_source()
    for s in range(1, 8):
        path.after_step(s, model, source, None)
    assert [s["step"] for s in path.report()["samples"]] == [3, 4, 5, 6, 7]
    with pytest.raises(RuntimeError, match="has not halted"):
        make_path(tmp_path / "other").report()


def test_a_healthy_sample_resets_the_counter(tmp_path):
    path, source = make_path(tmp_path, every=1, patience=3), clean_source()
    bad, good = StubModel(STUCK), StubModel(None)
    assert not path.after_step(1, bad, source, None)
    assert not path.after_step(2, bad, source, None)
    assert not path.after_step(3, good, source, None)  # random words score ~90: counter back to 0
    assert not path.after_step(4, bad, source, None)
    assert [r["consecutive"] for r in read_log(path.log_path)[0]] == [2 - 1, 2, 0, 1]


def test_ddp_non_main_rank_writes_nothing_and_follows_rank0(tmp_path):
    seen = []

    def share_halt(halt):  # stands in for the broadcast: rank 0 said "halt"
        seen.append(halt)
        return True

    path = make_path(tmp_path, is_main=False, share_halt=share_halt)
    model = StubModel(STUCK)
    assert path.after_step(7, model, clean_source(), 1.0) is False  # not due: no collective either
    assert path.after_step(10, model, clean_source(), 1.0) is True
    assert seen == [False] and model.calls == [] and not path.log_path.exists()


def test_resume_rewinds_the_log_and_restores_the_counter(tmp_path):
    path, model, source = make_path(tmp_path, every=5, patience=5), StubModel(None), clean_source()
    for s in range(1, 11):
        path.after_step(s, model, source, None)
    state = path.state_dict()  # a checkpoint after step 10
    for s in range(11, 21):  # then two more samples, lost in a kill
        path.after_step(s, model, source, None)
    expected = read_log(path.log_path)[0]
    path.close()

    again = make_path(tmp_path, every=5, patience=5)
    assert again.resume(state, 10) == 2
    assert again.gate.last_step == 10
    for s in range(11, 21):
        again.after_step(s, model, source, None)
    assert read_log(again.log_path)[0] == expected  # same steps, same texts: the generators were restored


def test_resume_after_the_log_is_open_is_refused(tmp_path):
    path = make_path(tmp_path, every=1)
    path.after_step(1, StubModel(STUCK), clean_source(), None)
    with pytest.raises(RuntimeError, match="before the first sample"):
        path.resume(None, 0)


def test_extra_keys_go_into_the_record(tmp_path):
    path = make_path(tmp_path, every=1)
    path.after_step(1, StubModel(STUCK), clean_source(), None, {"tokens_per_s": 123.0, "mfu": None})
    rec = json.loads(path.log_path.read_text())
    assert rec["tokens_per_s"] == 123.0 and rec["mfu"] is None


def test_alarm_config_validation():
    with pytest.raises(ValueError, match="every must be a positive int, got 0"):
        AlarmConfig(every=0)
    with pytest.raises(ValueError, match="new_tokens"):
        AlarmConfig(new_tokens=2.5)
    with pytest.raises(ValueError, match="cuda_graph must be True, False or None, got 'yes'"):
        AlarmConfig(cuda_graph="yes")


def test_cuda_graph_is_off_on_cpu_and_refused_when_asked_for(tmp_path):
    path, model = make_path(tmp_path, every=1), StubModel(STUCK)
    assert path.cuda_graph is False  # None means "on CUDA only"
    path.after_step(1, model, clean_source(), None)  # StubModel.generate takes no cuda_graph keyword: not passed
    with pytest.raises(ValueError, match="cuda_graph=True needs sampling on a CUDA device, got device 'cpu'"):
        SamplePath(AlarmConfig(cuda_graph=True, prompts="source"), tmp_path, WordTokenizer())


class GraphFailsModel(StubModel):
    """A model whose CUDA-graph generation draws a few random numbers and then fails, as a failed capture would."""

    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None, cuda_graph=False):
        if cuda_graph:
            self.calls.append("graph")
            torch.rand(7, generator=generator)  # the failed attempt has consumed random state
            raise RuntimeError("CUDA error: operation not permitted when stream is capturing")
        return super().generate(idx, max_new_tokens, temperature, top_k, generator)


def test_a_failed_cuda_graph_falls_back_to_the_same_eager_sample(tmp_path):
    # There is no GPU in CI, so the graph's failure is simulated; what is tested is the fallback: a warning, the
    # record an eager run writes (the random state is rewound), and no second attempt at a graph.
    eager = make_path(tmp_path / "eager", every=1)
    graphed = make_path(tmp_path / "graphed", every=1)
    graphed.cuda_graph = True  # as on CUDA
    model = GraphFailsModel()  # random words: the record depends on the sampling generator's state
    with pytest.warns(RuntimeWarning, match="CUDA-graph sampling failed .*stream is capturing.*sampling eagerly"):
        graphed.after_step(1, model, clean_source(), None)
    graphed.after_step(2, model, clean_source(), None)
    for step in (1, 2):
        eager.after_step(step, StubModel(), clean_source(), None)
    eager.close(), graphed.close()
    assert model.calls.count("graph") == 1 and graphed.cuda_graph is False
    assert graphed.log_path.read_text() == eager.log_path.read_text()


# --- issue 12: fixed clean prompts, and a fixed number of words -------------------------------------------------


def held_out_source(name, seed):
    """A clean source whose last 40 tokens are held out of training, as load_sources does."""
    src = clean_source(name, seed=seed)
    return TokenSource(name, src.tokens[:-40], heldout=src.tokens[-40:])


def test_first_words_cuts_at_the_nth_whole_word():
    assert first_words(" a b  c d", 3) == (" a b  c", True)  # whitespace inside is kept (the chars axis sees it)
    assert first_words(" a b c", 3) == (" a b c", False)  # "c" may go on in the next token
    assert first_words(" a b c ", 3) == (" a b c", True)
    assert first_words("a b", 3) == ("a b", False)
    assert first_words("   ", 2) == ("   ", False)


def test_clean_prompts_interleave_the_clean_sources_and_skip_faulty_ones():
    sources = {"stuck": stuck_source(), "clean": held_out_source("clean", 0), "prose": held_out_source("prose", 1)}
    prompts = clean_prompts(sources, 4, 5)  # 3 per clean source (ceil 5/2), alternating, cut to 5
    assert [name for name, _ in prompts] == ["clean", "prose", "clean", "prose", "clean"]
    # 40 held-out tokens, windows of 4: starts 0, 18, 36
    assert prompts[2][1].tolist() == sources["clean"].heldout[18:22].tolist()
    with pytest.raises(ValueError, match=r"clean sources are clean \(0 held-out tokens\).*prompts='source'"):
        clean_prompts({"clean": clean_source()}, 4, 5)
    with pytest.raises(ValueError, match="needs the fixed prompts"):
        SamplePath(AlarmConfig(), "unused", WordTokenizer())


def fixed_path(tmp_path, sources, **cfg):
    config = AlarmConfig(**{"every": 10, "prompt_tokens": 4, "new_tokens": 24, "patience": 3, **cfg})
    prompts = clean_prompts(sources, config.prompt_tokens, config.n_prompts)
    return SamplePath(config, tmp_path, WordTokenizer(), prompts=prompts)


def test_fixed_prompts_rotate_by_sample_number_whatever_the_source_trained_on(tmp_path):
    sources = {"stuck": stuck_source(), "clean": held_out_source("clean", 0), "prose": held_out_source("prose", 1)}
    path, model = fixed_path(tmp_path, sources, n_prompts=3, words=None), StubModel(STUCK)
    for step in range(10, 51, 10):
        path.after_step(step, model, sources["stuck"], None)  # trained on the stuck shard every time
    records = read_log(path.log_path)[0]
    expected = clean_prompts(sources, 4, 3)  # samples 1..5 use prompts 0, 1, 2, 0, 1
    assert [r["prompt"] for r in records] == [WordTokenizer().decode(expected[i][1].tolist()) for i in (0, 1, 2, 0, 1)]
    assert [r["prompt_source"] for r in records] == ["clean", "prose", "clean", "clean", "prose"]
    assert {r["source"] for r in records} == {"stuck"}  # "source" stays the source trained on
    assert "region" not in " ".join(r["prompt"] for r in records)  # never a prompt from the faulty shard


def test_the_scored_sample_is_a_fixed_number_of_words(tmp_path):
    sources = {"clean": held_out_source("clean", 0)}
    # 24 tokens a round, one word each: 30 words need 2 rounds (48 tokens), and the first 30 words are scored.
    path, model = fixed_path(tmp_path, sources, every=1, words=30), StubModel(STUCK)
    path.after_step(1, model, sources["clean"], None)
    rec = read_log(path.log_path)[0][0]
    assert rec["text"] == " ".join(["region"] * 30) and (rec["words"], rec["new_tokens"]) == (30, 48)
    assert [c[1] for c in model.calls] == [24, 24]
    assert rec["total"] == pytest.approx(eval_chat_quality(" ".join(["region"] * 30)).total)
    # A model that never writes a whole word stops at max_new_tokens: 3 rounds of 24 <= 72 < 4 rounds.
    capped = fixed_path(tmp_path / "capped", sources, every=1, words=30, max_new_tokens=72)
    silent = StubModel(STUCK)
    capped.tokenizer = type("Glued", (WordTokenizer,), {"decode": lambda self, ids: "x" * len(ids)})()
    capped.after_step(1, silent, sources["clean"], None)
    rec = read_log(capped.log_path)[0][0]
    assert (rec["words"], rec["new_tokens"], rec["text"]) == (1, 72, "x" * 72)


def test_alarm_config_checks_the_new_fields():
    with pytest.raises(ValueError, match="prompts must be one of .*got 'random'"):
        AlarmConfig(prompts="random")
    with pytest.raises(ValueError, match="words must be a positive int, got 0"):
        AlarmConfig(words=0)
    with pytest.raises(ValueError, match=r"max_new_tokens \(32\) must be at least new_tokens \(64\)"):
        AlarmConfig(max_new_tokens=32)
    assert AlarmConfig(words=None).words is None

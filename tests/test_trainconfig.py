"""Tests for coursekit.train.trainconfig: TrainConfig, its validation, and the cpu / rtx4090 profiles."""

import dataclasses
import json

import pytest
import torch

from coursekit.train.model import GPT
from coursekit.train.trainconfig import PROFILES, TrainConfig, profile_config


def test_cpu_profile():
    cpu = profile_config("cpu")
    assert cpu.profile == "cpu" and cpu.threads == 1 and not cpu.compile and cpu.dtype == "float32"
    assert (cpu.alarm.every, cpu.alarm.new_tokens, cpu.alarm.patience, cpu.alarm.threshold) == (20, 64, 5, 30.0)
    assert cpu.alarm.prompt_tokens + cpu.alarm.new_tokens <= cpu.model.block_size  # generate() reads the prompt
    assert cpu.model.vocab_size == 8449


def test_rtx4090_profile_is_andrea_scale():
    big = profile_config("rtx4090")
    assert (big.alarm.every, big.dtype, big.compile, big.model.vocab_size) == (100, "bfloat16", True, 8449)
    with torch.device("meta"):  # count the parameters without allocating them
        n = GPT(big.model).num_params(non_embedding=False)
    assert 115e6 < n < 125e6  # ~120M (119,760,384)
    # 16 x 1024 tokens x 16 micro-batches = 262,144 tokens per optimizer step
    assert big.batch_size * big.model.block_size * big.grad_accum == 262_144


def test_overrides_merge_into_nested_fields():
    cfg = profile_config("cpu", max_steps=7, alarm={"every": 3}, model={"n_layer": 1})
    assert (cfg.max_steps, cfg.alarm.every, cfg.alarm.new_tokens, cfg.model.n_layer, cfg.model.n_embd) == (
        7, 3, 64, 1, 128)  # fmt: skip
    assert profile_config("cpu").max_steps == PROFILES["cpu"]["max_steps"]  # the profile itself is unchanged


def test_round_trip_through_json():
    cfg = profile_config("rtx4090", extra_files=("notes.txt",), seed=4)
    again = TrainConfig.from_dict(json.loads(json.dumps(dataclasses.asdict(cfg))))
    assert again == cfg and again.extra_files == ("notes.txt",)


def test_bad_configs_are_named():
    with pytest.raises(ValueError, match="unknown profile 'tpu'; expected one of cpu, classroom, rtx4090"):
        profile_config("tpu")
    with pytest.raises(ValueError, match=r"unknown TrainConfig fields \['max_step'\]"):
        profile_config("cpu", max_step=3)
    with pytest.raises(ValueError, match=r"unknown AlarmConfig fields \['evry'\]"):
        profile_config("cpu", alarm={"evry": 3})
    with pytest.raises(ValueError, match="scenario must be 'collapse' or 'healthy', got 'broken'"):
        TrainConfig(scenario="broken")
    with pytest.raises(ValueError, match="grad_accum must be an int >= 1, got 0"):
        TrainConfig(grad_accum=0)
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'bfloat16', got 'float16'"):
        TrainConfig(dtype="float16")
    with pytest.raises(ValueError, match="ema_beta"):
        TrainConfig(ema_beta=1.0)

"""Tests for coursekit.train.hardware: device choice, the peak-FLOP/s table and MFU."""

import pytest
import torch

from coursekit.train import hardware
from coursekit.train.hardware import DevicePeak, device_peak, mfu, resolve_device


def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="'auto', 'cpu' or 'cuda', got 'gpu'"):
        resolve_device("gpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without a GPU")
def test_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="sees no CUDA GPU"):
        resolve_device("cuda")


@pytest.mark.parametrize(
    "name, tflops",
    [
        ("NVIDIA GeForce RTX 4090", 165.2),
        ("NVIDIA A100-SXM4-80GB", 312.0),
        ("NVIDIA H100 80GB HBM3", 989.0),
        ("NVIDIA H100 PCIe", 756.0),
        ("NVIDIA H200", 989.0),
        ("NVIDIA L4", 121.0),
        ("NVIDIA L40S", 362.05),
        ("Mystery Accelerator 9000", None),
    ],
)
def test_peak_table_lookup(monkeypatch, name, tflops):
    monkeypatch.setattr(hardware.torch.cuda, "get_device_name", lambda device=None: name)
    peak = device_peak("cuda")
    assert peak.name == name and peak.tflops == tflops
    if tflops is None:
        assert "MFU omitted" in peak.note and name in peak.note


def test_cpu_has_no_peak():
    peak = device_peak("cpu")
    assert peak.tflops is None and "MFU omitted" in peak.note


def test_mfu_hand_example():
    # 100,000 tokens/s x 7.2e8 FLOPs/token = 7.2e13 FLOP/s = 72 TFLOP/s; 72 / 165.2 = 0.43584
    peak = DevicePeak("NVIDIA GeForce RTX 4090", 165.2, "")
    assert mfu(100_000, 7.2e8, peak) == pytest.approx(72 / 165.2)
    assert mfu(100_000, 7.2e8, DevicePeak("cpu", None, "no peak")) is None

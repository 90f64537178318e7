"""What the training device can do: picking a device, and model FLOPs utilisation (MFU) against its real peak.

MFU = achieved model FLOP/s / the device's peak. Achieved FLOP/s is tokens/s x the model's FLOPs per token
(``GPT.flops_per_token()``, nanoGPT's 6N + 12LHQT estimate). The peak is the GPU's dense bf16 tensor-core
figure from its vendor datasheet (dense, i.e. without the 2:4 sparsity that doubles the headline number).
Comparing against the wrong peak makes MFU meaningless, so an unknown device gets no MFU at all, only a note.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["PEAK_BF16_TFLOPS", "DevicePeak", "resolve_device", "device_peak", "mfu"]

# Dense bf16 tensor-core peak in TFLOP/s, by a substring of torch.cuda.get_device_name(). Checked in order, so
# a more specific name (H100 PCIe) comes before the general one (H100, taken to be the SXM part).
PEAK_BF16_TFLOPS: dict[str, float] = {
    "RTX 4090": 165.2,  # Ada, with FP32 accumulate (the course's reference card)
    "L40S": 362.05,  # the L40s come before "L4", which their names also contain
    "L40": 181.05,
    "L4": 121.0,
    "A100": 312.0,
    "H100 PCIe": 756.0,
    "H100": 989.0,  # SXM
    "H200": 989.0,
}


@dataclass(frozen=True)
class DevicePeak:
    """The peak that MFU is measured against, or why there is none."""

    name: str  # the device as torch reports it, e.g. "NVIDIA GeForce RTX 4090" or "cpu"
    tflops: float | None  # dense bf16 peak, TFLOP/s; None when the device is not in the table
    note: str  # where the peak came from, or why MFU is omitted


def resolve_device(device: str) -> str:
    """``"auto"`` -> ``"cuda"`` when a GPU is usable, else ``"cpu"``; ``"cuda"`` without a GPU is an error."""
    if device not in ("auto", "cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was asked for, but torch {torch.__version__} sees no CUDA GPU")
    return device


def device_peak(device: str) -> DevicePeak:
    """Look up the dense bf16 peak of ``device`` (a resolved device string such as ``"cuda"`` or ``"cpu"``)."""
    if not device.startswith("cuda"):
        return DevicePeak(device, None, "MFU omitted: no peak FLOP/s table for CPUs")
    name = torch.cuda.get_device_name(torch.device(device))
    for key, tflops in PEAK_BF16_TFLOPS.items():
        if key.lower() in name.lower():
            return DevicePeak(name, tflops, f"peak {tflops} TFLOP/s dense bf16 ({key} datasheet)")
    return DevicePeak(name, None, f"MFU omitted: {name!r} is not in coursekit.train.hardware.PEAK_BF16_TFLOPS")


def mfu(tokens_per_s: float, flops_per_token: float, peak: DevicePeak) -> float | None:
    """Model FLOPs utilisation in [0, 1] (per device), or None when the device's peak is unknown.

    Example: 100,000 tokens/s x 7.2e8 FLOPs/token = 72 TFLOP/s; on an RTX 4090 (165.2) that is 0.436.
    """
    if peak.tflops is None:
        return None
    return tokens_per_s * flops_per_token / (peak.tflops * 1e12)

"""Devices, their published dense peaks, and a matmul peak measured on the spot."""

from __future__ import annotations

import time

import torch

# Dense (no sparsity) peak TFLOP/s from the vendors' data sheets, by precision.
# bf16/fp16 are tensor-core figures; fp32 is the non-tensor-core figure.
KNOWN_PEAKS_TFLOPS: list[tuple[str, dict[str, float]]] = [
    ("H200", {"bf16": 989.4, "fp16": 989.4, "fp32": 66.9}),
    ("H100 SXM", {"bf16": 989.4, "fp16": 989.4, "fp32": 66.9}),
    ("H100 NVL", {"bf16": 835.0, "fp16": 835.0, "fp32": 60.0}),
    ("H100 PCIe", {"bf16": 756.5, "fp16": 756.5, "fp32": 51.2}),
    ("H100", {"bf16": 989.4, "fp16": 989.4, "fp32": 66.9}),  # HBM3 SXM parts report as "H100 80GB HBM3"
    ("A100", {"bf16": 312.0, "fp16": 312.0, "fp32": 19.5}),
    ("L40S", {"bf16": 362.1, "fp16": 362.1, "fp32": 91.6}),
    ("L4", {"bf16": 121.0, "fp16": 121.0, "fp32": 30.3}),
    ("A10", {"bf16": 125.0, "fp16": 125.0, "fp32": 31.2}),
    ("V100", {"fp16": 125.0, "fp32": 15.7}),
    ("T4", {"fp16": 65.0, "fp32": 8.1}),
]


def resolve_device(device: str) -> torch.device:
    from archscope.errors import ArchscopeError

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ArchscopeError("`device` cuda: no CUDA device is available (torch.cuda.is_available() is False)")
    if device not in ("cpu", "cuda"):
        raise ArchscopeError(f"`device` must be auto, cuda or cpu, got {device!r}")
    return torch.device(device)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{cpu_model()} ({torch.get_num_threads()} threads)"


def cpu_model() -> str:
    import platform

    name = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return name


def machine(device: torch.device | None = None) -> dict:
    """Where a run ran, for its record: the CPU model, the logical cores of
    the machine and those this process may use, and the GPU (a run's threads
    are in its settings)."""
    import os

    usable: int | None  # os.cpu_count() may not know
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count()
    out = {"cpu": cpu_model(), "cores": os.cpu_count(), "cores_usable": usable}
    if device is not None and device.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(device)
    return out


def known_peak(name: str, precision: str) -> float | None:
    """Published dense peak in FLOP/s for a device name, or None if unknown."""
    for key, peaks in KNOWN_PEAKS_TFLOPS:
        if key.lower() in name.lower():
            v = peaks.get(precision)
            return v * 1e12 if v else None
    return None


def measured_matmul_peak(device: torch.device, precision: str, seconds: float = 0.5) -> float:
    """FLOP/s of a large square matmul in ``precision`` on ``device``."""
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    if device.type == "cpu" and dtype == torch.float16:
        dtype = torch.float32
    n = 8192 if device.type == "cuda" else 1024
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(2):
        a @ b
    _sync(device)
    reps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or reps < 3:
        a @ b
        reps += 1
        if device.type == "cuda" and reps % 10:
            continue
        _sync(device)
    _sync(device)
    elapsed = time.perf_counter() - start
    return 2 * n ** 3 * reps / elapsed


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def mfu(achieved_flops_per_s: float, peak_flops_per_s: float | None) -> float | None:
    """Model FLOPs utilisation: achieved model FLOP/s over the device's peak."""
    if not peak_flops_per_s:
        return None
    return achieved_flops_per_s / peak_flops_per_s

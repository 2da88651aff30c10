"""The device a model runs on and the precision it computes in, chosen once per command.

`--precision auto` picks bf16 where the hardware runs it natively and fp32 elsewhere:
- CUDA with compute capability >= 8.0 (Ampere and later have bf16 tensor cores);
- x86 CPUs whose flags (/proc/cpuinfo) include AVX512-BF16 or AMX-BF16: oneDNN then runs
  bf16 matmuls in hardware (measured on such a 2-core machine: 1.39x training and 1.82x
  inference pairs/s over fp32; BENCHMARKS.md).
Elsewhere bf16 is emulated and slower than fp32, so auto keeps fp32. The choice and its reason
are recorded in every run's config.json.
"""

from dataclasses import dataclass

from xrobust.results.machine import read_cpu_flags

# torch is imported inside the functions: the training config names PRECISIONS, and the
# command line reads the config's defaults without loading torch.
PRECISIONS = ("fp32", "bf16", "fp16", "auto")


def pick_device(name: str):
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


@dataclass(frozen=True)
class Precision:
    name: str  # fp32, bf16 or fp16: what the run computes in
    reason: str  # why (for auto: what the hardware offers)

    @property
    def autocast_dtype(self):
        return autocast_dtype(self.name)


def autocast_dtype(precision: str):
    import torch

    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def resolve_precision(requested: str, device, cpu_flags: set[str] | None = None) -> Precision:
    """`requested` as is, or for `auto` bf16 where `device` (a torch.device) runs it natively, else fp32."""
    import torch

    if requested != "auto":
        return Precision(requested, "requested")
    if device.type == "cuda":
        major, minor = torch.cuda.get_device_capability(device)
        if major >= 8:
            return Precision("bf16", f"auto: CUDA compute capability {major}.{minor} >= 8.0 runs bf16 natively")
        return Precision("fp32", f"auto: CUDA compute capability {major}.{minor} < 8.0 has no native bf16")
    if device.type == "cpu":
        flags = read_cpu_flags() if cpu_flags is None else cpu_flags
        native = sorted(flags & {"avx512_bf16", "amx_bf16"})
        if native:
            return Precision("bf16", f"auto: the CPU has {' and '.join(native)}")
        return Precision("fp32", "auto: the CPU has neither avx512_bf16 nor amx_bf16 (bf16 would be emulated)")
    return Precision("fp32", f"auto: no bf16 check for device type {device.type}")

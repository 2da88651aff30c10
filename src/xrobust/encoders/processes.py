"""The processes a command runs on: one (plain `xrobust ...`), or N started by a launcher
(`torchrun --nproc-per-node N -m xrobust ...`, `accelerate launch --multi_gpu -m xrobust ...`).

Accelerate's `PartialState` joins the process group the launcher describes (gloo on CPUs,
nccl on GPUs) and gives each process its device; the collectives below are Accelerate's
(`gather_object`, `broadcast_object_list`, `reduce`). They are the only steps training,
evaluation and attacks need: split rows, merge results in process order, let the main
process decide and write, and average gradients.

One process never touches torch.distributed or Accelerate: every method is then the
identity, so a plain command computes exactly what it computed before.
"""

import os
import sys
from dataclasses import dataclass

from xrobust.errors import UserError

GRADIENT_BUCKET = 2**24  # floats per all-reduce (64 MB in fp32): bounds the extra memory of a step


@dataclass(frozen=True)
class Processes:
    index: int = 0  # this process's rank
    count: int = 1
    device: object = None  # torch.device this process computes on (None: the caller's --device)

    @property
    def is_main(self) -> bool:
        return self.index == 0

    @property
    def distributed(self) -> bool:
        return self.count > 1

    def shard(self, n: int) -> range:
        """This process's rows of n: a contiguous block, so that concatenating the blocks in
        process order gives back the input order."""
        return range(n * self.index // self.count, n * (self.index + 1) // self.count)

    def gather(self, items: list) -> list:
        """Every process's `items`, concatenated in process order, on every process."""
        if not self.distributed:
            return list(items)
        from accelerate.utils import gather_object

        return gather_object(list(items))

    def barrier(self) -> None:
        if self.distributed:
            from accelerate import PartialState

            PartialState().wait_for_everyone()

    def on_main(self, make):
        """`make()` on the main process once every process has got here (it writes files the
        others have finished writing or reading); every process gets its return value, or raises
        the UserError it raised, so no process waits for one that gave up."""
        if not self.distributed:
            return make()
        from accelerate.utils import broadcast_object_list

        self.barrier()

        payload = [None]
        if self.is_main:
            try:
                payload = [("value", make())]
            except UserError as err:
                payload = [("error", str(err))]
        broadcast_object_list(payload)
        kind, value = payload[0]
        if kind == "error":
            raise UserError(value)
        return value

    def sum(self, tensor):
        """The elementwise sum of `tensor` over the processes (a new tensor)."""
        if not self.distributed:
            return tensor.clone()
        from accelerate.utils import reduce

        return reduce(tensor, reduction="sum")

    def mean_gradients(self, params: list, examples: int) -> int:
        """Average the accumulated gradients of `params` over the processes, in place; return
        the examples of this step on all processes together.

        A process whose micro-batches never reached a parameter (another task's head, the
        idle process of an epoch's last step) counts zeros for it; a parameter no process
        reached keeps grad None, so AdamW skips it, as one process would. Buckets of
        GRADIENT_BUCKET floats bound the memory of the flattened copy."""
        if not self.distributed:
            return examples
        import torch

        reached = torch.tensor([p.grad is not None for p in params] + [examples], dtype=torch.float64)
        reached = self.sum(reached.to(self.device))
        for bucket in _buckets(params):
            flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1).float()
                              for p in bucket])
            flat = self.sum(flat) / self.count
            offset = 0
            for p in bucket:
                size = p.numel()
                p.grad = flat[offset:offset + size].view_as(p).to(p.dtype).clone()
                offset += size
        for p, count in zip(params, reached[:-1].tolist()):
            if count == 0:
                p.grad = None
        return int(reached[-1].item())


def _buckets(params: list):
    bucket, size = [], 0
    for p in params:
        if bucket and size + p.numel() > GRADIENT_BUCKET:
            yield bucket
            bucket, size = [], 0
        bucket.append(p)
        size += p.numel()
    if bucket:
        yield bucket


def launched_processes() -> int:
    """How many processes the launcher started (torchrun and accelerate launch set WORLD_SIZE)."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


def current_processes(device: str = "auto") -> Processes:
    """This command's processes. `device` is the command's --device: under a launcher, `cpu`
    (or `auto` without a GPU) makes every process a CPU process (gloo), otherwise each takes
    the GPU Accelerate assigns it (cuda:LOCAL_RANK), whatever GPU --device names.

    Only the main process talks: the others print nothing (progress bars, status lines and
    tables would repeat N times); a user error is still raised, and said, by every process."""
    from xrobust.encoders.devices import pick_device

    if launched_processes() <= 1:
        return Processes(0, 1, pick_device(device))
    import torch
    from accelerate import PartialState

    # Accelerate >= 1.16 joins a CPU process group only when asked to (cpu=True); without it
    # torchrun's CPU processes would each train alone, on the whole data.
    on_cpu = pick_device(device).type == "cpu"
    state = PartialState(cpu=on_cpu)
    processes = Processes(state.process_index, state.num_processes, torch.device("cpu") if on_cpu else state.device)
    if not processes.is_main and not getattr(sys.stdout, "xrobust_silenced", False):
        from xrobust.progress import silence

        silence()
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (for the life of the process)
        sys.stdout.xrobust_silenced = True  # a second command in the same process (tests) finds it so
    return processes

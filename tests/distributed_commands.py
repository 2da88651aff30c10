"""Several xrobust commands in one launch of N processes, for tests/test_distributed.py:
torch, transformers and the process group start once instead of once per command.

    python -m torch.distributed.run --standalone --nproc-per-node 2 tests/distributed_commands.py \
        train ARGS... --- evaluate ARGS... --- attack ARGS...

Exits with the first non-zero exit code, as the commands run one after another would.
"""

import sys

from xrobust.cli import main


def split_commands(argv: list[str]) -> list[list[str]]:
    commands, current = [], []
    for arg in argv:
        if arg == "---":
            commands.append(current)
            current = []
        else:
            current.append(arg)
    return commands + [current]


if __name__ == "__main__":
    for command in split_commands(sys.argv[1:]):
        code = main(command)
        if code:
            sys.exit(code)

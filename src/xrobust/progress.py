"""Progress bars and status lines. Both go to stderr, so stdout carries only results
(tables), and status lines never break a progress bar."""

import sys

from tqdm.auto import tqdm

_silent = False  # set in the processes other than the main one of a multi-process command


def silence() -> None:
    """No bars and no status lines from this process (the main process reports for all)."""
    global _silent
    _silent = True


def say(message: str) -> None:
    if not _silent:
        tqdm.write(message, file=sys.stderr)


def progress_bar(**kwargs) -> tqdm:
    if _silent:
        kwargs["disable"] = True
    return tqdm(dynamic_ncols=True, file=sys.stderr, **kwargs)

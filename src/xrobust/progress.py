"""Progress bars and status lines. Both go to stderr, so stdout carries only results
(tables), and status lines never break a progress bar."""

import sys

from tqdm.auto import tqdm


def say(message: str) -> None:
    tqdm.write(message, file=sys.stderr)


def progress_bar(**kwargs) -> tqdm:
    return tqdm(dynamic_ncols=True, file=sys.stderr, **kwargs)

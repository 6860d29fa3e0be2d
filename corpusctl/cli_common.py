"""What every `corpusctl` command shares: its exit codes and the one way it stops on an error.

A user's or the machine's mistake is one `error: …` line on stderr and an exit code from `EXIT_CODES`, never a
traceback; only a bug in corpusctl exits 70 (see `cli.main`).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.text import Text

from corpusctl.errors import CorpusctlError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BUG = 70
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    EXIT_OK: "done",
    EXIT_FAILED: "the command ran and the answer is no: a checked file has problems (ner validate, convert, "
                 "import --strict; ontology validate, import), a scanned file was skipped (pii scan), or the "
                 "machine said no (disk full, quota, permission denied, read-only folder, out of memory). "
                 "`ner` and `pii` commands also exit 1 on a wrong argument or input file",
    EXIT_USAGE: "a mistake in the recipe, the arguments or an input file (build, validate, clean, inspect, "
                "ontology, segmenter), named with its key and line or its file:line",
    EXIT_BUG: "a bug in corpusctl (an internal error; CORPUSCTL_DEBUG=1 shows the traceback)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}
"""Every exit code a command can return and what it means (README.md, "Exit codes")."""

_stderr = Console(stderr=True, soft_wrap=True, highlight=False, markup=False, emoji=False)


_ctrl_c_seen = False


def watch_ctrl_c() -> None:
    """Remember a Ctrl-C, then raise KeyboardInterrupt as Python does: a library may turn that exception into
    one of its own (pydantic's serializers make it a PydanticSerializationError: seen once in ~100 Ctrl-Cs of
    the sample build), and the command must still end as interrupted, not as a bug."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # (not when Ctrl-C is ignored)
        signal.signal(signal.SIGINT, _on_ctrl_c)


def _on_ctrl_c(signum, frame) -> None:
    global _ctrl_c_seen
    _ctrl_c_seen = True
    signal.default_int_handler(signum, frame)


def ctrl_c_seen() -> bool:
    """Whether Ctrl-C was pressed (an error raised after it is taken as its consequence)."""
    return _ctrl_c_seen


def interrupted() -> int:
    """The exit code of a command stopped by Ctrl-C, once its KeyboardInterrupt is handled.

    CPython (3.11) remembers a KeyboardInterrupt that passed through code run by `exec`/`eval` of a string
    (libraries run such code), even when the exception was caught later, and `python -m corpusctl` then
    ends by killing itself with SIGINT (exit -2) instead of exiting 130: seen once in ~40 Ctrl-Cs of the
    sample build. Running a string again clears what it remembers."""
    exec("")
    return EXIT_INTERRUPTED


def fail(message: object, code: int = EXIT_USAGE) -> NoReturn:
    """Print `error: message` on stderr and exit with `code`. The message is never read as markup: paths and
    recipe text may hold `[...]`."""
    _stderr.print(Text.assemble(("error: ", "bold red"), str(message)))
    raise typer.Exit(code) from None


@contextmanager
def user_errors(code: int = EXIT_USAGE) -> Iterator[None]:
    """Turn a CorpusctlError raised inside the block into `fail(error, code)`."""
    try:
        yield
    except CorpusctlError as exc:
        fail(exc, code)

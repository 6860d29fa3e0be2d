"""User-facing errors: the CLI prints these as one clear message, never as a traceback."""


class CorpusctlError(Exception):
    """An error caused by the user's input (recipe, data, arguments) with a message that says how to fix it."""


class RecipeError(CorpusctlError):
    """A recipe that does not validate; `problems` holds one line per bad key."""

    def __init__(self, path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: invalid recipe\n" + "\n".join(f"  {p}" for p in problems))


class InputError(CorpusctlError):
    """A malformed input record in strict mode: names the file and line."""

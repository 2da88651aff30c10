"""Errors a user can cause. The CLI prints them as one line and exits with code 2."""


class UserError(Exception):
    """Bad input: a path, a row, an option or a model that is not there.

    The message must name the file and line, or the option, so that the user can fix it
    without a traceback.
    """

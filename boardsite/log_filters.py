"""Logging filters named in settings.LOGGING."""

import logging


class WarningWithoutTraceback(logging.Filter):
    """
    For Django's DisallowedHost: a request with a Host header this site does
    not serve is a stranger's probe, not a fault of the server, so one WARNING
    line instead of an ERROR with a traceback for each.
    """

    def filter(self, record):
        record.exc_info = None
        record.exc_text = None
        record.levelno = logging.WARNING
        record.levelname = logging.getLevelName(logging.WARNING)
        return True

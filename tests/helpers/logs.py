"""Capturing every log line the app writes, at every level, including non-propagating loggers."""

import logging
from contextlib import contextmanager

# Loggers that may not propagate to the root: the handler is added to them directly as well.
DIRECT_LOGGERS = ("django.server", "axes", "django.request", "django.security")


class Capture(logging.Handler):
    """Keeps each record as the line an operator would read: ``name LEVEL message``."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines = []

    def emit(self, record):
        # The formatted line includes any traceback, so exception messages are scanned too.
        self.lines.append(self.format(record))


@contextmanager
def capture_all_logs():
    """Every logger at DEBUG into one Capture for the block; levels and handlers restored after."""
    capture = Capture()
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    for name in ("", *DIRECT_LOGGERS):
        logger = logging.getLogger(name)
        if logger is logging.getLogger() or not logger.propagate:
            logger.addHandler(capture)
    try:
        yield capture
    finally:
        for logger, level in saved:
            logger.setLevel(level)
        for logger in loggers:
            if capture in logger.handlers:
                logger.removeHandler(capture)

"""Logging for the server process: one line per event on stderr, cheap enough to leave on under load.

Each line is formatted as usual, but written to a buffered stream that is flushed every `FLUSH_EVERY`
seconds and at once for warnings and errors, instead of one write system call per request line. LogRecord
fields nobody prints (thread and process names, the caller's file and line) are not collected.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FLUSH_EVERY = 0.5


class SecondCachingFormatter(logging.Formatter):
    """The default format, with the date and time part formatted once per second rather than per line."""

    _second = None
    _stamp = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        second = int(record.created)
        if second != self._second:
            self._second, self._stamp = second, time.strftime("%Y-%m-%d %H:%M:%S", self.converter(record.created))
        return f"{self._stamp},{int(record.msecs):03d}"


class BufferedStreamHandler(logging.StreamHandler):
    """A StreamHandler that flushes only for WARNING and above, or when `flush()` is called."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record) + self.terminator)
            if record.levelno >= logging.WARNING:
                self.stream.flush()
        except Exception:  # noqa: BLE001 - logging's own convention: report, never raise
            self.handleError(record)


def configure_logging(level: int = logging.INFO) -> BufferedStreamHandler:
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None  # no caller lookup (a stack walk per line): the logging docs' own optimisation
    handler = BufferedStreamHandler(sys.stderr)
    handler.setFormatter(SecondCachingFormatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    # urllib3 logs every outbound URL at DEBUG, and WeChat's carry the app secret, login codes and tokens.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    return handler


async def flush_forever(handler: logging.Handler, every: float = FLUSH_EVERY) -> None:
    while True:
        await asyncio.sleep(every)
        handler.flush()

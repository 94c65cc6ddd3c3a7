"""Items of an iterator made in a worker thread and handed over in order, so making and using them overlap."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

_END = object()


class Ahead:
    """Run `items` in a worker thread; iterating hands each item over in order, and raises a failure of the
    worker where its item would have come. `stop()` asks the worker to end after its current item and waits."""

    def __init__(self, items: Iterator, name: str) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(items,), name=name, daemon=True)
        self._thread.start()

    def _run(self, items: Iterator) -> None:
        """The worker: put each item, then the end mark, or the exception that stopped it."""
        try:
            for item in items:
                if self._stop.is_set():
                    return
                self._queue.put((True, item))
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread, which raises it
            self._queue.put((False, exc))
            return
        self._queue.put((True, _END))

    def __iter__(self) -> Iterator:
        while True:
            ok, item = self._queue.get()
            if not ok:
                raise item
            if item is _END:
                return
            yield item

    def stop(self) -> None:
        """End the worker after the item it is making (the reader stopped early or is done) and wait for it."""
        self._stop.set()
        self._thread.join()

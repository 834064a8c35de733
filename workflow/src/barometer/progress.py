"""Progress of the long steps (bootstrap blocks, identification programmes, rendering), for stages.

The library functions take a plain callback ``progress(done, total)`` and show nothing themselves
(barometer/survey stays free of UI). A stage passes a ``Progress``: a tqdm bar on the terminal when
stderr is one (none in a log file, a pipe or a cluster job), and a log line at every tenth of the
work, so that the rule's log file and a non-interactive terminal show progress too. While the bar is
drawn, the log's terminal lines go through tqdm (``logging_redirect_tqdm``) so that they do not break
it. Progress only reports: it changes no result.
"""

from __future__ import annotations

import logging
import sys

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

log = logging.getLogger("barometer")


class Progress:
    """A ``(done, total)`` callback: ``with Progress("bootstrap", "block") as progress: f(progress=progress)``.

    A call with a different total, or with ``done`` lower than before, starts a new pass (a step that
    runs several batches, e.g. the identification's groups of programmes); each pass is reported on
    its own.
    """

    def __init__(self, what: str, unit: str = "step", *, steps: int = 10, bar: bool | None = None):
        self.what, self.unit, self.steps = what, unit, steps
        self.bar_enabled = sys.stderr.isatty() if bar is None else bar
        self.bar: tqdm | None = None
        self.total = 0
        self.done = 0
        self.logged = -1  # the last tenth logged
        self.passes = 0
        self._redirect = None

    def __enter__(self) -> Progress:
        if self.bar_enabled:
            self._redirect = logging_redirect_tqdm(loggers=[logging.getLogger()])
            self._redirect.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.close()
        if self._redirect is not None:
            self._redirect.__exit__(*exc)
            self._redirect = None

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __call__(self, done: int, total: int) -> None:
        if total != self.total or done < self.done:
            self._start(total)
        self.done = done
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
        # a log line at each tenth reached (every call when there are fewer steps than tenths)
        tenth = done * self.steps // total if total else self.steps
        if tenth > self.logged:
            self.logged = tenth
            label = self.what if self.passes <= 1 else f"{self.what} (pass {self.passes})"
            log.info("%s: %d/%d %ss (%d%%)", label, done, total, self.unit, round(100 * done / total) if total else 100)

    def _start(self, total: int) -> None:
        self.close()
        self.total, self.done, self.logged = total, 0, 0
        self.passes += 1
        if self.bar_enabled:
            self.bar = tqdm(total=total, desc=self.what, unit=self.unit, file=sys.stderr, leave=False,
                            dynamic_ncols=True)

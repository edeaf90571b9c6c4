"""``bayescnn``, as torchrun starts it, losing one worker on the job's first attempt.

With ``BAYESCNN_TEST_LOSE_WORKER=R:E:S`` the process of rank ``R`` kills itself with SIGKILL
after step ``S`` of epoch ``E`` (both 1-based), but only while torchrun's
``TORCHELASTIC_RESTART_COUNT`` is 0: the restarted workers run the command undisturbed.
Without the variable it is ``python -m bayescnn.cli.main``. tests/train/test_distributed.py
runs it in place of that module; the library knows nothing of it.
"""

import os
import signal
import sys
from typing import Any

import bayescnn.runs
from bayescnn.cli.main import main
from bayescnn.train import Callback, FitState

VARIABLE = "BAYESCNN_TEST_LOSE_WORKER"


class _LoseThisWorker(Callback):
    """SIGKILL this process after a given step, as a lost node or an OOM killer would."""

    def __init__(self, epoch: int, step: int) -> None:
        self.epoch, self.step = epoch - 1, step - 1  # FitState counts from 0

    def on_step_end(self, state: FitState, terms: Any) -> None:
        if (state.epoch, state.step) == (self.epoch, self.step):
            os.kill(os.getpid(), signal.SIGKILL)


def _arm(spec: str) -> None:
    """Give the CLI's train_run the killing callback, on the chosen rank's first attempt."""
    rank, epoch, step = (int(part) for part in spec.split(":"))
    if os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") != "0":
        return
    if int(os.environ.get("RANK", "0")) != rank:
        return
    train_run = bayescnn.runs.train_run  # cmd_train imports it from bayescnn.runs when run

    def losing_train_run(*args: Any, callbacks: Any = (), **kwargs: Any) -> Any:
        return train_run(*args, callbacks=[*callbacks, _LoseThisWorker(epoch, step)], **kwargs)

    bayescnn.runs.train_run = losing_train_run


if __name__ == "__main__":
    if VARIABLE in os.environ:
        _arm(os.environ[VARIABLE])
    sys.exit(main())

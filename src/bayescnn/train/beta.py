"""The KL weight beta of each minibatch."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bayescnn.errors import InvalidArgumentError

SCHEDULES = ("standard", "blundell", "soenderby")


@dataclass(frozen=True)
class KLWeight:
    """beta for minibatch i (0-based) of M in epoch e (0-based) of E.

    The per-example loss is ``mean NLL + beta * KL / N_train`` (see
    :mod:`bayescnn.train.objective`), so over an epoch the KL is counted
    ``sum_i beta_i / M`` times:

    * a number c: beta = c for every minibatch (c = 1 is the ELBO);
    * ``standard``: beta = 1, the KL spread uniformly over the minibatches;
    * ``blundell``: beta_i = M * pi_i with pi_i = 2^(M-i-1) / (2^M - 1) (Blundell et al.
      2015, eq. 9): early minibatches carry most of the KL, the pi_i sum to 1;
    * ``soenderby``: linear warm-up (Sønderby et al. 2016): beta rises from ~0 to 1 over
      the first quarter of the epochs (at least one epoch), then stays at 1.
    """

    schedule: str
    constant: float = 1.0

    @classmethod
    def parse(cls, value: str | float) -> KLWeight:
        """Read ``value``: one of :data:`SCHEDULES` or a non-negative number."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str) and value.lower() in SCHEDULES:
            return cls(value.lower())
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise InvalidArgumentError(
                    f"beta must be a number or one of {', '.join(SCHEDULES)}; got {value!r}"
                ) from None
        if not (math.isfinite(number) and number >= 0):
            raise InvalidArgumentError(f"beta must be a finite number >= 0, got {value!r}")
        return cls("constant", number)

    def __call__(self, batch: int, num_batches: int, epoch: int, epochs: int) -> float:
        if self.schedule == "constant":
            return self.constant
        if self.schedule == "standard":
            return 1.0
        if self.schedule == "blundell":
            # log pi_i = (M - i - 1) log 2 - log(2^M - 1), stable for large M
            log_norm = num_batches * math.log(2.0) + math.log1p(-(2.0**-num_batches))
            return num_batches * math.exp((num_batches - batch - 1) * math.log(2.0) - log_norm)
        warmup_epochs = max(1, epochs // 4)
        return min(1.0, (epoch + (batch + 1) / num_batches) / warmup_epochs)

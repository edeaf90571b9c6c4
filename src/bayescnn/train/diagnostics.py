"""Posterior diagnostics every epoch: per-layer KL, sigma and SNR, and warnings with a fix.

The peers' most common complaints ("KL not changing", "accuracy stuck", "variance of
predictions too small") are a posterior collapsed to its prior, a KL term that swamps
the likelihood, or sigmas collapsed to 0. This callback puts the numbers that tell them
apart into every epoch's metrics row and warns with what to change.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from bayescnn.analysis import LayerStatistics, layer_statistics
from bayescnn.train.hooks import Callback, FitState

__all__ = ["PosteriorDiagnostics"]

log = logging.getLogger("bayescnn.train")


class PosteriorDiagnostics(Callback):
    """Add ``layers`` (per Bayesian layer: ``kl``, ``kl_per_weight``, ``mean_sigma``,
    ``snr_below_1``), ``snr_below_1`` (all weights) and ``kl_share`` (the KL term's share
    of the training loss) to every epoch's row, and log warnings:

    * **collapse to the prior**: in layers holding most weights, KL < ``collapse_kl``
      nats per weight and SNR < 1 for more than ``collapse_snr`` of the weights;
    * **KL dominating** (small data, or a wrong ``num_train``): the KL term is more than
      ``kl_share`` of the loss while the training NLL is still above
      ``(1 - learned) log K`` (K classes), i.e. the network has learned little;
    * **sigma collapse**: a layer's mean sigma below ``sigma_floor`` (the KL term no
      longer keeps the posterior wide: a point estimate).

    Put it before :class:`~bayescnn.train.MetricsFile` so the file gets the numbers.
    """

    def __init__(
        self,
        collapse_kl: float = 0.05,
        collapse_snr: float = 0.9,
        kl_share: float = 0.9,
        sigma_floor: float = 1e-4,
        learned: float = 0.25,
    ) -> None:
        self.collapse_kl = collapse_kl
        self.collapse_snr = collapse_snr
        self.kl_share = kl_share
        self.sigma_floor = sigma_floor
        self.learned = learned
        self._classes = 0

    def on_step_end(self, state: FitState, terms: Any) -> None:
        self._classes = terms.logits.shape[-1]

    def on_epoch_end(self, state: FitState, row: dict[str, Any]) -> None:
        stats = layer_statistics(state.model)
        if not stats:
            return
        total = sum(s.weights for s in stats.values())
        row["layers"] = {name: s.as_dict() for name, s in stats.items()}
        row["snr_below_1"] = sum(s.snr_below_1 * s.weights for s in stats.values()) / total
        loss, nll = row.get("train_loss"), row.get("train_nll")
        if loss:
            row["kl_share"] = max(0.0, (loss - nll) / loss) if nll is not None else None
        log.info(
            "posterior: %s",
            "  ".join(
                f"{name} KL {s.kl:.3g} sigma {s.mean_sigma:.3g} SNR<1 {100 * s.snr_below_1:.0f}%"
                for name, s in stats.items()
            ),
        )
        for message in self._warnings(stats, row, total):
            log.warning("warning: %s", message)
            row.setdefault("warnings", []).append(message)

    def _kl_swamps_the_data(self, row: dict[str, Any]) -> bool:
        """The KL term is more than ``kl_share`` of the loss *and* the network has learned
        less than ``learned`` of the labels' information: ``NLL > (1 - learned) log K``.

        A large share alone is normal: with a N(0, 1) prior and narrow initial sigmas each
        weight costs a few nats, so KL / N_train outweighs the NLL of a network that fits
        well (LeNet on 20,000 Fashion-MNIST images: 92% after an epoch at 74% accuracy).
        The share means trouble when the data term cannot pull the posterior away from
        the prior: too few examples, or a ``num_train`` far below the training set's size.
        """
        share, nll = row.get("kl_share"), row.get("train_nll")
        if share is None or nll is None or self._classes < 2 or share <= self.kl_share:
            return False
        too_high: bool = nll > (1 - self.learned) * math.log(self._classes)
        return too_high

    def _warnings(
        self, stats: dict[str, LayerStatistics], row: dict[str, Any], total: int
    ) -> list[str]:
        found = []
        collapsed = [
            n for n, s in stats.items()
            if s.kl_per_weight < self.collapse_kl and s.snr_below_1 > self.collapse_snr
        ]  # fmt: skip
        if sum(stats[n].weights for n in collapsed) > total / 2:
            found.append(
                f"the posterior has collapsed to the prior in {', '.join(collapsed)} (KL near 0, "
                "SNR < 1 for most weights): the KL term dominates; try a wider prior "
                "(--prior-sigma) or a smaller KL weight (--beta 0.1)"
            )
        if self._kl_swamps_the_data(row):
            found.append(
                f"the KL term is {100 * row['kl_share']:.0f}% of the loss and the training NLL "
                f"is still {row['train_nll']:.3g} (chance: {math.log(self._classes):.3g}): too "
                "little data for this network under its prior (or num_train below the training "
                "set's size); use more training examples, a smaller --batch-size (more "
                "steps), a smaller --beta, or a smaller network"
            )
        narrow = [n for n, s in stats.items() if s.mean_sigma < self.sigma_floor]
        if narrow:
            found.append(
                f"sigma has collapsed towards 0 in {', '.join(narrow)}: the KL term is "
                "ineffective (a point estimate); check --beta (0 switches it off) and the prior"
            )
        return found

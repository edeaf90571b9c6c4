"""The one set of defaults of every door: the layers, ``to_bayesian``, ``models.create``,
:func:`bayescnn.fit`, ``bayescnn train``, the Lightning module, prediction and evaluation.

**Which network is Bayesian** is one policy for every network the library builds or
converts (``models.create``, ``to_bayesian``, ``bayescnn train``, the Lightning module):
the fully connected layers (:data:`BAYESIAN_LAYERS`) on a plain convolutional trunk
(every layer of a network without a fully connected one), at rho scale
:data:`MODEL_RHO_SCALE`; packed members and rank-1 mixtures are wholly Bayesian, members at
:data:`MEMBERS_RHO_SCALE`. ``bayesian_layers="all"`` makes every weight layer Bayesian. A
layer built on its own (``bayescnn.nn.Linear(...)``) is a building block: rho scale
:data:`POSTERIOR_RHO_SCALE`. ``bayescnn.compat`` keeps the original's own values.
:func:`bayescnn.describe` says which layers a network has Bayesian.

The estimator, prior, activation and rho initialisation were chosen by a one-at-a-time
sweep on the validation splits of the real Fashion-MNIST and MNIST (LeNet-5, 10 epochs,
the documentation's results): Flipout had the lowest validation NLL of the three
estimators on both; a N(0, 1) prior beat N(0, 0.3), N(0, 0.1) and the scale mixture, ReLU
beat softplus, and rho ~ N(-5, 0.1) beat N(-3, 0.1).

Values only: the objects built from them live with their kind
(:func:`bayescnn.priors.default_prior`, :class:`bayescnn.nn.PosteriorSpec`).
"""

from __future__ import annotations

ESTIMATOR = "flipout"
"""Flipout: weight sampling decorrelated across the batch by random sign flips."""
BAYESIAN_LAYERS = "linear"
"""Which weight layers of a network are Bayesian: ``'linear'``, the fully connected layers
(LeNet-5's fc1-fc3, ResNet-18's fc), on a plain convolutional trunk; every layer of a
network without one. Chosen with :data:`MODEL_RHO_SCALE` by the calibrated comparison
(``python -m benchmarks.comparison``, 3 seeds, LeNet-5 on Fashion-MNIST and MNIST, and on
held-out in/out pairs): against every layer Bayesian at the same rho scale it was more
accurate, better calibrated (ECE 0.0070 against 0.0084 on Fashion-MNIST), steadier across
seeds in mutual-information AUROC and cheaper (a step 1.4x the frequentist twin's against
1.9x). ``'all'`` makes every weight layer Bayesian."""
ACTIVATION = "relu"
PRIOR = "gaussian"
PRIOR_MU = 0.0
PRIOR_SIGMA = 1.0
MIXTURE_PI = 0.5
MIXTURE_SIGMA1 = 1.0
MIXTURE_SIGMA2 = 0.0025
POSTERIOR_MU_INIT: tuple[float, float] | None = None
"""``None``: PyTorch's own initialisation of the matching plain layer (Kaiming-uniform)."""
POSTERIOR_RHO_INIT: tuple[float, float] = (-5.0, 0.1)
"""rho ~ N(-5, 0.1): sigma = softplus(rho) ~ 0.0067 at the start."""
POSTERIOR_RHO_SCALE = 1.0
"""c of a Bayesian layer's parametrisation sigma = softplus(c * rho'): the layer stores
rho' = rho / c, so any Adam loop moves rho c times faster than the other parameters
(Adam's step does not depend on the gradient's scale); 1: plain softplus(rho), what a
layer built on its own gets. Networks take theirs from :data:`MODEL_RHO_SCALE` and
:data:`MEMBERS_RHO_SCALE`."""
MODEL_RHO_SCALE = 3.0
"""The rho scale of a network's Bayesian layers (``models.create``, ``to_bayesian``,
``bayescnn train``): rho learns 3x faster, so 10 epochs of Adam widen the posterior enough
for the mutual-information AUROC (scales 1, 2, 3, 5 swept; 5 cost 0.7 points of
Fashion-MNIST accuracy, 3 kept it within 0.4 of the twin); the underconfidence this
brings is what the end-of-training temperature (``bayescnn.calibrate``) removes."""
MEMBERS_RHO_SCALE = 1.0
"""The rho scale of packed members (``members=K > 1``): the members' disagreement
already spreads the predictive; at 3 they were underconfident past what a temperature
fixes (MNIST ECE 0.0096 against 0.0039 at 1)."""

MEMBERS_ESTIMATOR = "bbb"
"""The estimator of packed members (``members=K > 1``): weight sampling, one weight draw
per member and batch. A member costs one convolution per layer (Flipout two): 4 members'
training step is 3.2x the twin's on one CPU core, under four twins' (Flipout members 6.2x),
and the members' disagreement, not each member's per-example noise, is what their
uncertainty comes from. Calibrated, 3 seeds, LeNet-5, Fashion-MNIST / MNIST, 25 samples of
each member: accuracy 89.05% / 99.18%, ECE 0.0068 / 0.0025, mutual-information AUROC
0.948 / 0.984, against Flipout members' 88.85% / 99.19%, 0.0070 / 0.0027, 0.942 / 0.983
(the documentation's "Packed members")."""

POSTERIOR_FAMILY = "mean-field"
"""The posterior family of ``models.create`` and ``bayescnn train``: ``mean-field`` (a
Gaussian per weight) or ``rank1`` (Dusenberry et al. 2020's rank-1 mixture)."""
RANK1_MEMBERS = 4
"""Mixture components K of a rank-1 posterior (the paper's K = 4)."""
RANK1_PRIOR_MU = 1.0
RANK1_PRIOR_SIGMA = 0.1
"""The rank-1 factors' prior N(1, 0.1^2): centred on the shared weight (factors of 1)."""
RANK1_FACTOR_INIT: tuple[float, float] = (1.0, 0.5)
"""The rank-1 factors' means start at N(1, 0.5^2) (std 0.5), one draw per component, so
the K components differ from the first step; their rho starts at :data:`POSTERIOR_RHO_INIT`."""

FLAG_SCORE = "energy"
"""The OOD score behind ``bayescnn predict``'s ``uncertain`` flag: at a 5% false-alarm
rate on the validation split, the free energy flagged the most OOD and noise images of
the registered scores on Fashion-MNIST and MNIST (mean true-positive rate over 8 OOD
sets 0.47, against 0.43 for max_logit, 0.35 for the entropy and 0.22 for the mutual
information, which flagged 4-11% of the uniform-noise images; ``benchmarks/flag_scores.py``,
the documentation's "Which score flags an image"). It also flags with plain networks, whose
mutual information is 0."""
FLAG_RATE = 0.05
"""The flag's false-alarm rate on the validation split: the threshold is the score's
``1 - FLAG_RATE`` quantile there."""
LR = 1e-3
"""Adam's learning rate: :func:`bayescnn.fit`'s default optimiser, ``bayescnn train`` and
the Lightning module."""
VALID_SAMPLES = 10
"""Monte-Carlo samples of each validation pass during training (:func:`bayescnn.fit`,
``bayescnn train``, the Lightning module's validation)."""
EVALUATION_BATCH_SIZE = 500
"""Examples per batch of every evaluation and prediction pass when none is given
(:func:`bayescnn.predict`, ``bayescnn predict``, the evaluation loaders)."""
SAMPLES = 25
"""Monte-Carlo samples of the predictive ``p̄ = (1/S) Σ_t softmax(f_t(x))`` when none are
given: prediction, evaluation, the test report and the commands that score a model."""
MEMBER_SAMPLES = 8
"""The most Monte-Carlo samples drawn of each member of a network with a member axis
(packed members, rank-1 components) when none are given: its predictive then averages
``8 x K`` samples (32 for 4 members, against a single network's :data:`SAMPLES`). With 4
packed members calibrated at each S (3 seeds), the NLL and the mutual-information AUROC
level off by 4-8 samples a member (Fashion-MNIST NLL 0.3014 at 1, 0.2985 at 8, 0.2983 at
25; MI AUROC 0.939, 0.947, 0.948), and predicting costs 1.3x a single network's at its 25
samples, against 4.2x at 25 a member (the documentation's "Packed members")."""
ECE_BINS = 15
"""Equal-width confidence bins of the expected calibration error (Guo et al., 2017)."""
TEMPERATURE_FORM = "pooled"
"""Where :func:`bayescnn.calibrate`'s temperature divides: ``pooled``, the averaged
predictive ``softmax(log p̄ / T)`` (Ashukha et al., 2020), or ``per-sample``, each sample's
logits (Laves et al., 2019). Pooled measured better on the zoo's LeNet-5 (3 seeds, MNIST
test ECE 0.0031 against 0.0075 per sample, lower NLL; ``benchmarks/pooled_calibration.py``)
and is the form ensembles call for."""
CALIBRATION_MIN_EXAMPLES = 100
"""The fewest held-out examples a temperature is fitted on (fewer: ``T = 1`` is kept)."""
CALIBRATION_MIN_ERRORS = 5
"""The fewest misclassified held-out examples a temperature is fitted on: with none, the
held-out NLL falls all the way as ``T -> 0`` (perfect separation), so a fit is noise."""
CALIBRATION_FOLDS = 5
"""K of the cross-validated check: a temperature fitted on K - 1 folds of the held-out set
must lower the NLL of the fold left out
(:func:`bayescnn.calibration.weigh_temperature_evidence`)."""

"""
===========================================
Label shift: estimate the target priors
===========================================

Under **label shift** the class priors ``p(y)`` change between the domains
while each class looks the same, ``p(x | y)`` fixed: a disease becomes more
frequent, a review site attracts more unhappy customers. A classifier
trained on the source keeps the source priors in its posteriors and so
favours the classes that were frequent there. By Bayes' rule the target
posterior is ``p_t(y | x) ∝ w_y p_s(y | x)`` with ``w_y = p_t(y) /
p_s(y)``: correcting the classifier only needs the target priors, which
unlabeled target rows reveal.

Three estimators wrap any probabilistic classifier and estimate them:

* :class:`~sktransfer.instance.EMLabelShiftClassifier` (Saerens et al.,
  2002): maximum likelihood by EM on calibrated posteriors;
* :class:`~sktransfer.instance.BBSEClassifier` (Lipton et al., 2018): solve
  ``C w = mu`` with the confusion matrix ``C`` of the classifier on held-out
  source rows and its mean prediction ``mu`` on the target;
* :class:`~sktransfer.instance.RLLSClassifier` (Azizzadenesheli et al.,
  2019): the same system, regularised towards ``w = 1``.
"""

# %%
# Severity of the shift
# ---------------------
#
# Three Gaussian classes, balanced in the source; in the target the priors
# decay geometrically, the most to the least frequent class having the
# ratio ``20 ** severity``. For each severity: the target accuracy of the
# uncorrected classifier and of each correction, and the L1 error of the
# estimated priors (for the uncorrected classifier, that of assuming no
# shift). Mean over three draws.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression

from sktransfer.datasets import make_domain_shift
from sktransfer.instance import BBSEClassifier, EMLabelShiftClassifier, RLLSClassifier

warnings.simplefilter("ignore")  # small folds make lbfgs warn now and then

methods = {
    "uncorrected": None,
    "EM": EMLabelShiftClassifier(),
    "BBSE": BBSEClassifier(),
    "RLLS": RLLSClassifier(),
}
severities = [0.0, 0.25, 0.5, 0.75, 1.0]
accuracy = {name: [] for name in methods}
prior_error = {name: [] for name in methods}
for severity in severities:
    scores = {name: [] for name in methods}
    errors = {name: [] for name in methods}
    for seed in range(3):
        X, y, sample_domain = make_domain_shift(
            300,
            600,
            shift="label",
            severity=severity,
            n_classes=3,
            random_state=seed,
        )
        target = sample_domain < 0
        y_seen = np.where(target, -1, y)  # the target labels are unknown
        true_priors = np.bincount(y[target], minlength=3) / target.sum()
        for name, model in methods.items():
            if model is None:
                model = LogisticRegression().fit(X[~target], y[~target])
                priors = np.bincount(y[~target], minlength=3) / (~target).sum()
            else:
                model.fit(X, y_seen, sample_domain=sample_domain)
                priors = model.target_priors_
            scores[name].append(model.score(X[target], y[target]))
            errors[name].append(np.abs(priors - true_priors).sum())
    for name in methods:
        accuracy[name].append(np.mean(scores[name]))
        prior_error[name].append(np.mean(errors[name]))

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
for name in methods:
    style = "--" if name == "uncorrected" else "-"
    axes[0].plot(severities, accuracy[name], style, marker="o", label=name)
    axes[1].plot(severities, prior_error[name], style, marker="o", label=name)
axes[0].set(xlabel="severity", ylabel="target accuracy", title="Accuracy")
axes[1].set(xlabel="severity", ylabel="L1 error of the priors", title="Priors")
axes[0].legend()
plt.show()

# %%
# Without shift every correction stays close to the uncorrected classifier
# (its prior error is the estimation noise). As the shift grows, assuming
# no shift costs more and more, while the estimated priors stay within a
# few hundredths of the truth, and the corrected classifiers gain accuracy.

# %%
# The estimate and the weights
# ----------------------------
#
# The fitted estimators expose the priors and the weights of the
# correction; ``refit=True`` retrains the classifier on the source rows
# weighted by ``class_weights_[y]`` (importance-weighted training) instead
# of reweighting its posteriors.
X, y, sample_domain = make_domain_shift(
    300, 600, shift="label", severity=1.0, n_classes=3, random_state=0
)
target = sample_domain < 0
em = EMLabelShiftClassifier().fit(
    X, np.where(target, -1, y), sample_domain=sample_domain
)
print("true target priors:", np.round(np.bincount(y[target]) / target.sum(), 3))
print("EM estimate:       ", np.round(em.target_priors_, 3))
print("class weights:     ", np.round(em.class_weights_, 2))
refit = BBSEClassifier(refit=True).fit(
    X, np.where(target, -1, y), sample_domain=sample_domain
)
print("BBSE refit accuracy:", round(refit.score(X[target], y[target]), 3))

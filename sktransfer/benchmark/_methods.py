"""The built-in methods of the benchmark, one section per family.

Each method is one :func:`~sktransfer.benchmark.register_method` call. This
module is imported the first time :data:`~sktransfer.benchmark.METHODS` is
used, never by ``import sktransfer.benchmark``; it imports no estimator
family at import time (so ``sktransfer benchmark --list`` does not import
torch): a ``"module:Class"`` string or a build function imports its class
when the method runs.
"""

from ._baselines import BaselineClassifier, TransformedClassifier
from ._registry import register_method


# --- baselines: one plain estimator on some of the labeled rows -------------
def _baseline(rows):
    def build(base_estimator, random_state):
        return BaselineClassifier(base_estimator, rows=rows)

    return build


register_method(
    "source_only",
    _baseline("source"),
    kind="baseline",
    description="base estimator fitted on the source rows",
)
register_method(
    "target_only",
    _baseline("target"),
    kind="baseline",
    description="base estimator fitted on the few labeled target rows",
)
register_method(
    "pooled",
    _baseline("pooled"),
    kind="baseline",
    description="base estimator fitted on the source and labeled target rows",
)

# --- instance-based transfer (sktransfer.instance) --------------------------


def _weighted_base(base_estimator):
    """The base estimator if its fit takes sample_weight, else a plain
    ``LogisticRegression`` with the same ``C`` and ``max_iter`` (the default
    ``TunedLogisticRegression`` cross-validates without weights)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.utils.validation import has_fit_parameter

    if base_estimator is not None and has_fit_parameter(
        base_estimator, "sample_weight"
    ):
        return base_estimator
    params = base_estimator.get_params() if base_estimator is not None else {}
    return LogisticRegression(
        C=params.get("C", 1.0), max_iter=params.get("max_iter", 500)
    )


def _instance(make):
    def build(base_estimator, random_state):
        return make(_weighted_base(base_estimator), random_state)

    return build


def _tradaboost(**options):
    def make(base, random_state):
        from sktransfer.instance import TrAdaBoostClassifier

        return TrAdaBoostClassifier(
            base, n_estimators=20, random_state=random_state, **options
        )

    return _instance(make)


def _importance_weighted(weighting):
    def make(base, random_state):
        from sktransfer import instance

        return instance.ImportanceWeightedClassifier(
            getattr(instance, weighting)(), base
        )

    return _instance(make)


register_method(
    "tradaboost",
    _tradaboost(),
    kind="instance",
    description="TrAdaBoost as in Dai et al. 2007, 20 rounds (weighted base)",
)
register_method(
    "tradaboost_dynamic",
    _tradaboost(dynamic_correction=True),
    kind="instance",
    default=False,
    description="TrAdaBoost with Al-Stouhi and Reddy's dynamic correction",
)
register_method(
    "tradaboost_balanced",
    _tradaboost(target_weight=0.5),
    kind="instance",
    default=False,
    description="TrAdaBoost starting with half the weight on the target rows",
)
register_method(
    "tradaboost_balanced_dynamic",
    _tradaboost(target_weight=0.5, dynamic_correction=True),
    kind="instance",
    default=False,
    description="TrAdaBoost, half the initial weight on target rows, dynamic",
)
register_method(
    "tradaboost_target_cv",
    _tradaboost(selection="target_cv"),
    kind="instance",
    default=False,
    description="TrAdaBoost, target weight and rounds by CV on the target rows",
)
register_method(
    "iw_kmm",
    _importance_weighted("KernelMeanMatching"),
    kind="instance",
    default=False,
    description="base estimator on source rows weighted by kernel mean matching",
)
register_method(
    "iw_kliep",
    _importance_weighted("KLIEP"),
    kind="instance",
    default=False,
    description="base estimator on source rows weighted by KLIEP",
)
register_method(
    "iw_discriminative",
    _importance_weighted("DiscriminativeDensityRatio"),
    kind="instance",
    description="base estimator on source rows weighted by a domain classifier",
)

# label shift: the base estimator's posteriors corrected to estimated target priors
register_method(
    "label_shift_em",
    "sktransfer.instance:EMLabelShiftClassifier",
    kind="instance",
    default=False,
    description="target class priors re-estimated by EM on calibrated "
    "posteriors (Saerens et al., 2002), posteriors corrected",
)
register_method(
    "bbse",
    "sktransfer.instance:BBSEClassifier",
    kind="instance",
    default=False,
    description="black-box shift estimation of the target priors from the "
    "source confusion matrix (Lipton et al., 2018)",
)
register_method(
    "rlls",
    "sktransfer.instance:RLLSClassifier",
    kind="instance",
    default=False,
    description="regularized learning under label shift (Azizzadenesheli et al., 2019)",
)
register_method(
    "jcpot",
    "sktransfer.instance:JCPOTClassifier",
    kind="instance",
    default=False,
    description="target priors of several source domains by joint class "
    "proportion and optimal transport (Redko et al., 2019; needs POT)",
)

# --- feature-based transfer (sktransfer.feature) ----------------------------

register_method(
    "tca",
    "sktransfer.feature:TransferComponentAnalysis",
    kind="feature",
    description="Transfer Component Analysis, linear kernel (Pan et al., 2011)",
)


@register_method(
    "jda",
    kind="feature",
    default=False,
    description="Joint Distribution Adaptation, linear kernel (Long et al., 2013)",
)
def _build_jda(base_estimator, random_state):
    from sktransfer.feature import JointDistributionAdaptation

    return TransformedClassifier(
        JointDistributionAdaptation(random_state=random_state), base_estimator
    )


register_method(
    "coral",
    "sktransfer.feature:CORAL",
    kind="feature",
    description="CORrelation ALignment of the source rows (Sun et al., 2016)",
)
register_method(
    "subspace_alignment",
    "sktransfer.feature:SubspaceAlignment",
    kind="feature",
    description="Subspace Alignment (Fernando et al., 2013)",
)
register_method(
    "feature_augmentation",
    "sktransfer.feature:FeatureAugmentation",
    kind="feature",
    description="Feature augmentation [x, x, 0] / [x, 0, x] (Daume III, 2007)",
)
register_method(
    "msda",
    "sktransfer.feature:MarginalizedDenoisingAutoencoder",
    kind="feature",
    default=False,
    description="Marginalized stacked denoising autoencoder (Chen et al., 2012)",
)
register_method(
    "invariant_features",
    "sktransfer.feature:DomainInvariantFeatureSelector",
    kind="feature",
    description="drop the features with a significant KS shift (Holm, alpha=0.05)",
)
register_method(
    "pivot_features",
    "sktransfer.feature:PivotFeatureSelector",
    kind="feature",
    description="keep the SCL-MI pivots: up to 1000 features frequent in both "
    "domains with the most mutual information with the label (Blitzer et al., "
    "2007)",
)
register_method(
    "scl",
    "sktransfer.feature:StructuralCorrespondenceLearning",
    kind="feature",
    description="Structural correspondence learning (SCL-MI): the input features "
    "plus their projection onto 50 directions that predict the pivots (Blitzer et "
    "al., 2006, 2007)",
)

# optimal transport (need POT: pip install 'sktransfer[ot]')
register_method(
    "ot_emd",
    "sktransfer.feature:OTMapping",
    kind="feature",
    default=False,
    description="source rows moved onto the target by an exact OT plan "
    "(barycentric map, Courty et al., 2017)",
)
register_method(
    "ot_sinkhorn",
    "sktransfer.feature:EntropicOTMapping",
    kind="feature",
    default=False,
    description="source rows moved by an entropic (Sinkhorn) OT plan",
)
register_method(
    "ot_class_regularized",
    "sktransfer.feature:ClassRegularizedOTMapping",
    kind="feature",
    default=False,
    description="entropic OT plan with the Lp-L1 class regularization of the "
    "source labels (OT-LpL1, Courty et al., 2017)",
)
register_method(
    "ot_linear",
    "sktransfer.feature:LinearOTMapping",
    kind="feature",
    default=False,
    description="linear (Gaussian) OT map of the source rows onto the target",
)


def _ot_predictor(class_name):
    def build(base_estimator, random_state):
        from sktransfer import feature

        return getattr(feature, class_name)(
            _weighted_base(base_estimator), random_state=random_state
        )

    return build


register_method(
    "jdot",
    _ot_predictor("JDOTClassifier"),
    kind="feature",
    default=False,
    description="joint distribution optimal transport: the base estimator "
    "refitted on the target rows with the transported labels (Courty et al., "
    "2017), 10 rounds",
)
register_method(
    "ot_label_propagation",
    _ot_predictor("OTLabelPropagation"),
    kind="feature",
    default=False,
    description="source labels transported to the target rows by an exact OT "
    "plan, the base estimator fitted on them",
)

# --- parameter-based transfer (sktransfer.parameter) ------------------------


def _linear_source_model(base_estimator, random_state):
    """The base estimator if it is a logistic model, else the tuned baseline.

    :class:`~sktransfer.parameter.PriorRegularizedClassifier` pulls the
    target model toward the source model's logistic coefficients, so the
    source model must be a logistic regression; any other base estimator is
    replaced by :class:`TunedLogisticRegression`, the default base of the
    baselines (with it, prior_logreg's source model is source_only's).
    """
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

    from ._baselines import TunedLogisticRegression

    logistic = (LogisticRegression, LogisticRegressionCV, TunedLogisticRegression)
    if isinstance(base_estimator, logistic):
        return base_estimator
    return TunedLogisticRegression(random_state=random_state)


@register_method(
    "prior_logreg",
    kind="parameter",
    description="logistic regression on target rows with a prior at the source "
    "model (Chelba and Acero, 2006), alpha=1",
)
def _build_prior_logreg(base_estimator, random_state):
    from sktransfer.parameter import PriorRegularizedClassifier

    return PriorRegularizedClassifier(
        _linear_source_model(base_estimator, random_state), alpha=1.0
    )


@register_method(
    "prior_logreg_cv",
    kind="parameter",
    default=False,
    description="prior_logreg with alpha in 0.1 ... 1000 chosen by 3-fold CV "
    "on the labeled target rows",
)
def _build_prior_logreg_cv(base_estimator, random_state):
    from sktransfer.parameter import PriorRegularizedClassifier

    return PriorRegularizedClassifier(
        _linear_source_model(base_estimator, random_state),
        alpha=(0.1, 1.0, 10.0, 100.0, 1000.0),
    )


# --- model selection (sktransfer.model_selection) ---------------------------


@register_method(
    "selector",
    kind="selection",
    description="TransferSelector: the baselines and the quick methods "
    "(prior_logreg, feature_augmentation, iw_discriminative, coral), the winner "
    "of about 10 stratified folds of the labeled target rows; transfer only when its "
    "gain interval lies above 0",
)
def _build_selector(base_estimator, random_state):
    from sktransfer.model_selection import TransferSelector

    return TransferSelector(
        base_estimator=base_estimator, n_repeats=1, random_state=random_state
    )


# --- deep transfer (sktransfer.deep) ----------------------------------------
register_method(
    "dann",
    "sktransfer.deep:DANNClassifier",
    kind="deep",
    default=False,
    description="Domain-adversarial neural network (Ganin et al., 2016)",
)

register_method(
    "deep_coral",
    "sktransfer.deep:DeepCORALClassifier",
    kind="deep",
    default=False,
    description="MLP whose logits' covariances are aligned across domains "
    "(Deep CORAL, Sun and Saenko, 2016)",
)

register_method(
    "cdan",
    "sktransfer.deep:CDANClassifier",
    kind="deep",
    default=False,
    description="Conditional domain-adversarial network, CDAN+E (Long et al., 2018)",
)

register_method(
    "finetune",
    "sktransfer.deep:FineTuningClassifier",
    kind="deep",
    default=False,
    description="MLP pre-trained on the source rows, then fine-tuned on the "
    "labeled target rows (dense inputs only)",
    params={"max_epochs": 30, "fine_tune_epochs": 30, "lr": 1e-3},
)

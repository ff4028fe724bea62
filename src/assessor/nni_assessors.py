"""Runs NNI v2.10's own assessors on scenarios, for assessor tests to compare.

Reads one JSON object on stdin:
  {"assessor": "Medianstop" | "Curvefitting", "class_args": {...},
   "events": [["assess", trial_id, [results...]], ["end", trial_id, success], ...],
   "predict": [[[results...], target_step], ...]}        (optional)
and prints {"decisions": ["Good"|"Bad", ...] (one per "assess"),
            "predictions": [{"value": value or null, "families": [...]}, ...]}
(one per "predict": the curve model's prediction and the families it combined).
Needs NNI on PYTHONPATH (../shared/nni/v2.10, its shims first) and NumPy/SciPy.
"""
import json
import logging
import sys
import warnings

import numpy as np

# NNI v2.10's curve model uses np.float and np.int, aliases NumPy 1.24 removed;
# give them back (builtins, as NumPy documented) so its code runs as it did.
if not hasattr(np, "float"):
    np.float = float
if not hasattr(np, "int"):
    np.int = int

warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)

from nni.algorithms.hpo.curvefitting_assessor import CurvefittingAssessor  # noqa: E402
from nni.algorithms.hpo.curvefitting_assessor.model_factory import CurveModel  # noqa: E402
from nni.algorithms.hpo.medianstop_assessor import MedianstopAssessor  # noqa: E402
from nni.algorithms.hpo.curvefitting_assessor import curvefunctions  # noqa: E402
from nni.assessor import AssessResult  # noqa: E402

# NNI keeps each curve family's last successful fit in a module global and
# starts from it when a later fit fails; Archer starts from the published
# defaults every time (deterministic). Restore them before each judgment so
# that both run the same algorithm.
_DEFAULTS = {name: list(p) for name, p in curvefunctions.model_para.items()}


def _reset_fits():
    for name, p in _DEFAULTS.items():
        curvefunctions.model_para[name][:] = p


def main():
    scenario = json.load(sys.stdin)
    np.random.seed(0)
    kinds = {"Medianstop": MedianstopAssessor, "Curvefitting": CurvefittingAssessor}
    assessor = kinds[scenario["assessor"]](**scenario.get("class_args", {}))
    decisions = []
    for event in scenario.get("events", []):
        if event[0] == "assess":
            _reset_fits()
            result = assessor.assess_trial(event[1], event[2])
            decisions.append("Bad" if result is AssessResult.Bad else "Good")
        else:
            assessor.trial_end(event[1], event[2])
    predictions = []
    for history, target in scenario.get("predict", []):
        _reset_fits()
        model = CurveModel(target)
        value = model.predict(history)
        predictions.append({"value": None if value is None else float(value),
                            "families": list(model.effective_model)})
    json.dump({"decisions": decisions, "predictions": predictions}, sys.stdout)


main()

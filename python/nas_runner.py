"""A classic-NAS trial over nas_test_models for the conformance tests: builds MODEL, calls
get_and_apply_next_architecture (its mode comes from the environment, as in any trial) and
saves the decision masks (masks.json) and the forward output (output.pt) to OUT_DIR.
With ARCHER_STANDIN=1 the `nni` names are Archer's (as archer-nni.pth arranges when
installed); otherwise whatever `nni` PYTHONPATH gives (NNI v2.8 itself).

usage: nas_runner.py MODEL OUT_DIR"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
if os.environ.get("ARCHER_STANDIN") == "1":
    import _archer_nni  # noqa: F401

import torch  # noqa: E402
from nni.algorithms.nas.pytorch.classic_nas import get_and_apply_next_architecture  # noqa
from nni.nas.pytorch.mutables import InputChoice, LayerChoice  # noqa: E402

import nas_test_models  # noqa: E402


def mask_of(mutable):
    if hasattr(mutable, "_decision"):  # Archer's
        return list(mutable._decision)
    return [bool(v) for v in mutable.mutator._cache[mutable.key].tolist()]  # NNI's


def main(name, out_dir):
    model, x = nas_test_models.build(name)
    get_and_apply_next_architecture(model)
    masks = {}
    for path, m in model.named_modules():
        if isinstance(m, (LayerChoice, InputChoice)):
            masks.setdefault(m.key, mask_of(m))
    with open(os.path.join(out_dir, "masks.json"), "w") as f:
        json.dump(masks, f, sort_keys=True)
    with torch.no_grad():
        torch.save(model(x), os.path.join(out_dir, "output.pt"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

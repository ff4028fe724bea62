"""Models covering every classic-NAS feature, written against NNI's import names so that
the same code runs under NNI v2.8 itself and under Archer (nni_conformance_test.py,
archer_nas_test.py). ``build(name)`` returns (model, input)."""

from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from nni.nas.pytorch.mutables import InputChoice, LayerChoice, MutableScope


class Mnist(nn.Module):
    """NNI's classic-NAS MNIST network (examples/nas/legacy/classic_nas/mnist.py)."""

    def __init__(self, hidden_size=32):
        super().__init__()
        self.conv1 = LayerChoice(OrderedDict([
            ("conv5x5", nn.Conv2d(1, 20, 5, 1)),
            ("conv3x3", nn.Conv2d(1, 20, 3, 1))]), key="first_conv")
        self.mid_conv = LayerChoice([nn.Conv2d(20, 20, 3, 1, padding=1),
                                     nn.Conv2d(20, 20, 5, 1, padding=2)], key="mid_conv")
        self.conv2 = nn.Conv2d(20, 50, 5, 1)
        self.fc1 = nn.Linear(4 * 4 * 50, hidden_size)
        self.fc2 = nn.Linear(hidden_size, 10)
        self.input_switch = InputChoice(n_candidates=2, n_chosen=1, key="skip")

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2, 2)
        old_x = x
        x = F.relu(self.mid_conv(x))
        x = torch.add(x, self.input_switch([torch.zeros_like(old_x), old_x]))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2, 2)
        x = F.relu(self.fc1(x.view(-1, 4 * 4 * 50)))
        return F.log_softmax(self.fc2(x), dim=1)


class AutoKeys(nn.Module):
    """No keys: NNI's program-wide numbering (LayerChoice1, InputChoice2, ...), a non-string
    key converted with str(), mean and concat reductions."""

    def __init__(self):
        super().__init__()
        self.a = LayerChoice([nn.Linear(4, 4), nn.Linear(4, 4), nn.Identity()])
        self.b = LayerChoice([nn.Linear(4, 4), nn.Tanh()], reduction="mean")
        self.pick = InputChoice(n_candidates=3, n_chosen=2, reduction="mean")
        self.c = LayerChoice([nn.Linear(4, 4), nn.ReLU()], key=7)
        self.cat = InputChoice(n_candidates=2, n_chosen=None, reduction="concat")

    def forward(self, x):
        a = self.a(x)
        b = self.b(a)
        m = self.pick([a, b, x])
        c = self.c(m)
        out = self.cat([c, m])
        return out.sum(dim=1, keepdim=True) + c


class Sources(MutableScope):
    """A cell (a MutableScope) whose key later input choices name."""

    def __init__(self, key):
        super().__init__(key)
        self.op = LayerChoice(OrderedDict([("lin", nn.Linear(6, 6)), ("act", nn.Sigmoid())]),
                              key=key + "_op")

    def forward(self, x):
        return self.op(x)


class ChooseFrom(nn.Module):
    """choose_from over scopes and layer choices, dict inputs, return_mask, reduction none,
    n_chosen 0 and None, and two mutables sharing each key."""

    def __init__(self):
        super().__init__()
        self.cell1 = Sources("cell1")
        self.cell2 = Sources("cell2")
        self.shared1 = LayerChoice([nn.Linear(6, 6), nn.Linear(6, 6)], key="shared")
        self.shared2 = LayerChoice([nn.Linear(6, 6), nn.Linear(6, 6)], key="shared")
        self.pick = InputChoice(choose_from=["cell1", "cell2", "shared", InputChoice.NO_KEY],
                                n_chosen=2, return_mask=True, key="pick")
        self.listed = InputChoice(choose_from=["cell1", "cell2_op"], n_chosen=None,
                                  reduction="none", key="listed")
        self.nothing = InputChoice(n_candidates=2, n_chosen=0, reduction="none", key="nothing")
        self.again1 = InputChoice(n_candidates=3, n_chosen=1, key="again")
        self.again2 = InputChoice(n_candidates=3, n_chosen=1, key="again")
        self.masked = LayerChoice([nn.Linear(6, 6), nn.Linear(6, 6)], return_mask=True,
                                  key="masked")

    def forward(self, x):
        c1, c2 = self.cell1(x), self.cell2(x)
        s = self.shared2(self.shared1(x))
        y, mask = self.pick({"cell1": c1, "cell2": c2, "shared": s, "": x})
        listed = self.listed([c1, c2])
        y = y + sum(listed) + mask.float().sum()
        for t in self.nothing([x, x]):
            y = y + t
        y = y + self.again1([c1, c2, s]) * self.again2([s, c1, c2])
        z, m2 = self.masked(y)
        return z * (1 + m2.float().sum())


MODELS = {"mnist": (Mnist, (2, 1, 28, 28)), "auto_keys": (AutoKeys, (3, 4)),
          "choose_from": (ChooseFrom, (3, 6))}


def build(name):
    model_class, shape = MODELS[name]
    torch.manual_seed(0)
    model = model_class()
    return model, torch.randn(*shape, generator=torch.Generator().manual_seed(1))

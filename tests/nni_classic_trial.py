"""A classic-NAS trial written for NNI 2.x, in the shape of NNI's own example
(examples/nas/legacy/classic_nas/mnist.py): NNI's imports, NNI's calls, nothing of Archer's.
python_nas_test.sh runs it unchanged under `archer ss_gen` and `archer create` with only
Archer's package installed. Trains a few batches of Debian's Fashion-MNIST."""

import argparse
import gzip
import logging
import os
from collections import OrderedDict

import nni
import torch
import torch.nn as nn
import torch.nn.functional as F
from nni.algorithms.nas.pytorch.classic_nas import get_and_apply_next_architecture
from nni.nas.pytorch.mutables import InputChoice, LayerChoice

logger = logging.getLogger("mnist_AutoML")


class Net(nn.Module):
    def __init__(self, hidden_size):
        super(Net, self).__init__()
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


def load(data_dir, prefix, n):
    with gzip.open(os.path.join(data_dir, prefix + "-images-idx3-ubyte.gz")) as f:
        images = torch.frombuffer(bytearray(f.read()[16:16 + n * 784]), dtype=torch.uint8)
    with gzip.open(os.path.join(data_dir, prefix + "-labels-idx1-ubyte.gz")) as f:
        labels = torch.frombuffer(bytearray(f.read()[8:8 + n]), dtype=torch.uint8)
    return images.float().div(255).view(n, 1, 28, 28), labels.long()


def main(args):
    torch.manual_seed(args["seed"])
    train_x, train_y = load(args["data_dir"], "train", args["samples"])
    test_x, test_y = load(args["data_dir"], "t10k", args["samples"])
    model = Net(hidden_size=args["hidden_size"])
    get_and_apply_next_architecture(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=args["lr"], momentum=args["momentum"])
    for epoch in range(1, args["epochs"] + 1):
        for i in range(0, len(train_x), args["batch_size"]):
            optimizer.zero_grad()
            F.nll_loss(model(train_x[i:i + args["batch_size"]]),
                       train_y[i:i + args["batch_size"]]).backward()
            optimizer.step()
        with torch.no_grad():
            acc = 100.0 * (model(test_x).argmax(1) == test_y).float().mean().item()
        if epoch < args["epochs"]:
            nni.report_intermediate_result(acc)
        else:
            nni.report_final_result(acc)
        logger.debug("epoch %d: accuracy %.2f", epoch, acc)


def get_params():
    parser = argparse.ArgumentParser(description="PyTorch MNIST Example")
    parser.add_argument("--data_dir", type=str, default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--hidden_size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--momentum", type=float, default=0.5)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--seed", type=int, default=1)
    args, _ = parser.parse_known_args()
    return args


if __name__ == "__main__":
    try:
        params = vars(get_params())
        main(params)
    except Exception as exception:
        logger.exception(exception)
        raise

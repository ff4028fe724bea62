"""Archer's classic-NAS example in Python: (Fashion-)MNIST with PyTorch.

    python3 mnist.py [--space nni|cells] [flags]     standalone (first candidates), or as a
                                                     trial under `archer create`
    NNI_GEN_SEARCH_SPACE=ss.json python3 mnist.py    writes the search space (what
                                                     `archer ss_gen` does)
    python3 mnist.py --architecture best.json        trains one given architecture

The same two spaces, recipe and flags as the LibTorch example (examples/mnist):
--space nni is NNI's MNIST network (8 architectures; its ss_gen output is NNI's byte for
byte), --space cells a stem and cells over six operations (46,656 architectures).
--validation_samples N holds out the last N training images and reports their accuracy as
{"default": accuracy, "seconds": the epoch's seconds}; otherwise the test accuracy (percent).
Data: Debian's Fashion-MNIST (apt-get install dataset-fashion-mnist), read from its gzipped
IDX files; --data_dir takes any folder with the four MNIST files, gzipped or not.
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

import archer
from archer.nas import InputChoice, LayerChoice, get_and_apply_next_architecture

OPS = ("conv3x3", "conv5x5", "sepconv3x3", "maxpool3x3", "avgpool3x3", "identity")


class NniMnistNet(nn.Module):
    """NNI's classic-NAS MNIST network: first_conv, mid_conv, skip."""

    def __init__(self, hidden_size):
        super().__init__()
        self.conv1 = LayerChoice(OrderedDict([("conv5x5", nn.Conv2d(1, 20, 5)),
                                              ("conv3x3", nn.Conv2d(1, 20, 3))]),
                                 key="first_conv")
        self.mid_conv = LayerChoice([nn.Conv2d(20, 20, 3, padding=1),
                                     nn.Conv2d(20, 20, 5, padding=2)], key="mid_conv")
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(4 * 4 * 50, hidden_size)
        self.fc2 = nn.Linear(hidden_size, 10)
        self.input_switch = InputChoice(n_candidates=2, n_chosen=1, key="skip")

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # 12x12 or 13x13
        old_x = x
        x = F.relu(self.mid_conv(x))
        x = x + self.input_switch([torch.zeros_like(old_x), old_x])
        x = F.max_pool2d(F.relu(self.conv2(x)), 2).flatten(1)  # 4x4x50 either way
        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


def conv_bn_relu(c, k, groups=1):
    return nn.Sequential(nn.Conv2d(c, c, k, padding=k // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(c), nn.ReLU())


def make_op(name, c):
    if name == "conv3x3":
        return conv_bn_relu(c, 3)
    if name == "conv5x5":
        return conv_bn_relu(c, 5)
    if name == "sepconv3x3":
        return nn.Sequential(nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False),
                             nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU())
    if name == "maxpool3x3":
        return nn.MaxPool2d(3, stride=1, padding=1)
    if name == "avgpool3x3":
        return nn.AvgPool2d(3, stride=1, padding=1)
    return nn.Identity()


class CellNet(nn.Module):
    """A stride-2 stem, then cells at 14x14: cell i applies one of the operations to the sum
    of the inputs it picks from the stem and the earlier cells (1; 2 for the last cell)."""

    def __init__(self, channels, cells, ops=OPS):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, channels, 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(channels), nn.ReLU())
        self.cell_inputs, self.cell_ops = [], []  # registered below, cell by cell (C++'s order)
        sources = [InputChoice.NO_KEY]  # "": the stem
        for i in range(cells):
            name = "cell%d" % i
            if i > 0:
                choice = InputChoice(choose_from=list(sources), key=name + "_input",
                                     n_chosen=2 if i == cells - 1 else 1)
                self.add_module(name + "_in", choice)
                self.cell_inputs.append(choice)
            op = LayerChoice(OrderedDict((o, make_op(o, channels)) for o in ops), key=name + "_op")
            self.add_module(name + "_op", op)
            self.cell_ops.append(op)
            sources.append(name + "_op")
        self.classifier = nn.Linear(channels * 7 * 7, 10)

    def forward(self, x):
        outputs = [self.stem(x)]  # 14x14
        for i, op in enumerate(self.cell_ops):
            outputs.append(op(outputs[0] if i == 0 else self.cell_inputs[i - 1](outputs)))
        y = F.max_pool2d(outputs[-1], 2).flatten(1)  # 7x7
        return F.log_softmax(self.classifier(y), dim=1)


def read_idx(data_dir, name):
    """An IDX file's array as a uint8 tensor (`name` or `name`.gz in data_dir)."""
    path = os.path.join(data_dir, name)
    opener = open
    if not os.path.exists(path):
        path, opener = path + ".gz", gzip.open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 8:
        raise ValueError("%s: not an IDX file of bytes" % path)
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def load_split(data_dir, train):
    """(images as floats in [0, 1], shape N x 1 x 28 x 28; labels), or exits with a line
    naming the file and what to install."""
    prefix = "train" if train else "t10k"
    name = prefix + "-images-idx3-ubyte"
    try:
        images = read_idx(data_dir, name).float().div_(255).unsqueeze(1)
        name = prefix + "-labels-idx1-ubyte"
        labels = read_idx(data_dir, name).long()
        if images.dim() != 4 or images.shape[0] != labels.shape[0]:
            raise ValueError("the images and labels do not match")
    except FileNotFoundError:
        sys.exit("mnist.py: error: %s(.gz): not found (Fashion-MNIST: apt-get install "
                 "dataset-fashion-mnist; or --data_dir a folder with the four MNIST files)"
                 % os.path.join(data_dir, name))
    except (OSError, ValueError, RuntimeError, struct.error, EOFError) as e:
        sys.exit("mnist.py: error: %s: not valid MNIST IDX files (%s); reinstall "
                 "dataset-fashion-mnist or check --data_dir" % (os.path.join(data_dir, name), e))
    return images, labels


def evaluate(net, images, labels, batch):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            correct += (net(images[i:i + batch]).argmax(1) == labels[i:i + batch]).sum().item()
    net.train()
    return 100.0 * correct / len(images)


def read_architecture(path):
    """NNI's architecture JSON in `path`, or a parameter.cfg record (its "parameters")."""
    with open(path) as f:
        arch = json.load(f)
    return arch["parameters"] if isinstance(arch, dict) and "parameters" in arch else arch


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--space", choices=("nni", "cells"), default="nni")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch_size", type=int, default=64)
    p.add_argument("--test_batch_size", type=int, default=1000)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.5)
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    p.add_argument("--hidden_size", type=int, default=512)
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--cells", type=int, default=4)
    p.add_argument("--ops", default="", help="comma-separated cell operations (default all)")
    p.add_argument("--train_samples", type=int, default=0, help="0: all")
    p.add_argument("--test_samples", type=int, default=0, help="0: all")
    p.add_argument("--validation_samples", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--latency_batch", type=int, default=1)
    p.add_argument("--data_dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--architecture", default="", help="train this architecture (JSON file)")
    args = p.parse_args(argv)
    ops = [o for o in args.ops.split(",") if o] or list(OPS)
    unknown = [o for o in ops if o not in OPS]
    if unknown or len(set(ops)) != len(ops):
        p.error("--ops: expected distinct names among %s, got %r" % (", ".join(OPS), args.ops))
    args.ops = ops
    for name in ("epochs", "batch_size", "test_batch_size", "hidden_size", "channels",
                 "cells", "latency_batch"):
        if getattr(args, name) < 1:
            p.error("--%s: expected an integer >= 1" % name)
    return args


def main(argv):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    if args.space == "nni":
        net = NniMnistNet(args.hidden_size)
    else:
        net = CellNet(args.channels, args.cells, args.ops)
    # The architecture first: ss_gen and the cost probe exit here, before the data is read.
    # Its costs (params, MACs, latency of --latency_batch images) join the final metric.
    if args.architecture:
        try:
            archer.apply_architecture(net, read_architecture(args.architecture),
                                      args.architecture)
        except (OSError, ValueError) as e:
            sys.exit("mnist.py: error: %s" % e)
    else:
        get_and_apply_next_architecture(net, cost_input=torch.zeros(args.latency_batch, 1, 28, 28))
    print("architecture: %s" % json.dumps(archer.applied_architecture(net)), file=sys.stderr)

    images, labels = load_split(args.data_dir, train=True)
    if args.validation_samples:
        if args.validation_samples >= len(images):
            sys.exit("mnist.py: error: --validation_samples: expected fewer than the %d "
                     "training images" % len(images))
        rest = len(images) - args.validation_samples
        test_images, test_labels = images[rest:], labels[rest:]
        images, labels = images[:rest], labels[:rest]
    else:
        test_images, test_labels = load_split(args.data_dir, train=False)
        if args.test_samples:
            test_images, test_labels = test_images[:args.test_samples], \
                test_labels[:args.test_samples]
    if args.train_samples:
        images, labels = images[:args.train_samples], labels[:args.train_samples]

    if args.optimizer == "adam":
        optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    else:
        optimizer = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum)
    result = None
    # Checkpoints in the trial's own directory: a trial whose Slurm job was requeued
    # (preemption, node failure) is started again there and resumes after its last epoch.
    checkpoint = (os.path.join(os.environ["NNI_OUTPUT_DIR"], "checkpoint.pt")
                  if os.environ.get("NNI_OUTPUT_DIR") else None)
    first_epoch = 1
    if checkpoint and archer.restart_count() > 0 and os.path.exists(checkpoint):
        saved = torch.load(checkpoint)
        net.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        torch.set_rng_state(saved["rng"])
        first_epoch, result = saved["epoch"] + 1, saved["result"]
        print("restart %d: resuming after epoch %d" % (archer.restart_count(), saved["epoch"]),
              flush=True)
    for epoch in range(first_epoch, args.epochs + 1):
        start = time.monotonic()
        order = torch.randperm(len(images))
        loss_sum, batches = 0.0, 0
        for i in range(0, len(images), args.batch_size):
            idx = order[i:i + args.batch_size]
            optimizer.zero_grad()
            loss = F.nll_loss(net(images[idx]), labels[idx])
            loss.backward()
            optimizer.step()
            loss_sum += loss.item()
            batches += 1
        accuracy = evaluate(net, test_images, test_labels, args.test_batch_size)
        seconds = time.monotonic() - start
        print("epoch %d: loss %.4f, %s accuracy %.2f%%" % (
            epoch, loss_sum / batches, "validation" if args.validation_samples else "test",
            accuracy), flush=True)
        result = ({"default": accuracy, "seconds": round(seconds, 3)}
                  if args.validation_samples else accuracy)
        if epoch < args.epochs:
            archer.report_intermediate_result(result)
            if checkpoint:
                torch.save({"epoch": epoch, "model": net.state_dict(),
                            "optimizer": optimizer.state_dict(),
                            "rng": torch.get_rng_state(), "result": result},
                           checkpoint + ".tmp")
                os.replace(checkpoint + ".tmp", checkpoint)
    archer.report_final_result(result)


if __name__ == "__main__":
    main(sys.argv[1:])

"""How well does each zero-cost signal rank NAS-Bench-201's cells?

For every cell, Spearman's rank correlation (ties ranked by their mean) of each signal with
the cell's 12-epoch accuracy (validation and test, each dataset):
  * synflow   — Archer's own (archer::nn::synflow_score, data-free) on its LibTorch
                NAS-Bench-201 network, one per dataset: bench/data/nb201_zero_cost/nb201_synflow.csv
                (`nb201_costs --synflow`);
  * naswot    — measured on real CIFAR-10 minibatches (../shared/data/nasbench201/nb201_naswot.csv,
                see its README), used for every dataset;
  * params, macs — Archer's counts on the same network (bench/data/nb201_costs/nb201_costs.csv).
Writes the "nb201_signals" section of docs/benchmarks.md (--no-docs: print only).

Usage: python3 bench/nb201_signal_rank.py [--shared ../shared] [--synflow CSV] [--no-docs]
Standard library only.
"""
import argparse
import csv
import datetime
import math
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from proxy_rank_bench import pearson, ranks  # noqa: E402 (the one rank definition)
OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
DATASETS = [("cifar10", "cifar10_valid_xvalid_hp12", "cifar10_oritest_hp12"),
            ("cifar100", "cifar100_xvalid_hp12", "cifar100_xtest_hp12"),
            ("imagenet16", "imagenet16_xvalid_hp12", "imagenet16_xtest_hp12")]


def code_of(cell):
    """The cell's index in Archer's tables: its six ops, base 5, in the string's edge order."""
    code = 0
    for token in cell.strip("|").split("|"):
        if token in ("+", ""):
            continue
        code = code * 5 + OPS.index(token.split("~")[0])
    return code


def spearman(a, b):
    """Spearman's rho: the Pearson correlation of the ranks (ties: mean ranks)."""
    return pearson(ranks(a), ranks(b))


def read(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--synflow", default=os.path.join(ROOT, "bench", "data", "nb201_zero_cost",
                                                       "nb201_synflow.csv"))
    ap.add_argument("--no-docs", action="store_true")
    args = ap.parse_args()
    data = os.path.join(args.shared, "data", "nasbench201")
    acc = {}
    for row in read(os.path.join(data, "nb201_hp12.csv")):
        acc[code_of(row["arch_str"])] = row
    naswot = {code_of(r["arch_str"]): float(r["naswot_cifar10"])
              for r in read(os.path.join(data, "nb201_naswot.csv")) if r["naswot_cifar10"]}
    synflow = {int(r["index"]): r for r in read(args.synflow)}
    costs = {int(r["index"]): r for r in
             read(os.path.join(ROOT, "bench", "data", "nb201_costs", "nb201_costs.csv"))}
    lines = ["| signal | dataset | cells | Spearman vs validation | Spearman vs test |",
             "|---|---|---:|---:|---:|"]
    best = {}
    for name, valid_col, test_col in DATASETS:
        signals = {
            "synflow (Archer, data-free)": lambda c, n=name: float(synflow[c]["synflow_" + n]),
            "naswot (CIFAR-10 minibatches)": lambda c: naswot[c],
            "params": lambda c, n=name: float(costs[c]["params_" + n]),
            "macs": lambda c, n=name: float(costs[c]["macs_" + n]),
        }
        for label, signal in signals.items():
            cells = []
            for c, row in acc.items():
                try:
                    s = signal(c)
                except KeyError:
                    continue
                if math.isnan(s):
                    continue
                cells.append((s, float(row[valid_col]), float(row[test_col])))
            rho_v = spearman([x[0] for x in cells], [x[1] for x in cells])
            rho_t = spearman([x[0] for x in cells], [x[2] for x in cells])
            lines.append("| %s | %s | %d | %.3f | %.3f |" % (label, name, len(cells), rho_v, rho_t))
            if rho_v > best.get(name, ("", -2))[1]:
                best[name] = (label, rho_v)
            print(lines[-1], flush=True)
    text = ("Measured %s. `python3 bench/nb201_signal_rank.py`: each signal's rank correlation "
            "with NAS-Bench-201's 12-epoch accuracies over every cell it is defined for.\n\n"
            % datetime.date.today().isoformat()) + "\n".join(lines) + "\n\nBest by validation: " + \
        "; ".join("%s: %s (%.3f)" % (d, b[0], b[1]) for d, b in best.items()) + ".\n"
    if not args.no_docs:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "update_section.py"),
                        os.path.join(ROOT, "docs", "benchmarks.md"), "nb201_signals",
                        "Zero-cost signals on NAS-Bench-201", text], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""archer.nas.zero_cost against the same hand-computed values as the C++ library's tests, and
the model left as it was (training afterwards unaffected)."""
import math
import unittest

import torch
from torch import nn

from archer.nas import zero_cost as zc


def linear(i, o, w, b=None):
    layer = nn.Linear(i, o, bias=b is not None)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(w, dtype=torch.float).reshape(o, i))
        if b is not None:
            layer.bias.copy_(torch.tensor(b, dtype=torch.float))
    return layer


class ZeroCostTest(unittest.TestCase):
    def test_synflow_is_the_log_of_parameter_times_gradient(self):
        # R = |W2| |W1| 1 = 10; a network homogeneous of degree 2 scores 2R.
        net = nn.Sequential(linear(2, 2, [1, -2, 3, 0.5]), nn.ReLU(), linear(2, 1, [-1, 2]))
        self.assertAlmostEqual(zc.synflow_score(net, net, torch.randn(5, 2)), math.log(20),
                               places=9)

    def test_grad_norm_is_the_sum_of_gradient_norms(self):
        net = nn.Sequential(linear(2, 2, [1, 0, 0, 1]))
        p0 = math.e / (math.e + math.e ** 2)
        self.assertAlmostEqual(zc.grad_norm_score(net, net, torch.tensor([[1.0, 2.0]]),
                                                  torch.tensor([0])),
                               (1 - p0) * math.sqrt(2) * math.sqrt(5), places=5)
        self.assertIsNone(zc.grad_norm_score(net, net, torch.ones(1, 2), None))

    def test_naswot_is_the_log_determinant_of_activation_agreements(self):
        # Codes 100, 101, 010: K = [[3 2 1] [2 3 0] [1 0 3]], det 12.
        net = nn.Sequential(linear(1, 3, [1, -1, 0.5], [0, 0.5, -1]), nn.ReLU())
        self.assertAlmostEqual(zc.naswot_score(net, net, torch.tensor([[1.0], [3.0], [-1.0]])),
                               math.log(12), places=9)
        plain = nn.Sequential(linear(1, 1, [1]))
        self.assertIsNone(zc.naswot_score(plain, plain, torch.ones(3, 1)))

    def test_jacob_cov_scores_the_input_gradients_correlation(self):
        net = nn.Sequential(linear(3, 1, [1, 2, 3]))
        k = 1e-5
        want = -(math.log(4 + k) + 1 / (4 + k) + 3 * (math.log(k) + 1 / k))
        self.assertAlmostEqual(zc.jacob_cov_score(net, net, torch.randn(4, 3)) / want, 1,
                               places=6)

    def net(self):
        torch.manual_seed(1)
        return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                             nn.Dropout(0.5), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))

    def train(self, net):
        torch.manual_seed(7)
        opt = torch.optim.SGD(net.parameters(), 0.1)
        x, y = torch.randn(6, 1, 8, 8), torch.tensor([0, 1, 2, 0, 1, 2])
        net.train()
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    def test_the_model_is_left_as_it_was_and_trains_the_same(self):
        scored, plain = self.net(), self.net()
        scored.train()
        scored[3].eval()
        scored[5].weight.grad = torch.full_like(scored[5].weight, 3)
        before = [t.detach().clone() for t in list(scored.parameters()) + list(scored.buffers())]
        batch = torch.randn(6, 1, 8, 8)
        rng = torch.get_rng_state()
        s = zc.zero_cost_scores(scored, scored, batch, torch.tensor([0, 1, 2, 0, 1, 2]))
        self.assertEqual(set(s), {"synflow", "grad_norm", "naswot", "jacob_cov"})
        for t, b in zip(list(scored.parameters()) + list(scored.buffers()), before):
            self.assertTrue(torch.equal(t, b))
            self.assertEqual(t.dtype, b.dtype)
        self.assertTrue(scored.training)
        self.assertFalse(scored[3].training)
        self.assertTrue(torch.equal(scored[5].weight.grad, torch.full_like(scored[5].weight, 3)))
        self.assertIsNone(scored[0].weight.grad)
        self.assertTrue(torch.equal(rng, torch.get_rng_state()))
        scored[5].weight.grad = None
        scored[3].train()
        self.assertEqual(self.train(scored), self.train(plain))

    def test_a_failing_forward_pass_is_named_and_the_model_restored(self):
        net = nn.Sequential(linear(2, 1, [1, 2]))
        w = net[0].weight.detach().clone()
        with self.assertRaisesRegex(zc.ZeroCostError,
                                    "zero-cost score synflow: the forward pass failed"):
            zc.synflow_score(net, lambda x: net(x.reshape(-1, 3)), torch.ones(2, 2))
        self.assertTrue(torch.equal(net[0].weight, w))
        self.assertEqual(net[0].weight.dtype, torch.float)


if __name__ == "__main__":
    unittest.main()

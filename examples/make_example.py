#!/usr/bin/python3
"""Regenerates examples/mobilenet_tiny.onnx, the quickstart's bundled model.

Run with Debian's system python (torch 1.13): /usr/bin/python3 examples/make_example.py

A small MobileNet-style CNN for 1x3x32x32 inputs that covers the common CNN
ops: convolution, BatchNorm, ReLU, residual add, depthwise convolution, max
and global average pooling, and a final Linear. Weights are seeded, and the
BatchNorm statistics are calibrated on seeded data (so they are not the
trivial mean 0 / var 1), so the output file is the same on every run.
"""

import argparse
import os
import warnings

import torch
import torch.nn as nn

SEED = 0


def conv_bn(c_in, c_out, kernel, stride=1, groups=1, relu=True):
    layers = [nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False),
              nn.BatchNorm2d(c_out)]
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """1x1 expand, 3x3 depthwise, 1x1 project, plus the skip connection."""

    def __init__(self, channels, expand=3):
        super().__init__()
        hidden = channels * expand
        self.body = nn.Sequential(
            conv_bn(channels, hidden, 1),
            conv_bn(hidden, hidden, 3, groups=hidden),
            conv_bn(hidden, channels, 1, relu=False),
        )

    def forward(self, x):
        return x + self.body(x)


class MobileNetTiny(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 16, 3),                 # 16x32x32
            nn.MaxPool2d(2),                   # 16x16x16
            InvertedResidual(16),
            conv_bn(16, 32, 3, stride=2),      # 32x8x8
            InvertedResidual(32),
            nn.AdaptiveAvgPool2d(1),           # 32x1x1
        )
        self.classifier = nn.Linear(32, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


@torch.no_grad()
def build():
    torch.manual_seed(SEED)
    model = MobileNetTiny()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0.0, 0.1)
            m.momentum = None  # running stats = plain average over calibration batches
    model.train()
    for _ in range(2):
        model(torch.randn(16, 3, 32, 32))
    return model.eval()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-o", "--output", default=os.path.join(here, "mobilenet_tiny.onnx"))
    args = p.parse_args()
    torch.set_num_threads(1)  # bit-reproducible calibration
    # PRESERVE + constant folding is fine for a model in eval mode.
    warnings.filterwarnings("ignore", message="It is recommended that constant folding")
    model = build()
    with torch.no_grad():
        torch.onnx.export(model, (torch.randn(1, 3, 32, 32),), args.output,
                          opset_version=17, do_constant_folding=True,
                          input_names=["input"], output_names=["output"],
                          # PRESERVE, not the default EVAL: EVAL folds BatchNorm into
                          # Conv during export, and folding BN is mlc's job to test.
                          training=torch.onnx.TrainingMode.PRESERVE)
    print("wrote %s (%d bytes)" % (args.output, os.path.getsize(args.output)))


if __name__ == "__main__":
    main()

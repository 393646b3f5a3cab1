#!/usr/bin/python3
"""Exports the benchmark and end-to-end test models to ONNX, deterministically.

Run with Debian's system python (it has torch 1.13 and torchvision 0.14):

    /usr/bin/python3 benchmarks/models/export_models.py [--out models] [--only NAME ...]

Weights are random but seeded. BatchNorm layers get seeded random affine
parameters and running statistics calibrated on seeded random data, so that BN
folding is exercised for real (fresh BN has mean 0 / var 1, which hides bugs)
while activations stay well scaled through deep networks.

Every model is exported in eval mode at opset 17 with constant folding and
fixed shapes (--dynamic-seq makes BERT's sequence dim symbolic, --dynamic-batch
the batch dim of the torchvision CNNs), keeping
BatchNormalization nodes in the graph. Existing files are kept unless --force
is given or this script has changed since they were made.
"""

import argparse
import hashlib
import math
import os
import sys
import time
import warnings

import torch
import torch.nn as nn

OPSET = 17
SEED = 0


def seed_everything(seed=SEED):
    torch.manual_seed(seed)


@torch.no_grad()
def randomize_batchnorm(model, calib_input, steps=2):
    """Gives every BatchNorm seeded random affine params and real running stats."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for bn in bns:
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.normal_(0.0, 0.1)
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the calibration batches
    model.train()
    for _ in range(steps):
        model(calib_input())
    model.eval()
    return len(bns)


class Mlp(nn.Module):
    """Three Linear+ReLU layers: the smallest model with weights."""

    def __init__(self, d_in=256, d_hidden=512, d_out=128):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(d_in, d_hidden), nn.ReLU(),
            nn.Linear(d_hidden, d_hidden), nn.ReLU(),
            nn.Linear(d_hidden, d_out), nn.ReLU(),
        )

    def forward(self, x):
        return self.layers(x)


class EncoderLayer(nn.Module):
    """Post-LayerNorm BERT layer with attention spelled out as matmul/softmax."""

    def __init__(self, hidden=768, heads=12, ffn=3072, eps=1e-12, batch=1):
        super().__init__()
        self.batch = batch
        self.heads = heads
        self.head_dim = hidden // heads
        self.q = nn.Linear(hidden, hidden)
        self.k = nn.Linear(hidden, hidden)
        self.v = nn.Linear(hidden, hidden)
        self.o = nn.Linear(hidden, hidden)
        self.ln1 = nn.LayerNorm(hidden, eps=eps)
        self.ffn_in = nn.Linear(hidden, ffn)
        self.gelu = nn.GELU()  # exact (erf) GELU
        self.ffn_out = nn.Linear(ffn, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=eps)

    def split_heads(self, x):
        # [B, S, H] -> [B, heads, S, head_dim]; -1 keeps the sequence dim symbolic.
        return x.reshape(self.batch, -1, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x):
        q = self.split_heads(self.q(x))
        k = self.split_heads(self.k(x))
        v = self.split_heads(self.v(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(self.batch, -1,
                                                             self.heads * self.head_dim)
        x = self.ln1(x + self.o(ctx))
        return self.ln2(x + self.ffn_out(self.gelu(self.ffn_in(x))))


class BertEncoder(nn.Module):
    """Token + learned position embeddings, LayerNorm, then N encoder layers."""

    def __init__(self, vocab=30522, hidden=768, max_pos=512, layers=4, seq_len=128,
                 dynamic_seq=False, batch=1):
        super().__init__()
        self.seq_len = seq_len
        self.dynamic_seq = dynamic_seq
        self.tok = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(max_pos, hidden)
        self.ln = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(EncoderLayer(hidden, batch=batch) for _ in range(layers))
        self.register_buffer("position_ids", torch.arange(max_pos).unsqueeze(0), persistent=False)

    def forward(self, input_ids):
        seq = input_ids.shape[1] if self.dynamic_seq else self.seq_len
        x = self.tok(input_ids) + self.pos(self.position_ids[:, :seq])
        x = self.ln(x)
        for layer in self.layers:
            x = layer(x)
        return x


class Bundle:
    """One exportable model: how to build it and its example input."""

    def __init__(self, build, example, input_name="input", dynamic_axes=None, no_grad=True):
        self.build = build
        self.example = example
        self.input_name = input_name
        self.dynamic_axes = dynamic_axes
        self.no_grad = no_grad


def tie_layers(layers):
    """Gives layers[1:] the parameters and buffers of layers[0] (same shapes).

    Each copy then differs from the first in the first element of each tensor,
    so that no exporter or compiler merges them: the model keeps one copy of
    the weights per layer in memory, as an untied one does, but the copies
    compress to almost nothing.
    """
    with torch.no_grad():
        state = layers[0].state_dict()
        for k, layer in enumerate(layers[1:], start=1):
            layer.load_state_dict(state)
            for t in layer.state_dict().values():
                if t.is_floating_point() and t.numel():
                    t.view(-1)[0] += 1e-3 * k


CNNS = ("resnet50", "mobilenet_v2", "squeezenet1_1")


def torchvision_cnn(arch, batch=1, tied=False, dynamic_batch=False):
    def build():
        import torchvision
        model = getattr(torchvision.models, arch)(weights=None)
        with torch.no_grad():  # zero-initialised biases would be deduplicated into Identity nodes
            for m in model.modules():
                bias = getattr(m, "bias", None)
                if isinstance(m, (nn.Conv2d, nn.Linear)) and bias is not None and not bias.any():
                    bias.normal_(0.0, 0.01)
        g = torch.Generator().manual_seed(SEED + 1)
        randomize_batchnorm(model, lambda: torch.randn(4, 3, 224, 224, generator=g))
        if tied:  # the blocks after the first of each ResNet stage
            for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
                tie_layers(list(stage)[1:])
        return model
    axes = {"input": {0: "batch"}, "output": {0: "batch"}} if dynamic_batch else None
    return Bundle(build, lambda: torch.randn(batch, 3, 224, 224), dynamic_axes=axes)


def vit_b_16(batch=1, tied=False):
    """torchvision's ViT-B/16 with seeded random weights (no BatchNorm to calibrate)."""
    def build():
        import torchvision
        model = torchvision.models.vit_b_16(weights=None)
        # torchvision zero-initialises the class token, the classifier and
        # every LayerNorm bias; trained models have none of that, and
        # identical all-zero tensors would be deduplicated by the exporter.
        with torch.no_grad():
            model.class_token.normal_(0.0, 0.02)
            model.heads.head.weight.normal_(0.0, 0.02)
            for m in model.modules():
                if isinstance(m, nn.Linear):
                    m.bias.normal_(0.0, 0.02)
                if isinstance(m, nn.LayerNorm):
                    m.weight.uniform_(0.8, 1.2)
                    m.bias.normal_(0.0, 0.05)
        if tied:
            tie_layers(list(model.encoder.layers))
        return model
    # Traced with autograd on: under no_grad, eval-mode nn.MultiheadAttention
    # takes torch's fused fast path (aten::_native_multi_head_attention),
    # which has no ONNX export; with grad on it is spelled out as
    # MatMul/Softmax like the BERT encoder.
    return Bundle(build, lambda: torch.randn(batch, 3, 224, 224), no_grad=False)


def bert_encoder(dynamic_seq, batch=1, tied=False):
    def build():
        model = BertEncoder(dynamic_seq=dynamic_seq, batch=batch)
        # BERT's N(0, 0.02) initializer, but with random biases and LayerNorm
        # params too: trained models have them, and identical all-zero
        # tensors would be deduplicated into Identity nodes by the exporter.
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    m.weight.normal_(0.0, 0.02)
                if isinstance(m, nn.Linear):
                    m.bias.normal_(0.0, 0.02)
                if isinstance(m, nn.LayerNorm):
                    m.weight.uniform_(0.8, 1.2)
                    m.bias.normal_(0.0, 0.05)
            if tied:
                rows = model.tok.weight.shape[0]
                index = torch.arange(rows) % 256
                model.tok.weight.copy_(model.tok.weight[index])
        if tied:
            tie_layers(list(model.layers))
        return model
    axes = {"input_ids": {1: "seq"}, "output": {1: "seq"}} if dynamic_seq else None
    return Bundle(build, lambda: torch.randint(0, 30522, (batch, 128), dtype=torch.int64),
                  input_name="input_ids", dynamic_axes=axes)


def models(dynamic_seq, batch=1, tied=False, dynamic_batch=False):
    return {
        "mlp": Bundle(Mlp, lambda: torch.randn(batch, 256)),
        "resnet50": torchvision_cnn("resnet50", batch, tied, dynamic_batch),
        "mobilenet_v2": torchvision_cnn("mobilenet_v2", batch,
                                        dynamic_batch=dynamic_batch),
        "squeezenet1_1": torchvision_cnn("squeezenet1_1", batch,
                                         dynamic_batch=dynamic_batch),
        "vit_b_16": vit_b_16(batch, tied),
        "bert_encoder": bert_encoder(dynamic_seq, batch, tied),
    }


def export(bundle, path):
    seed_everything()
    model = bundle.build()
    model.eval()
    example = bundle.example()
    tmp = path + ".tmp"
    with torch.set_grad_enabled(not bundle.no_grad):
        torch.onnx.export(
            model, (example,), tmp,
            export_params=True,
            opset_version=OPSET,
            do_constant_folding=True,
            # PRESERVE (the model is in eval mode) rather than the default EVAL:
            # EVAL folds BatchNorm into Conv during export, and BN folding is
            # the compiler's job, which these models are meant to test.
            training=torch.onnx.TrainingMode.PRESERVE,
            input_names=[bundle.input_name],
            output_names=["output"],
            dynamic_axes=bundle.dynamic_axes,
        )
    os.replace(tmp, path)


def main():
    all_names = list(models(False))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p.add_argument("--out", default=os.path.join(root, "models"),
                   help="output directory (default: models/ at the repository root)")
    p.add_argument("--only", nargs="+", choices=all_names, metavar="NAME",
                   help="export only these (default: all of %s)" % ", ".join(all_names))
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.add_argument("--dynamic-seq", action="store_true",
                   help="mark bert_encoder's sequence dim dynamic (named 'seq'); "
                        "writes bert_encoder_dynamic.onnx")
    p.add_argument("--dynamic-batch", action="store_true",
                   help="mark the batch dim of resnet50, mobilenet_v2 and squeezenet1_1 "
                        "dynamic (named 'batch'); writes NAME_dynbatch.onnx")
    p.add_argument("--batch", type=int, default=1,
                   help="batch size (default 1; other sizes write NAME_bN.onnx)")
    p.add_argument("--tied", action="store_true",
                   help="repeated layers share weights (writes NAME_tied.onnx; see above)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch intra-op threads (default 1, for bit-reproducible weights)")
    args = p.parse_args()

    # Files made by another version of this script are stale: remove them.
    stamp = os.path.join(args.out, ".export_models.sha256")
    with open(os.path.abspath(__file__), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    os.makedirs(args.out, exist_ok=True)
    old = open(stamp).read().strip() if os.path.exists(stamp) else None
    if old != digest:
        for file in sorted(os.listdir(args.out)):
            stem = file[:-len(".onnx")]
            if file.endswith(".onnx") and any(stem == n or stem.startswith(n + "_")
                                              for n in all_names):
                print("%-20s stale (export script changed), removed" % stem)
                os.remove(os.path.join(args.out, file))
        with open(stamp, "w") as f:
            f.write(digest + "\n")

    torch.set_num_threads(args.threads)
    # PRESERVE + constant folding is fine for a model in eval mode.
    warnings.filterwarnings("ignore", message="It is recommended that constant folding")
    if args.batch < 1:
        p.error("--batch must be at least 1")
    table = models(args.dynamic_seq, args.batch, args.tied, args.dynamic_batch)
    for name in args.only or all_names:
        # The dynamic variant gets its own file so that it never stands in for the static one.
        stem = name + "_dynamic" if args.dynamic_seq and name == "bert_encoder" else name
        if args.dynamic_batch and name in CNNS:
            stem += "_dynbatch"
        if args.tied and name in ("resnet50", "vit_b_16", "bert_encoder"):
            stem += "_tied"
        if args.batch != 1:
            stem += "_b%d" % args.batch
        path = os.path.join(args.out, stem + ".onnx")
        if os.path.exists(path) and not args.force:
            print("%-20s exists, kept (%s)" % (stem, path))
            continue
        start = time.monotonic()
        try:
            export(table[name], path)
        except Exception as e:  # name the model, then fail
            print("error: exporting %s failed: %s" % (name, e), file=sys.stderr)
            raise
        print("%-20s %7.1f MB  %5.1f s  %s" % (
            stem, os.path.getsize(path) / 1e6, time.monotonic() - start, path), flush=True)


if __name__ == "__main__":
    main()

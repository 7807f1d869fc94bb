"""Fine-tuning EfficientNet-Lite0, images per second: the library against plain torch.

The same network (EfficientNet-Lite0 with ImageNet weights and a new 5-class
head), the same optimizer (Adam, lr 1e-4 on every parameter), batch size and
number of epochs, on the same random 224x224 images: once through
:class:`sktransfer.deep.FineTuningClassifier` (``fit(X, y)``, its whole
``fit``: validation of the data, the copy of the pretrained module, the
checks and callbacks of the loop), once through a plain torch loop (shuffled
batches sliced from one tensor, forward, cross-entropy, backward, step).
The runs alternate, and the best of ``--repeats`` is kept for each, so that
the ratio measures the overhead of the loop rather than the noise of a
shared machine. Needs the ``pretrained`` extra.

Usage::

    python benchmarks/deep_finetune_speed.py --n-images 64 --epochs 2 --repeats 3

On the CPU it uses ``--threads`` torch threads (default 2); with a GPU seen,
``--device cuda``.
"""

import argparse
import copy
import time

import numpy as np
import torch

from sktransfer.deep import FineTuningClassifier, load_efficientnet_lite0


def plain_torch(module, X, y, epochs, batch_size, lr, device, seed):
    torch.manual_seed(seed)
    module = copy.deepcopy(module).to(device).train()
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    criterion = torch.nn.CrossEntropyLoss()
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(X))
        for i in range(0, len(X), batch_size):
            index = order[i : i + batch_size]
            optimizer.zero_grad()
            loss = criterion(module(X[index].to(device)), y[index].to(device))
            loss.backward()
            optimizer.step()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def library(module, X, y, epochs, batch_size, lr, device, seed):
    net = FineTuningClassifier(
        module,
        lr=lr,
        transferred_lr_factor=1.0,
        batchnorm="train",  # as the plain loop: batch norm in training mode
        max_epochs=epochs,
        batch_size=batch_size,
        device=device,
        random_state=seed,
    )
    start = time.perf_counter()
    net.fit(X, y)
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-images", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    X = rng.random((args.n_images, 3, 224, 224), dtype=np.float32)
    y = rng.integers(0, 5, args.n_images)
    module = load_efficientnet_lite0(n_classes=5)
    common = (X, y, args.epochs, args.batch_size, 1e-4, args.device, 0)
    times = {"torch": [], "sktransfer": []}
    for _ in range(args.repeats):
        times["torch"].append(plain_torch(module, *common))
        times["sktransfer"].append(library(module, *common))
    n = args.n_images * args.epochs
    best = {name: min(values) for name, values in times.items()}
    for name, seconds in best.items():
        print(
            f"{name:<11} {n / seconds:6.1f} images/s  (best of {args.repeats}: "
            f"{seconds:.1f} s; all: {', '.join(f'{t:.1f}' for t in times[name])})"
        )
    overhead = best["sktransfer"] / best["torch"] - 1
    print(f"overhead of the library's loop: {overhead:+.1%}")


if __name__ == "__main__":
    main()

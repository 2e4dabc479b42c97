"""Two models made the way a plant's data scientist makes them, with PyTorch (Debian python3-torch),
for the gateway to run from their manifests alone.

  torch_models.py <dir>

reads <dir>/stream.json, written by the test:
  { "frames": 20, "channels": 3, "train": [[...3 values], ...], "test": [[...], ...] }
and writes into <dir>:
  torch-ae/model.onnx   convolutional autoencoder trained on the normal "train" frames; output "score"
                        [N] = mean squared reconstruction error of the z-scored window
  torch-rul/model.onnx  LSTM regressor with PyTorch's own initial weights (untrained); output "rul"
                        [N, 1] = 60 + 40 tanh(...)
  torch-rul-f64/model.onnx  the same LSTM in float64, as a user might export it by mistake
  torch-rul-dyn/model.onnx  the same LSTM with a dynamic time axis ([batch, time, channels])
  torch-feat/model.onnx  a small dense regressor (untrained) over each window's per-channel mean and std
                        (features layout, [N, 2 x channels]); output "rul" [N, 1] = 100 + 50 tanh(...) hours
  expected.json         { "mean", "std", "threshold", "ae": [...], "rul": [...], "featMean", "featStd", "feat": [...] }:
                        the z-score the frames manifests declare, the AE threshold (1.5 x the largest
                        training-window score), the features model's z-score, and PyTorch's own outputs
                        for each tumbling window of the "test" frames
"""
import copy
import json
import sys
from pathlib import Path

import torch

torch.manual_seed(7)
torch.set_num_threads(1)


class ConvAutoencoder(torch.nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.enc = torch.nn.Sequential(torch.nn.Conv1d(channels, 8, 5, padding=2), torch.nn.ReLU(), torch.nn.Conv1d(8, 2, 5, padding=2), torch.nn.ReLU())
        self.dec = torch.nn.Sequential(torch.nn.Conv1d(2, 8, 5, padding=2), torch.nn.ReLU(), torch.nn.Conv1d(8, channels, 5, padding=2))

    def forward(self, x):  # x: [N, frames, channels], the gateway's frames layout
        c = x.permute(0, 2, 1)
        r = self.dec(self.enc(c))
        return ((r - c) ** 2).mean(dim=(1, 2))


class LstmRul(torch.nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.lstm = torch.nn.LSTM(channels, 16, batch_first=True)
        self.head = torch.nn.Linear(16, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return 60 + 40 * torch.tanh(self.head(out[:, -1, :]))


class FeatureRegressor(torch.nn.Module):
    def __init__(self, inputs: int):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(inputs, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))

    def forward(self, f):
        return 100 + 50 * torch.tanh(self.net(f))


def features(w):
    """Per window, each channel's mean then population std, channel after channel (float64, as computed here)."""
    w = w.double()
    return torch.stack([w.mean(dim=1), w.std(dim=1, unbiased=False)], dim=2).reshape(w.shape[0], -1)


def windows(rows, frames):
    t = torch.tensor(rows, dtype=torch.float32)
    n = t.shape[0] // frames
    return t[: n * frames].reshape(n, frames, t.shape[1])


def export(model, example, path: Path, output: str, dynamic_time=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    model.eval()
    x_axes = {0: 'batch', 1: 'time'} if dynamic_time else {0: 'batch'}
    torch.onnx.export(model, example, str(path), input_names=['x'], output_names=[output],
                      dynamic_axes={'x': x_axes, output: {0: 'batch'}}, opset_version=13)


def main(out: Path):
    spec = json.loads((out / 'stream.json').read_text())
    frames = spec['frames']
    train = windows(spec['train'], frames)
    test = windows(spec['test'], frames)
    flat = train.reshape(-1, train.shape[2])
    mean, std = flat.mean(dim=0), flat.std(dim=0, unbiased=False)
    z_train, z_test = (train - mean) / std, (test - mean) / std

    ae = ConvAutoencoder(train.shape[2])
    opt = torch.optim.Adam(ae.parameters(), lr=1e-2)
    for _ in range(300):
        opt.zero_grad()
        loss = ae(z_train).mean()
        loss.backward()
        opt.step()
    rul = LstmRul(train.shape[2])
    export(ae, z_test[:2], out / 'torch-ae' / 'model.onnx', 'score')
    export(rul, z_test[:2], out / 'torch-rul' / 'model.onnx', 'rul')
    export(copy.deepcopy(rul).double(), z_test[:2].double(), out / 'torch-rul-f64' / 'model.onnx', 'rul')
    export(rul, z_test[:2], out / 'torch-rul-dyn' / 'model.onnx', 'rul', dynamic_time=True)
    f_train, f_test = features(train), features(test)
    f_mean, f_std = f_train.mean(dim=0), f_train.std(dim=0, unbiased=False)
    zf_test = ((f_test - f_mean) / f_std).float()
    feat = FeatureRegressor(f_train.shape[1])
    export(feat, zf_test[:2], out / 'torch-feat' / 'model.onnx', 'rul')
    with torch.no_grad():
        threshold = 1.5 * ae(z_train).max().item()
        expected = {
            'mean': mean.tolist(), 'std': std.tolist(), 'threshold': threshold,
            'ae': ae(z_test).tolist(), 'rul': rul(z_test)[:, 0].tolist(),
            'featMean': f_mean.tolist(), 'featStd': f_std.tolist(), 'feat': feat(zf_test)[:, 0].tolist(),
        }
    (out / 'expected.json').write_text(json.dumps(expected))


if __name__ == '__main__':
    main(Path(sys.argv[1]))

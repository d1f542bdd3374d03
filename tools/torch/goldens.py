"""The PyTorch golden fixtures of @gradscope/testkit (packages/testkit/fixtures/*.json).

Written by `/usr/bin/python3 tools/torch/make_fixtures.py goldens [--out DIR]` (see README.md).

Every weight, input and target is drawn in float32 from a fixed seed and then used in float64, so a float32
backend receives exactly the numbers PyTorch computed with. Everything PyTorch computes is float64. Recurrent
report norms come from an unrolled loop with retain_grad() on every h_t (and c_t); the script asserts that the
unrolled loop gives nn.LSTM / nn.GRU / nn.RNN's outputs and weight gradients. The fixtures are committed: CI never
runs Python.
"""

import json
import pathlib

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT_DIR = pathlib.Path(__file__).resolve().parents[2] / "packages" / "testkit" / "fixtures"

from conv_resnet import ConvResNet  # noqa: E402  (needs python3-torchvision)

BATCH = 3
INPUT_SIZE = 4
WIDTH = 6
HIDDEN = 5
OUTPUT_SIZE = 3
ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}
LOSSES = ("mse", "crossEntropy")

torch.set_num_threads(1)


# ---------------------------------------------------------------------------------------------------- helpers

def tensor_json(t):
    t = t.detach().to(torch.float64)
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def state_json(module):
    return {name: tensor_json(p) for name, p in module.state_dict().items()}


def assert_float32_exact(t, what):
    assert torch.equal(t.to(torch.float32).to(torch.float64), t.to(torch.float64)), f"{what} is not float32-representable"


def loss_of(name, output, target):
    if name == "mse":
        return F.mse_loss(output, target)
    return F.cross_entropy(output, target.long())


def make_target(name, batch, generator):
    """mse: float32 normal values [batch, outputSize]; crossEntropy: class labels [batch] (stored as numbers)."""
    if name == "mse":
        return torch.randn(batch, OUTPUT_SIZE, generator=generator).to(torch.float64)
    return torch.randint(0, OUTPUT_SIZE, (batch,), generator=generator).to(torch.float64)


def norm(t):
    return float(torch.linalg.vector_norm(t.to(torch.float64)))


def assert_close(a, b, what, rtol=1e-12):
    scale = max(float(b.abs().max()), 1e-300)
    err = float((a - b).abs().max()) / scale
    assert err <= rtol, f"{what}: relative error {err:.3e} > {rtol:.0e}"


# ---------------------------------------------------------------------------------------------------- residual

class DenseResidual(nn.Module):
    """stem Linear+act, `depth` blocks of `layers` Linear+act pairs (h <- h + f(h), or h <- f(h)), Linear head."""

    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        self.stem = nn.Linear(spec["inputSize"], spec["width"])
        self.blocks = nn.ModuleList(
            nn.ModuleList(nn.Linear(spec["width"], spec["width"]) for _ in range(spec["block"]["layers"]))
            for _ in range(spec["depth"])
        )
        self.head = nn.Linear(spec["width"], spec["outputSize"])

    def forward(self, x):
        act = ACTIVATIONS[self.spec["block"]["activation"]]
        h = act(self.stem(x))
        block_outputs = []
        for block in self.blocks:
            f = h
            for linear in block:
                f = act(linear(f))
            h = h + f if self.spec["block"]["skip"] == "identity" else f
            h.retain_grad()
            block_outputs.append(h)
        return self.head(h), block_outputs


def residual_spec(skip, activation, depth, layers):
    return {
        "kind": "residual", "inputSize": INPUT_SIZE, "outputSize": OUTPUT_SIZE, "width": WIDTH, "depth": depth,
        "block": {"layers": layers, "activation": activation, "skip": skip},
    }


def residual_case(spec, seed):
    torch.manual_seed(seed)
    model = DenseResidual(spec)  # PyTorch's default init, in float32
    gen = torch.Generator().manual_seed(seed + 1)
    x32 = torch.randn(BATCH, INPUT_SIZE, generator=gen)
    model = model.double()
    for name, p in model.state_dict().items():
        assert_float32_exact(p, name)
    x = x32.to(torch.float64)
    output, _ = model(x)
    skip = "residual" if spec["block"]["skip"] == "identity" else "plain"
    case = {
        "id": f"{skip} {spec['block']['activation']} depth {spec['depth']}x{spec['block']['layers']}",
        "seed": seed, "spec": spec, "params": state_json(model), "input": tensor_json(x),
        "output": tensor_json(output), "losses": [],
    }
    for loss_name in LOSSES:
        target = make_target(loss_name, BATCH, gen)
        model.zero_grad()
        output, block_outputs = model(x)
        loss = loss_of(loss_name, output, target)
        loss.backward()
        case["losses"].append({
            "loss": loss_name, "target": tensor_json(target), "value": float(loss),
            "grads": {name: tensor_json(p.grad) for name, p in model.named_parameters()},
            "blockOutputGradNorms": [norm(h.grad) for h in block_outputs],
        })
    return case


def residual_fixture():
    cases = []
    seed = 1000
    for skip in ("none", "identity"):
        for activation in ACTIVATIONS:
            for depth in (1, 4, 12):
                for layers in (1, 2):
                    cases.append(residual_case(residual_spec(skip, activation, depth, layers), seed))
                    seed += 1
    return cases


# ---------------------------------------------------------------------------------------------------- recurrent

TORCH_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class Recurrent(nn.Module):
    """Stacked cells over batch-first input, Linear on the top layer's last step; state_dict `{cell}.*`, `fc.*`."""

    def __init__(self, spec):
        super().__init__()
        self.cell = spec["cell"]
        kwargs = {"nonlinearity": "tanh"} if self.cell == "rnn" else {}
        setattr(self, self.cell, TORCH_CELLS[self.cell](
            spec["inputSize"], spec["hiddenSize"], spec["numLayers"], batch_first=True, **kwargs))
        self.fc = nn.Linear(spec["hiddenSize"], spec["outputSize"])
        self.num_layers = spec["numLayers"]

    def rnn_module(self):
        return getattr(self, self.cell)

    def forward_fused(self, x):
        out, _ = self.rnn_module()(x)
        return self.fc(out[:, -1, :])

    def forward_unrolled(self, x):
        """The same network as explicit cell equations (PyTorch's gate orders) with retain_grad() on h_t and c_t."""
        batch, steps, _ = x.shape
        rnn = self.rnn_module()
        hidden = rnn.hidden_size
        layer_inputs = [x[:, t, :] for t in range(steps)]
        hs, cs = [], []
        for k in range(self.num_layers):
            w_ih, w_hh = getattr(rnn, f"weight_ih_l{k}"), getattr(rnn, f"weight_hh_l{k}")
            b_ih, b_hh = getattr(rnn, f"bias_ih_l{k}"), getattr(rnn, f"bias_hh_l{k}")
            h = x.new_zeros(batch, hidden)
            c = x.new_zeros(batch, hidden)
            layer_h, layer_c = [], []
            for t in range(steps):
                gi = layer_inputs[t] @ w_ih.T + b_ih
                gh = h @ w_hh.T + b_hh
                if self.cell == "lstm":
                    i, f, g, o = (gi + gh).chunk(4, dim=1)
                    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    h = torch.sigmoid(o) * torch.tanh(c)
                    c.retain_grad()
                    layer_c.append(c)
                elif self.cell == "gru":
                    i_r, i_z, i_n = gi.chunk(3, dim=1)
                    h_r, h_z, h_n = gh.chunk(3, dim=1)
                    r = torch.sigmoid(i_r + h_r)
                    z = torch.sigmoid(i_z + h_z)
                    n = torch.tanh(i_n + r * h_n)  # reset gate applied to W_hn h + b_hn
                    h = (1 - z) * n + z * h
                else:
                    h = torch.tanh(gi + gh)
                h.retain_grad()
                layer_h.append(h)
            hs.append(layer_h)
            cs.append(layer_c)
            layer_inputs = layer_h
        return self.fc(layer_inputs[-1]), hs, cs


def recurrent_spec(cell, num_layers, input_size=INPUT_SIZE, hidden=HIDDEN, output=OUTPUT_SIZE):
    return {"kind": "recurrent", "cell": cell, "inputSize": input_size, "hiddenSize": hidden,
            "numLayers": num_layers, "outputSize": output}


def recurrent_results(model, x, target, loss_name):
    """Loss, gradients and report norms from the unrolled loop, checked against the fused torch module."""
    x = x.detach().clone().requires_grad_(True)
    model.zero_grad()
    output, hs, cs = model.forward_unrolled(x)
    loss = loss_of(loss_name, output, target)
    loss.backward()
    grads = {name: p.grad.detach().clone() for name, p in model.named_parameters()}
    result = {
        "loss": loss_name, "target": tensor_json(target), "value": float(loss),
        "grads": {name: tensor_json(g) for name, g in grads.items()},
        "hiddenGradNorms": [[norm(h.grad) for h in layer] for layer in hs],
        "inputGradNorms": [norm(x.grad[:, t, :]) for t in range(x.shape[1])],
    }
    if model.cell == "lstm":
        result["cellGradNorms"] = [[norm(c.grad) for c in layer] for layer in cs]

    model.zero_grad()
    fused_output = model.forward_fused(x.detach())
    fused_loss = loss_of(loss_name, fused_output, target)
    fused_loss.backward()
    assert_close(output.detach(), fused_output.detach(), f"unrolled {model.cell} output")
    assert abs(float(loss) - float(fused_loss)) <= 1e-12 * abs(float(fused_loss)), "unrolled loss differs"
    for name, p in model.named_parameters():
        assert_close(grads[name], p.grad, f"unrolled {model.cell} gradient of {name}")
    return output.detach(), result


def recurrent_case(spec, steps, seed):
    torch.manual_seed(seed)
    model = Recurrent(spec).double()
    for name, p in model.state_dict().items():
        assert_float32_exact(p, name)
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(BATCH, steps, spec["inputSize"], generator=gen).to(torch.float64)
    case = {"id": f"{spec['cell']} {spec['numLayers']}x{spec['hiddenSize']} T={steps}", "seed": seed, "spec": spec,
            "params": state_json(model), "input": tensor_json(x), "losses": []}
    for loss_name in LOSSES:
        target = make_target(loss_name, BATCH, gen)
        output, result = recurrent_results(model, x, target, loss_name)
        case["output"] = tensor_json(output)
        case["losses"].append(result)
    return case


def recurrent_fixture():
    cases = []
    seed = 2000
    for cell in TORCH_CELLS:
        for num_layers in (1, 2):
            for steps in (1, 5, 20):
                cases.append(recurrent_case(recurrent_spec(cell, num_layers), steps, seed))
                seed += 1
    return cases


# ---------------------------------------------------------------------------------------------------- Keras

KERAS_LAST_STEP = [0.6288687, 0.86899155, 0.9460773]  # keras/src/layers/rnn/lstm_test.py, test_correctness


def keras_lstm_case():
    """Keras' own LSTM test in PyTorch layout; an identity `fc` makes the output the last hidden state."""
    spec = recurrent_spec("lstm", 1, input_size=4, hidden=3, output=3)
    model = Recurrent(spec).double()
    f32 = lambda v: float(torch.tensor(v, dtype=torch.float32))  # noqa: E731 — the weights a float32 backend holds
    with torch.no_grad():
        model.lstm.weight_ih_l0.fill_(f32(0.01))
        model.lstm.weight_hh_l0.fill_(f32(0.02))
        model.lstm.bias_ih_l0.fill_(f32(0.03))
        model.lstm.bias_ih_l0[3:6] = 1.0  # unit_forget_bias replaces the forget-gate bias with 1.0
        model.lstm.bias_hh_l0.zero_()
        model.fc.weight.copy_(torch.eye(3, dtype=torch.float64))
        model.fc.bias.zero_()
    x = torch.arange(72, dtype=torch.float64).reshape(3, 6, 4)
    case = {"id": "keras lstm_test test_correctness", "seed": None, "spec": spec, "params": state_json(model),
            "input": tensor_json(x), "losses": [],
            "source": "keras/src/layers/rnn/lstm_test.py test_correctness (float32 last-step output "
                      + json.dumps(KERAS_LAST_STEP) + ")"}
    # mse only: with constant weights every unit is equal, so a crossEntropy gradient (which sums to zero over the
    # classes) cancels exactly in W^T g and the earlier dL/dh_t are float64 rounding noise (~1e-21), not a golden.
    for loss_name in ("mse",):
        output, result = recurrent_results(model, x, torch.full((3, 3), 0.5, dtype=torch.float64), loss_name)
        case["output"] = tensor_json(output)
        case["losses"].append(result)
    for b, expected in enumerate(KERAS_LAST_STEP):
        for unit in range(3):
            got = float(output[b, unit])
            assert abs(got - expected) <= 1e-6, f"Keras LSTM sequence {b}: PyTorch {got} vs Keras {expected}"
    return case


# ---------------------------------------------------------------------------------------------------- training

def make_optimizer(config, params):
    opt = config["optimizer"]
    if opt["type"] == "sgd":
        return torch.optim.SGD(params, lr=opt["lr"], momentum=opt.get("momentum", 0),
                               weight_decay=opt.get("weightDecay", 0))
    cls = torch.optim.Adam if opt["type"] == "adam" else torch.optim.AdamW
    default_decay = 0 if opt["type"] == "adam" else 0.01
    return cls(params, lr=opt["lr"], eps=opt.get("eps", 1e-8), weight_decay=opt.get("weightDecay", default_decay))


def make_schedule(config, optimizer):
    schedule = config.get("schedule", {"type": "constant"})
    if schedule["type"] == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=schedule["stepSize"], gamma=schedule["gamma"])
    assert schedule["type"] == "constant"
    return None


def trajectory(title, spec, config, seed, steps=3):
    torch.manual_seed(seed)
    model = (DenseResidual(spec) if spec["kind"] == "residual" else Recurrent(spec)).double()
    gen = torch.Generator().manual_seed(seed + 1)
    shape = (BATCH, spec["inputSize"]) if spec["kind"] == "residual" else (BATCH, 5, spec["inputSize"])
    x = torch.randn(*shape, generator=gen).to(torch.float64)
    target = make_target(config["loss"], BATCH, gen)
    forward = (lambda: model(x)[0]) if spec["kind"] == "residual" else (lambda: model.forward_fused(x))

    if config.get("clip"):
        # Pick a max norm well under the first step's gradient norm so clipping really happens.
        model.zero_grad()
        loss_of(config["loss"], forward(), target).backward()
        first_norm = norm(torch.cat([p.grad.reshape(-1) for p in model.parameters()]))
        config["clip"]["maxNorm"] = float(f"{first_norm / 4:.2g}")

    out = {"id": f"{title} ({'plain' if spec['kind'] == 'residual' else spec['cell']})", "seed": seed,
           "spec": spec, "config": config, "params": state_json(model), "input": tensor_json(x),
           "target": tensor_json(target), "steps": []}
    optimizer = make_optimizer(config, model.parameters())
    scheduler = make_schedule(config, optimizer)
    for step in range(1, steps + 1):
        lr = optimizer.param_groups[0]["lr"]
        optimizer.zero_grad()
        loss = loss_of(config["loss"], forward(), target)
        loss.backward()
        raw_grads = {name: tensor_json(p.grad) for name, p in model.named_parameters()}
        clip = config.get("clip")
        if clip:
            total = float(torch.nn.utils.clip_grad_norm_(model.parameters(), clip["maxNorm"]))
            assert total > clip["maxNorm"], f"{title}: step {step} norm {total} does not exceed {clip['maxNorm']}"
            coef = min(1.0, clip["maxNorm"] / (total + 1e-6))
        else:
            total = norm(torch.cat([p.grad.reshape(-1) for p in model.parameters()]))
            coef = 1.0
        optimizer.step()
        if scheduler:
            scheduler.step()
        out["steps"].append({"step": step, "lr": lr, "loss": float(loss), "gradNorm": total, "clipCoef": coef,
                             "grads": raw_grads, "params": state_json(model)})
    return out


def training_fixture():
    configs = [
        ("sgd momentum 0.9 weightDecay 0.01",
         {"loss": "mse", "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.9, "weightDecay": 0.01}}),
        ("adam weightDecay 0.01",
         {"loss": "mse", "optimizer": {"type": "adam", "lr": 0.01, "weightDecay": 0.01}}),
        ("adamw weightDecay 0.1",
         {"loss": "crossEntropy", "optimizer": {"type": "adamw", "lr": 0.01, "weightDecay": 0.1}}),
        ("sgd momentum 0.5 step schedule",
         {"loss": "mse", "optimizer": {"type": "sgd", "lr": 0.2, "momentum": 0.5},
          "schedule": {"type": "step", "stepSize": 1, "gamma": 0.5}}),
        ("adam clip norm",
         {"loss": "mse", "optimizer": {"type": "adam", "lr": 0.01}, "clip": {"type": "norm", "maxNorm": 0}}),
    ]
    # A plain sigmoid net (its first blocks get gradients near Adam's eps) and a one-layer LSTM.
    models = [residual_spec("none", "sigmoid", 4, 1), recurrent_spec("lstm", 1)]
    out = []
    seed = 3000
    for title, config in configs:
        for spec in models:
            out.append(trajectory(title, spec, json.loads(json.dumps(config)), seed))
            seed += 1
    return out


# ---------------------------------------------------------------------------------------------------- conv residual

CONV_BATCH = 3


def conv_spec(stem, shortcut, skip, norm, channels):
    return {
        "kind": "residual", "variant": "conv", "inputChannels": channels, "inputSize": [8, 8], "outputSize": OUTPUT_SIZE,
        "stem": stem, "shortcut": shortcut, "skip": skip, "norm": norm,
        "stages": [{"blocks": 2, "channels": 4, "stride": 1}, {"blocks": 1, "channels": 6, "stride": 2}],
    }


def conv_case(spec, mode, seed):
    """torchvision init in float32; BatchNorm affine parameters and (for eval) running statistics moved off 1/0 by
    float32 draws and two training-mode warm-up forwards, so every BatchNorm term is exercised."""
    torch.manual_seed(seed)
    model = ConvResNet(spec)
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and not name.startswith("fc."):
                p.copy_(torch.rand(p.shape, generator=gen) + 0.5 if name.endswith("weight") else torch.rand(p.shape, generator=gen) - 0.5)
        if mode == "eval":
            model.train()
            for _ in range(2):
                model(torch.randn(CONV_BATCH, spec["inputChannels"], 8, 8, generator=gen))
    x32 = torch.randn(CONV_BATCH, spec["inputChannels"], 8, 8, generator=gen)
    model = model.double()
    params = {n: t for n, t in model.state_dict().items() if not n.endswith("num_batches_tracked")}
    for name, p in params.items():
        assert_float32_exact(p, name)
    start = {n: t.clone() for n, t in params.items()}
    x = x32.to(torch.float64)
    model.train(mode == "train")
    skip = "residual" if spec["skip"] == "identity" else "plain"
    case = {
        "id": f"{skip} {spec['stem']} {spec['shortcut'] if spec['skip'] == 'identity' else 'no-shortcut'} norm {spec['norm']} BN {mode}",
        "seed": seed, "spec": spec, "mode": mode, "params": {n: tensor_json(t) for n, t in start.items()},
        "input": tensor_json(x), "losses": [],
    }
    for loss_name in LOSSES:
        model.load_state_dict(start, strict=False)
        target = make_target(loss_name, CONV_BATCH, gen)
        model.zero_grad()
        block_outputs = []
        output = model(x, block_outputs)
        loss = loss_of(loss_name, output, target)
        loss.backward()
        case["output"] = tensor_json(output)
        result = {
            "loss": loss_name, "target": tensor_json(target), "value": float(loss),
            "grads": {name: tensor_json(p.grad) for name, p in model.named_parameters()},
            "blockOutputGradNorms": [norm(h.grad) for h in block_outputs],
        }
        if mode == "train" and spec["norm"] == "batch":
            result["runningStats"] = {n: tensor_json(t) for n, t in model.state_dict().items() if "running_" in n}
        case["losses"].append(result)
    return case


def conv_trajectory(title, spec, config, seed, steps=3):
    """Optimizer steps in BN train mode: each forward also moves the running statistics (PyTorch's side effect)."""
    torch.manual_seed(seed)
    model = ConvResNet(spec).double()
    model.train()
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(CONV_BATCH, spec["inputChannels"], 8, 8, generator=gen).to(torch.float64)
    target = make_target(config["loss"], CONV_BATCH, gen)
    floats = lambda: {n: tensor_json(t) for n, t in model.state_dict().items() if not n.endswith("num_batches_tracked")}
    out = {"id": title, "seed": seed, "spec": spec, "config": config, "params": floats(), "input": tensor_json(x),
           "target": tensor_json(target), "steps": []}
    optimizer = make_optimizer(config, model.parameters())
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        loss = loss_of(config["loss"], model(x), target)
        loss.backward()
        total = norm(torch.cat([p.grad.reshape(-1) for p in model.parameters()]))
        optimizer.step()
        out["steps"].append({"step": step, "lr": config["optimizer"]["lr"], "loss": float(loss), "gradNorm": total,
                             "clipCoef": 1.0, "params": floats()})
    assert int(model.bn1.num_batches_tracked) == steps
    return out


def conv_trajectories():
    return [
        conv_trajectory("sgd momentum, residual cifar zeropad", conv_spec("cifar", "zeropad", "identity", "batch", 1),
                        {"loss": "crossEntropy", "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.9, "weightDecay": 1e-4}}, 3100),
        conv_trajectory("adam, residual imagenet projection", conv_spec("imagenet", "projection", "identity", "batch", 3),
                        {"loss": "mse", "optimizer": {"type": "adam", "lr": 0.01}}, 3101),
    ]


def conv_fixture():
    configs = [
        ("cifar", "projection", "identity", "batch", 3),
        ("cifar", "zeropad", "identity", "batch", 1),
        ("cifar", "zeropad", "none", "batch", 2),
        ("cifar", "zeropad", "identity", "none", 1),
        ("imagenet", "projection", "identity", "batch", 3),
    ]
    cases = []
    seed = 3000
    for stem, shortcut, skip, norm_kind, channels in configs:
        for mode in ("train", "eval") if norm_kind == "batch" else ("train",):
            cases.append(conv_case(conv_spec(stem, shortcut, skip, norm_kind, channels), mode, seed))
            seed += 1
    return cases


# ---------------------------------------------------------------------------------------------------- main

def write(out_dir, name, payload):
    path = out_dir / name
    document = {"generator": "tools/torch/make_fixtures.py goldens", "torch": torch.__version__, **payload}
    path.write_text(json.dumps(document, separators=(",", ":"), allow_nan=False) + "\n")
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")


def write_all(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    write(out_dir, "residual.json", {"cases": residual_fixture()})
    write(out_dir, "recurrent.json", {"cases": recurrent_fixture()})
    write(out_dir, "keras-lstm.json", {"cases": [keras_lstm_case()]})
    write(out_dir, "training.json", {"trajectories": training_fixture()})
    write(out_dir, "conv-residual.json", {"cases": conv_fixture(), "trajectories": conv_trajectories()})

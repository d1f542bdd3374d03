"""Writes src/__fixtures__/goldens.json: PyTorch (float64) outputs, gradients and report norms for small specs.

Run with Debian's python3 (torch 1.13): /usr/bin/python3 packages/onnx/scripts/make-goldens.py
The tests compare the ONNX backend against these numbers; CI needs no Python.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

ACT = {
    'relu': F.relu, 'tanh': torch.tanh, 'sigmoid': torch.sigmoid,
    'leakyRelu': lambda x: F.leaky_relu(x, 0.01), 'gelu': F.gelu, 'linear': lambda x: x,
}


def tensor_json(t):
    return {'shape': list(t.shape), 'data': [float(v) for v in t.detach().reshape(-1).tolist()]}


def loss_of(y, target, loss):
    return F.mse_loss(y, target) if loss == 'mse' else F.cross_entropy(y, target.long())


def make_target(loss, batch, out):
    if loss == 'mse':
        return torch.randn(batch, out)
    return torch.randint(0, out, (batch,)).double()


def residual_case(name, spec, batch, loss, seed):
    torch.manual_seed(seed)
    act = ACT[spec['block']['activation']]
    W, D = spec['width'], spec['depth']
    L = spec['block']['layers']
    stem = torch.nn.Linear(spec['inputSize'], W)
    blocks = [[torch.nn.Linear(W, W) for _ in range(L)] for _ in range(D)]
    head = torch.nn.Linear(W, spec['outputSize'])
    params = {'stem.weight': stem.weight, 'stem.bias': stem.bias}
    for i, b in enumerate(blocks):
        for j, lin in enumerate(b):
            params[f'blocks.{i}.{j}.weight'] = lin.weight
            params[f'blocks.{i}.{j}.bias'] = lin.bias
    params['head.weight'] = head.weight
    params['head.bias'] = head.bias
    # Round the weights to float32 so both sides start from the same numbers.
    for p in params.values():
        p.data = p.data.float().double()
    x = torch.randn(batch, spec['inputSize']).float().double()
    target = make_target(loss, batch, spec['outputSize']).float().double()
    h = act(stem(x))
    outs, dead = [], []
    for b in blocks:
        f = h
        acts = []
        for lin in b:
            f = act(lin(f))
            acts.append(f)
        h = h + f if spec['block']['skip'] == 'identity' else f
        h.retain_grad()
        outs.append(h)
        units = torch.cat([(a.abs().max(dim=0).values == 0).double() for a in acts])
        dead.append(float(units.mean()))
    y = head(h)
    l = loss_of(y, target, loss)
    l.backward()
    return {
        'name': name, 'spec': spec, 'loss': loss, 'params': {k: tensor_json(v) for k, v in params.items()},
        'input': tensor_json(x), 'target': tensor_json(target), 'output': tensor_json(y), 'lossValue': float(l),
        'grads': {k: tensor_json(v.grad) for k, v in params.items()},
        'blockOutputGradNorms': [float(o.grad.norm()) for o in outs], 'deadUnitFractions': dead,
    }


def recurrent_case(name, spec, batch, steps, loss, seed):
    torch.manual_seed(seed)
    cell, H, NL = spec['cell'], spec['hiddenSize'], spec['numLayers']
    cells = []
    for k in range(NL):
        inF = spec['inputSize'] if k == 0 else H
        cls = {'lstm': torch.nn.LSTMCell, 'gru': torch.nn.GRUCell, 'rnn': torch.nn.RNNCell}[cell]
        cells.append(cls(inF, H))
    fc = torch.nn.Linear(H, spec['outputSize'])
    params = {}
    for k, c in enumerate(cells):
        params[f'{cell}.weight_ih_l{k}'] = c.weight_ih
        params[f'{cell}.weight_hh_l{k}'] = c.weight_hh
        params[f'{cell}.bias_ih_l{k}'] = c.bias_ih
        params[f'{cell}.bias_hh_l{k}'] = c.bias_hh
    params['fc.weight'] = fc.weight
    params['fc.bias'] = fc.bias
    for p in params.values():
        p.data = p.data.float().double()
    x = torch.randn(batch, steps, spec['inputSize']).float().double().requires_grad_(True)
    target = make_target(loss, batch, spec['outputSize']).float().double()
    xs = [x[:, t, :] for t in range(steps)]
    for xt in xs:
        xt.retain_grad()
    hs_all, cs_all = [], []
    layer_in = xs
    for c in cells:
        h = torch.zeros(batch, H)
        cc = torch.zeros(batch, H)
        hs, cs = [], []
        for xt in layer_in:
            if cell == 'lstm':
                h, cc = c(xt, (h, cc))
                cc.retain_grad()
                cs.append(cc)
            else:
                h = c(xt, h)
            h.retain_grad()
            hs.append(h)
        hs_all.append(hs)
        cs_all.append(cs)
        layer_in = hs
    y = fc(hs_all[-1][-1])
    l = loss_of(y, target, loss)
    l.backward()
    out = {
        'name': name, 'spec': spec, 'loss': loss, 'params': {k: tensor_json(v) for k, v in params.items()},
        'input': tensor_json(x), 'target': tensor_json(target), 'output': tensor_json(y), 'lossValue': float(l),
        'grads': {k: tensor_json(v.grad) for k, v in params.items()},
        'hiddenGradNorms': [[float(h.grad.norm()) for h in hs] for hs in hs_all],
        'inputGradNorms': [float(xt.grad.norm()) for xt in xs],
    }
    if cell == 'lstm':
        out['cellGradNorms'] = [[float(c.grad.norm()) for c in cs] for cs in cs_all]
    return out


def res(act, depth=3, layers=1, skip='identity'):
    return {'specVersion': 1, 'kind': 'residual', 'variant': 'dense', 'inputSize': 4, 'outputSize': 3, 'width': 6,
            'depth': depth, 'block': {'layers': layers, 'activation': act, 'skip': skip}}


def rec(cell, layers):
    return {'specVersion': 1, 'kind': 'recurrent', 'cell': cell, 'inputSize': 3, 'hiddenSize': 5,
            'numLayers': layers, 'outputSize': 2}


cases = [
    residual_case('residual relu 3x2 mse', res('relu', 3, 2), 5, 'mse', 1),
    residual_case('plain tanh depth 4 crossEntropy', res('tanh', 4, 1, 'none'), 5, 'crossEntropy', 2),
    residual_case('residual sigmoid depth 3 mse', res('sigmoid'), 4, 'mse', 3),
    residual_case('residual leakyRelu depth 3 crossEntropy', res('leakyRelu'), 4, 'crossEntropy', 4),
    residual_case('residual gelu depth 3 mse', res('gelu'), 4, 'mse', 5),
    residual_case('plain linear depth 2 mse', res('linear', 2, 1, 'none'), 4, 'mse', 6),
    residual_case('plain relu depth 6 (dead units) mse', res('relu', 6, 1, 'none'), 3, 'mse', 11),
    recurrent_case('lstm 2x5 T=6 mse', rec('lstm', 2), 4, 6, 'mse', 7),
    recurrent_case('gru 2x5 T=5 crossEntropy', rec('gru', 2), 4, 5, 'crossEntropy', 8),
    recurrent_case('rnn 1x5 T=7 mse', rec('rnn', 1), 3, 7, 'mse', 9),
    recurrent_case('lstm 1x5 T=1 crossEntropy', rec('lstm', 1), 2, 1, 'crossEntropy', 10),
]

path = os.path.join(os.path.dirname(__file__), '..', 'src', '__fixtures__', 'goldens.json')
with open(path, 'w') as f:
    json.dump({'generator': 'packages/onnx/scripts/make-goldens.py', 'torch': torch.__version__, 'cases': cases}, f)
print(f'wrote {len(cases)} cases to {os.path.normpath(path)}')

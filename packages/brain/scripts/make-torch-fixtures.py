#!/usr/bin/python3
"""Writes src/__fixtures__/torch-*.json: PyTorch (float64) outputs, gradients and gradient norms for a few specs.

Run with Debian's python3-torch: /usr/bin/python3 packages/brain/scripts/make-torch-fixtures.py
The tests only read the JSON; they never call Python.
"""
import json
import os
import zlib
import torch

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), '..', 'src', '__fixtures__')


def tensor_json(t):
    return {'shape': list(t.shape), 'data': [float(v) for v in t.detach().reshape(-1).tolist()]}


def act_fn(name):
    return {'relu': torch.relu, 'tanh': torch.tanh, 'sigmoid': torch.sigmoid,
            'leakyRelu': lambda x: torch.nn.functional.leaky_relu(x, 0.01), 'linear': lambda x: x}[name]


def residual(name, spec, batch, loss):
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    params = {}
    def linear(n, i, o, scale):
        params[f'{n}.weight'] = (torch.rand(o, i, generator=g) * 2 - 1) * scale / i ** 0.5
        params[f'{n}.bias'] = (torch.rand(o, generator=g) * 2 - 1) * 0.1
    w = spec['width']
    linear('stem', spec['inputSize'], w, 1.5)
    for i in range(spec['depth']):
        for j in range(spec['block']['layers']):
            linear(f'blocks.{i}.{j}', w, w, 1.5)
    linear('head', w, spec['outputSize'], 1.0)
    params = {k: v.float().double().requires_grad_() for k, v in params.items()}
    x = (torch.rand(batch, spec['inputSize'], generator=g) * 2 - 1).float().double()
    act = act_fn(spec['block']['activation'])
    lin = lambda n, h: h @ params[f'{n}.weight'].T + params[f'{n}.bias']
    h = act(lin('stem', x))
    outs = []
    for i in range(spec['depth']):
        f = h
        for j in range(spec['block']['layers']):
            f = act(lin(f'blocks.{i}.{j}', f))
        h = h + f if spec['block']['skip'] == 'identity' else f
        h.retain_grad()
        outs.append(h)
    y = lin('head', h)
    target, value = loss_of(y, loss, g)
    value.backward()
    return finish(name, spec, params, x, target, loss, y, value,
                  {'blockOutputGradNorms': [float(o.grad.norm()) for o in outs]})


def loss_of(y, loss, g):
    if loss == 'mse':
        target = (torch.rand(*y.shape, generator=g)).float().double()
        return target, torch.nn.functional.mse_loss(y, target)
    target = torch.randint(0, y.shape[1], (y.shape[0],), generator=g)
    return target.double(), torch.nn.functional.cross_entropy(y, target)


def recurrent(name, spec, batch, steps, loss):
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    cell, H, L = spec['cell'], spec['hiddenSize'], spec['numLayers']
    gates = {'lstm': 4, 'gru': 3, 'rnn': 1}[cell]
    params = {}
    for k in range(L):
        inF = spec['inputSize'] if k == 0 else H
        params[f'{cell}.weight_ih_l{k}'] = (torch.rand(gates * H, inF, generator=g) * 2 - 1) * 0.6
        params[f'{cell}.weight_hh_l{k}'] = (torch.rand(gates * H, H, generator=g) * 2 - 1) * 0.6
        params[f'{cell}.bias_ih_l{k}'] = (torch.rand(gates * H, generator=g) * 2 - 1) * 0.3
        params[f'{cell}.bias_hh_l{k}'] = (torch.rand(gates * H, generator=g) * 2 - 1) * 0.3
    params['fc.weight'] = (torch.rand(spec['outputSize'], H, generator=g) * 2 - 1) * 0.5
    params['fc.bias'] = (torch.rand(spec['outputSize'], generator=g) * 2 - 1) * 0.1
    params = {k: v.float().double().requires_grad_() for k, v in params.items()}
    x = (torch.rand(batch, steps, spec['inputSize'], generator=g)).float().double().requires_grad_()
    xs = [x[:, t] for t in range(steps)]
    for xt in xs:
        xt.retain_grad()
    hs, cs = [], []
    below = xs
    for k in range(L):
        p = lambda n: params[f'{cell}.{n}_l{k}']
        h = torch.zeros(batch, H)
        c = torch.zeros(batch, H)
        row_h, row_c = [], []
        for xt in below:
            gi = xt @ p('weight_ih').T + p('bias_ih')
            gh = h @ p('weight_hh').T + p('bias_hh')
            if cell == 'lstm':
                i, f, gg, o = [gi[:, n * H:(n + 1) * H] + gh[:, n * H:(n + 1) * H] for n in range(4)]
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
                h = torch.sigmoid(o) * torch.tanh(c)
                c.retain_grad()
                row_c.append(c)
            elif cell == 'gru':
                r = torch.sigmoid(gi[:, :H] + gh[:, :H])
                z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
                n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
                h = (1 - z) * n + z * h
            else:
                h = torch.tanh(gi + gh)
            h.retain_grad()
            row_h.append(h)
        hs.append(row_h)
        cs.append(row_c)
        below = row_h
    y = below[-1] @ params['fc.weight'].T + params['fc.bias']
    target, value = loss_of(y, loss, g)
    value.backward()
    extra = {'hiddenGradNorms': [[float(h.grad.norm()) for h in row] for row in hs],
             'inputGradNorms': [float(xt.grad.norm()) for xt in xs]}
    if cell == 'lstm':
        extra['cellGradNorms'] = [[float(c.grad.norm()) for c in row] for row in cs]
    return finish(name, spec, params, x, target, loss, y, value, extra)


def finish(name, spec, params, x, target, loss, y, value, extra):
    doc = {
        'about': 'PyTorch 1.13 float64; written by packages/brain/scripts/make-torch-fixtures.py',
        'spec': spec, 'loss': loss,
        'params': {k: tensor_json(v) for k, v in params.items()},
        'input': tensor_json(x), 'target': tensor_json(target),
        'output': tensor_json(y), 'lossValue': float(value),
        'grads': {k: tensor_json(v.grad) for k, v in params.items()},
        **extra,
    }
    with open(os.path.join(OUT, f'torch-{name}.json'), 'w') as f:
        json.dump(doc, f)


def block(layers, activation, skip):
    return {'layers': layers, 'activation': activation, 'skip': skip}


residual('residual-relu', {'kind': 'residual', 'inputSize': 5, 'outputSize': 3, 'width': 12, 'depth': 4, 'block': block(2, 'relu', 'identity')}, 6, 'mse')
residual('plain-sigmoid', {'kind': 'residual', 'inputSize': 4, 'outputSize': 2, 'width': 8, 'depth': 6, 'block': block(1, 'sigmoid', 'none')}, 5, 'mse')
residual('residual-leakyrelu-ce', {'kind': 'residual', 'inputSize': 3, 'outputSize': 4, 'width': 10, 'depth': 3, 'block': block(1, 'leakyRelu', 'identity')}, 7, 'crossEntropy')
residual('residual-tanh', {'kind': 'residual', 'inputSize': 3, 'outputSize': 2, 'width': 9, 'depth': 3, 'block': block(1, 'tanh', 'identity')}, 4, 'mse')
recurrent('lstm-2x7', {'kind': 'recurrent', 'cell': 'lstm', 'inputSize': 3, 'hiddenSize': 7, 'numLayers': 2, 'outputSize': 2}, 4, 9, 'mse')
recurrent('gru-2x5', {'kind': 'recurrent', 'cell': 'gru', 'inputSize': 2, 'hiddenSize': 5, 'numLayers': 2, 'outputSize': 3}, 3, 8, 'crossEntropy')
recurrent('rnn-1x6', {'kind': 'recurrent', 'cell': 'rnn', 'inputSize': 2, 'hiddenSize': 6, 'numLayers': 1, 'outputSize': 1}, 5, 12, 'mse')


def trajectory(name, steps=20, batch=8, T=10, H=8):
    """20 Adam steps with clip_grad_norm_(1.0) on an LSTM learning the adding problem: the loss before each step."""
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    spec = {'kind': 'recurrent', 'cell': 'lstm', 'inputSize': 2, 'hiddenSize': H, 'numLayers': 1, 'outputSize': 1}
    torch.manual_seed(zlib.crc32(name.encode()))
    lstm = torch.nn.LSTM(2, H, batch_first=True)
    fc = torch.nn.Linear(H, 1)
    with torch.no_grad():
        for p in list(lstm.parameters()) + list(fc.parameters()):
            p.copy_(p.float().double())
    initial = {**{f'lstm.{k}': v.clone() for k, v in lstm.state_dict().items()},
               **{f'fc.{k}': v.clone() for k, v in fc.state_dict().items()}}
    params = list(lstm.parameters()) + list(fc.parameters())
    opt = torch.optim.Adam(params, lr=1e-2)
    batches, losses = [], []
    for _ in range(steps):
        x = torch.zeros(batch, T, 2)
        x[:, :, 0] = torch.rand(batch, T, generator=g).float().double()
        first = torch.randint(0, T // 2, (batch,), generator=g)
        second = torch.randint(T // 2, T, (batch,), generator=g)
        x[torch.arange(batch), first, 1] = 1
        x[torch.arange(batch), second, 1] = 1
        y = (x[:, :, 0] * x[:, :, 1]).sum(1, keepdim=True)
        batches.append({'input': tensor_json(x), 'target': tensor_json(y)})
        opt.zero_grad()
        out, _ = lstm(x)
        loss = torch.nn.functional.mse_loss(fc(out[:, -1]), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        losses.append(float(loss))
    doc = {'about': 'PyTorch 1.13 float64; written by packages/brain/scripts/make-torch-fixtures.py',
           'spec': spec, 'params': {k: tensor_json(v) for k, v in initial.items()},
           'config': {'loss': 'mse', 'optimizer': {'type': 'adam', 'lr': 1e-2}, 'clip': {'type': 'norm', 'maxNorm': 1.0}},
           'batches': batches, 'losses': losses}
    with open(os.path.join(OUT, f'torch-{name}.json'), 'w') as f:
        json.dump(doc, f)


trajectory('trajectory-lstm-adam-clip')

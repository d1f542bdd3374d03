"""PyTorch (float64) golden cases for the tfjs adapter's tests: outputs, loss, gradients and the gradient report.

Run with Debian's torch: /usr/bin/python3 packages/tfjs/scripts/make-torch-fixtures.py
Weights, inputs and targets are drawn as float32 values (what the adapter holds) and computed in float64.
Norms follow DESIGN.md: total dL/d(block output), dL/dh_t and dL/dc_t through the recurrence (retain_grad on an
unrolled loop), dL/dx_t per step, each the L2 norm over the whole [batch, ...] tensor of the batch-mean loss.
"""
import json, os
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), '..', 'src', '__fixtures__', 'torch-cases.json')

ACT = {'relu': torch.relu, 'tanh': torch.tanh, 'sigmoid': torch.sigmoid, 'gelu': F.gelu,
       'leakyRelu': lambda v: F.leaky_relu(v, 0.01), 'linear': lambda v: v}


def f32(t):
    return t.float().double()


def param_shapes(spec):
    if spec['kind'] == 'residual':
        w, out = spec['width'], []
        out += [('stem.weight', [w, spec['inputSize']]), ('stem.bias', [w])]
        for i in range(spec['depth']):
            for j in range(spec['block']['layers']):
                out += [(f'blocks.{i}.{j}.weight', [w, w]), (f'blocks.{i}.{j}.bias', [w])]
        return out + [('head.weight', [spec['outputSize'], w]), ('head.bias', [spec['outputSize']])]
    c, H = spec['cell'], spec['hiddenSize']
    g = {'lstm': 4, 'gru': 3, 'rnn': 1}[c] * H
    out = []
    for k in range(spec['numLayers']):
        inf = spec['inputSize'] if k == 0 else H
        out += [(f'{c}.weight_ih_l{k}', [g, inf]), (f'{c}.weight_hh_l{k}', [g, H]), (f'{c}.bias_ih_l{k}', [g]), (f'{c}.bias_hh_l{k}', [g])]
    return out + [('fc.weight', [spec['outputSize'], H]), ('fc.bias', [spec['outputSize']])]


def run(spec, P, x, target, loss):
    x = x.clone().requires_grad_()
    blocks, acts, grid, cgrid = [], [], [], []
    if spec['kind'] == 'residual':
        a = spec['block']['activation']
        h = ACT[a](F.linear(x, P['stem.weight'], P['stem.bias']))
        for i in range(spec['depth']):
            f, block_acts = h, []
            for j in range(spec['block']['layers']):
                f = ACT[a](F.linear(f, P[f'blocks.{i}.{j}.weight'], P[f'blocks.{i}.{j}.bias']))
                block_acts.append(f.detach())
            h = h + f if spec['block']['skip'] == 'identity' else f
            h.retain_grad()
            blocks.append(h)
            acts.append(torch.cat(block_acts, 1))
        y = F.linear(h, P['head.weight'], P['head.bias'])
    else:
        c, H = spec['cell'], spec['hiddenSize']
        B, T, _ = x.shape
        seq = [x[:, t] for t in range(T)]
        for k in range(spec['numLayers']):
            Wih, Whh, bih, bhh = [P[f'{c}.{n}_l{k}'] for n in ('weight_ih', 'weight_hh', 'bias_ih', 'bias_hh')]
            h, cc, row, crow = torch.zeros(B, H), torch.zeros(B, H), [], []
            for t in range(T):
                gi, gh = F.linear(seq[t], Wih, bih), F.linear(h, Whh, bhh)
                if c == 'rnn':
                    h = torch.tanh(gi + gh)
                elif c == 'lstm':
                    i, f, g, o = (gi + gh).chunk(4, 1)
                    cc = torch.sigmoid(f) * cc + torch.sigmoid(i) * torch.tanh(g)
                    cc.retain_grad()
                    crow.append(cc)
                    h = torch.sigmoid(o) * torch.tanh(cc)
                else:
                    xr, xz, xn = gi.chunk(3, 1)
                    hr, hz, hn = gh.chunk(3, 1)
                    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                    h = (1 - z) * torch.tanh(xn + r * hn) + z * h
                h.retain_grad()
                row.append(h)
            seq = row
            grid.append(row)
            cgrid.append(crow)
        y = F.linear(h, P['fc.weight'], P['fc.bias'])
    L = F.mse_loss(y, target) if loss == 'mse' else F.cross_entropy(y, target.long())
    L.backward()
    res = {'output': y.detach().flatten().tolist(), 'loss': L.item(),
           'grads': {k: v.grad.flatten().tolist() for k, v in P.items()}}
    if spec['kind'] == 'residual':
        res['blockOutputGradNorms'] = [b.grad.norm().item() for b in blocks]
        res['deadUnitFractions'] = [((a == 0).all(0)).double().mean().item() for a in acts]
    else:
        res['hiddenGradNorms'] = [[h.grad.norm().item() for h in row] for row in grid]
        if spec['cell'] == 'lstm':
            res['cellGradNorms'] = [[c.grad.norm().item() for c in row] for row in cgrid]
        res['inputGradNorms'] = [x.grad[:, t].norm().item() for t in range(x.shape[1])]
    return res


CASES = [
    ('residual gelu 2-layer blocks, mse', {'kind': 'residual', 'inputSize': 3, 'outputSize': 2, 'width': 6, 'depth': 3, 'block': {'layers': 2, 'activation': 'gelu', 'skip': 'identity'}}, 'mse', 1.0),
    ('plain leakyRelu, crossEntropy', {'kind': 'residual', 'inputSize': 4, 'outputSize': 3, 'width': 5, 'depth': 4, 'block': {'layers': 1, 'activation': 'leakyRelu', 'skip': 'none'}}, 'crossEntropy', 1.0),
    ('residual relu with dead units, mse', {'kind': 'residual', 'inputSize': 3, 'outputSize': 2, 'width': 8, 'depth': 3, 'block': {'layers': 1, 'activation': 'relu', 'skip': 'identity'}}, 'mse', 1.0),
    ('plain sigmoid depth 6, mse', {'kind': 'residual', 'inputSize': 3, 'outputSize': 1, 'width': 6, 'depth': 6, 'block': {'layers': 1, 'activation': 'sigmoid', 'skip': 'none'}}, 'mse', 1.0),
    ('residual tanh, crossEntropy', {'kind': 'residual', 'inputSize': 2, 'outputSize': 4, 'width': 5, 'depth': 2, 'block': {'layers': 1, 'activation': 'tanh', 'skip': 'identity'}}, 'crossEntropy', 1.0),
    ('residual linear depth 0, mse', {'kind': 'residual', 'inputSize': 2, 'outputSize': 2, 'width': 3, 'depth': 0, 'block': {'layers': 1, 'activation': 'linear', 'skip': 'identity'}}, 'mse', 1.0),
    ('lstm 2 layers, mse', {'kind': 'recurrent', 'cell': 'lstm', 'inputSize': 3, 'hiddenSize': 5, 'numLayers': 2, 'outputSize': 2}, 'mse', 1.0),
    ('gru 2 layers, crossEntropy', {'kind': 'recurrent', 'cell': 'gru', 'inputSize': 2, 'hiddenSize': 4, 'numLayers': 2, 'outputSize': 3}, 'crossEntropy', 1.0),
    ('tanh rnn, mse', {'kind': 'recurrent', 'cell': 'rnn', 'inputSize': 2, 'hiddenSize': 6, 'numLayers': 1, 'outputSize': 1}, 'mse', 1.0),
    ('lstm 2 layers T=1, crossEntropy', {'kind': 'recurrent', 'cell': 'lstm', 'inputSize': 2, 'hiddenSize': 3, 'numLayers': 2, 'outputSize': 2}, 'crossEntropy', 1.0),
]

torch.manual_seed(20261127)
cases = []
for name, spec, loss, scale in CASES:
    P = {}
    for n, shape in param_shapes(spec):
        fan_in = shape[-1] if len(shape) == 2 else (spec.get('hiddenSize') or spec['width'])
        P[n] = f32((torch.rand(shape) * 2 - 1) * scale * 1.5 / fan_in ** 0.5).requires_grad_()
    B = 4
    T = 1 if 'T=1' in name else 6
    xshape = [B, spec['inputSize']] if spec['kind'] == 'residual' else [B, T, spec['inputSize']]
    x = f32(torch.randn(xshape))
    if loss == 'mse':
        target = f32(torch.randn(B, spec['outputSize']))
        tshape = [B, spec['outputSize']]
    else:
        target = torch.randint(0, spec['outputSize'], (B,)).double()
        tshape = [B]
    res = run(spec, P, x, target, loss)
    cases.append({'name': name, 'spec': spec, 'loss': loss,
                  'params': {k: {'shape': list(v.shape), 'data': v.detach().flatten().tolist()} for k, v in P.items()},
                  'input': {'shape': xshape, 'data': x.flatten().tolist()},
                  'target': {'shape': tshape, 'data': target.flatten().tolist()},
                  'expected': res})
with open(OUT, 'w') as fh:
    json.dump({'generatedBy': 'packages/tfjs/scripts/make-torch-fixtures.py (torch %s, float64)' % torch.__version__, 'cases': cases}, fh)
print('wrote', len(cases), 'cases to', os.path.normpath(OUT))

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



def build(spec, seed):
    """PyTorch modules for a spec; returns (named params, forward(x) -> y)."""
    torch.manual_seed(seed)
    params = {}
    if spec['kind'] == 'residual':
        act = ACT[spec['block']['activation']]
        W = spec['width']
        stem = torch.nn.Linear(spec['inputSize'], W)
        blocks = [[torch.nn.Linear(W, W) for _ in range(spec['block']['layers'])] for _ in range(spec['depth'])]
        head = torch.nn.Linear(W, spec['outputSize'])
        params.update({'stem.weight': stem.weight, 'stem.bias': stem.bias})
        for i, b in enumerate(blocks):
            for j, lin in enumerate(b):
                params[f'blocks.{i}.{j}.weight'] = lin.weight
                params[f'blocks.{i}.{j}.bias'] = lin.bias
        params.update({'head.weight': head.weight, 'head.bias': head.bias})

        def forward(x):
            h = act(stem(x))
            for b in blocks:
                f = h
                for lin in b:
                    f = act(lin(f))
                h = h + f if spec['block']['skip'] == 'identity' else f
            return head(h)
    else:
        cls = {'lstm': torch.nn.LSTM, 'gru': torch.nn.GRU, 'rnn': torch.nn.RNN}[spec['cell']]
        rnn = cls(spec['inputSize'], spec['hiddenSize'], spec['numLayers'], batch_first=True)
        fc = torch.nn.Linear(spec['hiddenSize'], spec['outputSize'])
        for k, v in rnn.named_parameters():
            params[f"{spec['cell']}.{k}"] = v
        params.update({'fc.weight': fc.weight, 'fc.bias': fc.bias})

        def forward(x):
            out, _ = rnn(x)
            return fc(out[:, -1, :])
    for p in params.values():
        p.data = p.data.float().double()
    return params, forward


def trajectory_case(name, spec, config, batch, steps, seed):
    params, forward = build(spec, seed)
    initial = {k: tensor_json(v) for k, v in params.items()}
    opt_cfg = config['optimizer']
    plist = list(params.values())
    if opt_cfg['type'] == 'sgd':
        opt = torch.optim.SGD(plist, lr=opt_cfg['lr'], momentum=opt_cfg.get('momentum', 0), nesterov=opt_cfg.get('nesterov', False),
                              weight_decay=opt_cfg.get('weightDecay', 0))
    elif opt_cfg['type'] == 'adam':
        opt = torch.optim.Adam(plist, lr=opt_cfg['lr'], weight_decay=opt_cfg.get('weightDecay', 0))
    else:
        opt = torch.optim.AdamW(plist, lr=opt_cfg['lr'], weight_decay=opt_cfg.get('weightDecay', 0.01))
    sched_cfg = config.get('schedule', {'type': 'constant'})
    if sched_cfg['type'] == 'step':
        sched = torch.optim.lr_scheduler.StepLR(opt, sched_cfg['stepSize'], sched_cfg.get('gamma', 0.1))
    elif sched_cfg['type'] == 'cosine':
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, sched_cfg['tMax'], sched_cfg.get('etaMin', 0))
    else:
        sched = None
    batches, losses, grad_norms, lrs = [], [], [], []
    for _ in range(steps):
        shape = (batch, spec['inputSize']) if spec['kind'] == 'residual' else (batch, 5, spec['inputSize'])
        x = torch.randn(*shape).float().double()
        target = make_target(config['loss'], batch, spec['outputSize']).float().double()
        batches.append({'input': tensor_json(x), 'target': tensor_json(target)})
        opt.zero_grad()
        l = loss_of(forward(x), target, config['loss'])
        l.backward()
        total = torch.sqrt(sum((p.grad ** 2).sum() for p in plist))
        clip = config.get('clip')
        if clip and clip['type'] == 'norm':
            torch.nn.utils.clip_grad_norm_(plist, clip['maxNorm'])
        elif clip and clip['type'] == 'value':
            torch.nn.utils.clip_grad_value_(plist, clip['clipValue'])
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        if sched:
            sched.step()
        losses.append(float(l))
        grad_norms.append(float(total))
    return {'name': name, 'spec': spec, 'config': config, 'params': initial, 'batches': batches, 'losses': losses,
            'gradNorms': grad_norms, 'lrs': lrs, 'finalParams': {k: tensor_json(v) for k, v in params.items()}}


trajectories = [
    trajectory_case('residual tanh depth 3, Adam lr 1e-2, clip norm 1.0', res('tanh'),
                    {'loss': 'mse', 'optimizer': {'type': 'adam', 'lr': 1e-2}, 'clip': {'type': 'norm', 'maxNorm': 1.0}}, 8, 20, 21),
    trajectory_case('lstm 1x5, Adam lr 1e-2, clip norm 1.0', rec('lstm', 1),
                    {'loss': 'mse', 'optimizer': {'type': 'adam', 'lr': 1e-2}, 'clip': {'type': 'norm', 'maxNorm': 1.0}}, 8, 20, 22),
    trajectory_case('gru 2x5, SGD nesterov + weight decay, step schedule, clip value', rec('gru', 2),
                    {'loss': 'crossEntropy', 'optimizer': {'type': 'sgd', 'lr': 0.1, 'momentum': 0.9, 'nesterov': True, 'weightDecay': 1e-3},
                     'schedule': {'type': 'step', 'stepSize': 5, 'gamma': 0.5}, 'clip': {'type': 'value', 'clipValue': 0.05}}, 8, 20, 23),
    trajectory_case('residual relu 3x2, AdamW, cosine schedule, clip norm 0.5', res('relu', 3, 2),
                    {'loss': 'crossEntropy', 'optimizer': {'type': 'adamw', 'lr': 1e-2, 'weightDecay': 0.01},
                     'schedule': {'type': 'cosine', 'tMax': 20}, 'clip': {'type': 'norm', 'maxNorm': 0.5}}, 8, 20, 24),
    trajectory_case('rnn 2x5, SGD momentum, no clipping', rec('rnn', 2),
                    {'loss': 'mse', 'optimizer': {'type': 'sgd', 'lr': 0.05, 'momentum': 0.5}}, 8, 20, 25),
]

path = os.path.join(os.path.dirname(__file__), '..', 'src', '__fixtures__', 'goldens.json')
with open(path, 'w') as f:
    json.dump({'generator': 'packages/onnx/scripts/make-goldens.py', 'torch': torch.__version__, 'cases': cases, 'trajectories': trajectories}, f)
print(f'wrote {len(cases)} cases and {len(trajectories)} trajectories to {os.path.normpath(path)}')

"""PyTorch (float64) training trajectories for the tfjs adapter's tests: torch.optim + lr_scheduler + clip_grad_*.

Run with Debian's torch: /usr/bin/python3 packages/tfjs/scripts/make-torch-training-fixtures.py
Each run records, per step, the loss, the pre-clip total gradient norm, the clip coefficient and the learning rate,
the per-parameter stats of the first step, and the parameters after the last step. The adding-problem run stores
its batches (values U(0,1), one marker in [0, T/2) and one in [T/2, T), target = sum of the two marked values).
"""
import json, math, os
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), '..', 'src', '__fixtures__', 'torch-training.json')


def f32(t):
    return t.float().double()


def residual_params(spec, gen):
    w = spec['width']
    shapes = [('stem.weight', [w, spec['inputSize']]), ('stem.bias', [w])]
    for i in range(spec['depth']):
        shapes += [(f'blocks.{i}.0.weight', [w, w]), (f'blocks.{i}.0.bias', [w])]
    shapes += [('head.weight', [spec['outputSize'], w]), ('head.bias', [spec['outputSize']])]
    return {n: f32((torch.rand(s, generator=gen) * 2 - 1) / math.sqrt(s[-1] if len(s) == 2 else w)) for n, s in shapes}


def residual_forward(spec, P, x):
    h = torch.tanh(F.linear(x, P['stem.weight'], P['stem.bias']))
    for i in range(spec['depth']):
        h = h + torch.tanh(F.linear(h, P[f'blocks.{i}.0.weight'], P[f'blocks.{i}.0.bias']))
    return F.linear(h, P['head.weight'], P['head.bias'])


def lstm_params(spec, gen):
    H, I = spec['hiddenSize'], spec['inputSize']
    k = 1 / math.sqrt(H)
    shapes = [('lstm.weight_ih_l0', [4 * H, I]), ('lstm.weight_hh_l0', [4 * H, H]), ('lstm.bias_ih_l0', [4 * H]),
              ('lstm.bias_hh_l0', [4 * H]), ('fc.weight', [1, H]), ('fc.bias', [1])]
    return {n: f32((torch.rand(s, generator=gen) * 2 - 1) * k) for n, s in shapes}


def lstm_forward(spec, P, x):
    H = spec['hiddenSize']
    h = torch.zeros(x.shape[0], H)
    c = torch.zeros(x.shape[0], H)
    for t in range(x.shape[1]):
        i, f, g, o = (F.linear(x[:, t], P['lstm.weight_ih_l0'], P['lstm.bias_ih_l0']) + F.linear(h, P['lstm.weight_hh_l0'], P['lstm.bias_hh_l0'])).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
    return F.linear(h, P['fc.weight'], P['fc.bias'])


def make_optimizer(cfg, params):
    o = cfg['optimizer']
    if o['type'] == 'sgd':
        return torch.optim.SGD(params, lr=o['lr'], momentum=o.get('momentum', 0), dampening=o.get('dampening', 0),
                               nesterov=o.get('nesterov', False), weight_decay=o.get('weightDecay', 0))
    cls = torch.optim.Adam if o['type'] == 'adam' else torch.optim.AdamW
    return cls(params, lr=o['lr'], betas=tuple(o.get('betas', (0.9, 0.999))), eps=o.get('eps', 1e-8),
               weight_decay=o.get('weightDecay', 0 if o['type'] == 'adam' else 0.01))


def make_scheduler(cfg, opt):
    s = cfg.get('schedule', {'type': 'constant'})
    if s['type'] == 'step':
        return torch.optim.lr_scheduler.StepLR(opt, step_size=s['stepSize'], gamma=s.get('gamma', 0.1))
    if s['type'] == 'cosine':
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=s['tMax'], eta_min=s.get('etaMin', 0))
    return None


def train(cfg, P, forward, batches):
    P = {n: p.clone().requires_grad_() for n, p in P.items()}
    opt = make_optimizer(cfg, list(P.values()))
    sched = make_scheduler(cfg, opt)
    steps, first = [], None
    for x, y in batches:
        opt.zero_grad()
        loss = F.mse_loss(forward(P, x), y)
        loss.backward()
        before = {n: (p.grad.norm().item(), p.detach().norm().item(), p.detach().clone()) for n, p in P.items()}
        clip = cfg.get('clip')
        if clip and clip['type'] == 'value':
            total = torch.norm(torch.stack([p.grad.norm() for p in P.values()])).item()
            torch.nn.utils.clip_grad_value_(list(P.values()), clip['clipValue'])
            coef = 1.0
        else:
            total = torch.nn.utils.clip_grad_norm_(list(P.values()), clip['maxNorm'] if clip else float('inf')).item()
            coef = min(1.0, clip['maxNorm'] / (total + 1e-6)) if clip else 1.0
        lr = opt.param_groups[0]['lr']
        opt.step()
        if sched:
            sched.step()
        steps.append({'loss': loss.item(), 'gradNorm': total, 'clipCoef': coef, 'lr': lr})
        if first is None:
            first = {n: {'gradNorm': g, 'weightNorm': w, 'updateRatio': (P[n].detach() - old).norm().item() / w} for n, (g, w, old) in before.items()}
    return steps, first, {n: p.detach().flatten().tolist() for n, p in P.items()}


def tensor(t):
    return {'shape': list(t.shape), 'data': t.flatten().tolist()}


gen = torch.Generator().manual_seed(7)
res_spec = {'kind': 'residual', 'inputSize': 3, 'outputSize': 2, 'width': 6, 'depth': 2, 'block': {'layers': 1, 'activation': 'tanh', 'skip': 'identity'}}
res_P = residual_params(res_spec, gen)
res_batches = [(f32(torch.randn(5, 3, generator=gen)), f32(torch.randn(5, 2, generator=gen))) for _ in range(5)]
configs = [
    {'optimizer': {'type': 'sgd', 'lr': 0.1, 'momentum': 0.9, 'dampening': 0.1, 'weightDecay': 0.01}, 'schedule': {'type': 'step', 'stepSize': 2, 'gamma': 0.5}, 'clip': {'type': 'norm', 'maxNorm': 0.5}},
    {'optimizer': {'type': 'sgd', 'lr': 0.05, 'momentum': 0.8, 'nesterov': True}, 'schedule': {'type': 'cosine', 'tMax': 3, 'etaMin': 0.01}, 'clip': {'type': 'value', 'clipValue': 0.05}},
    {'optimizer': {'type': 'sgd', 'lr': 0.2}},
    {'optimizer': {'type': 'adam', 'lr': 0.01, 'betas': [0.8, 0.99], 'eps': 1e-6, 'weightDecay': 0.01}, 'clip': {'type': 'norm', 'maxNorm': 1.0}},
    {'optimizer': {'type': 'adamw', 'lr': 0.01, 'weightDecay': 0.1}, 'schedule': {'type': 'cosine', 'tMax': 4}},
]
runs = []
for cfg in configs:
    steps, first, final = train(cfg, res_P, lambda P, x: residual_forward(res_spec, P, x), res_batches)
    runs.append({'config': cfg, 'steps': steps, 'firstStepParams': first, 'finalParams': final})

# The adding problem: 20 Adam steps with clip_grad_norm_ on, LSTM H=8, T=10, batch 16.
T, B = 10, 16
add_spec = {'kind': 'recurrent', 'cell': 'lstm', 'inputSize': 2, 'hiddenSize': 8, 'numLayers': 1, 'outputSize': 1}
add_P = lstm_params(add_spec, gen)
add_batches = []
for _ in range(20):
    values = f32(torch.rand(B, T, generator=gen))
    marks = torch.zeros(B, T)
    first_pos = torch.randint(0, T // 2, (B,), generator=gen)
    second_pos = torch.randint(T // 2, T, (B,), generator=gen)
    marks[torch.arange(B), first_pos] = 1
    marks[torch.arange(B), second_pos] = 1
    x = torch.stack([values, marks], 2)
    y = (values * marks).sum(1, keepdim=True)
    add_batches.append((x, y))
add_cfg = {'optimizer': {'type': 'adam', 'lr': 0.01}, 'clip': {'type': 'norm', 'maxNorm': 1.0}}
steps, first, final = train(add_cfg, add_P, lambda P, x: lstm_forward(add_spec, P, x), add_batches)

with open(OUT, 'w') as fh:
    json.dump({
        'generatedBy': 'packages/tfjs/scripts/make-torch-training-fixtures.py (torch %s, float64)' % torch.__version__,
        'residual': {'spec': res_spec, 'params': {n: tensor(p) for n, p in res_P.items()},
                     'batches': [{'input': tensor(x), 'target': tensor(y)} for x, y in res_batches], 'runs': runs},
        'adding': {'spec': add_spec, 'params': {n: tensor(p) for n, p in add_P.items()}, 'config': add_cfg,
                   'batches': [{'input': tensor(x), 'target': tensor(y)} for x, y in add_batches], 'steps': steps},
    }, fh)
print('wrote', os.path.normpath(OUT))

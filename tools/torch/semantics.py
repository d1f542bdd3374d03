"""packages/core/src/__fixtures__/torch-semantics.json: PyTorch's own answers (float64) for the training semantics of
DESIGN.md, so core's optimizers, schedules, clipping and losses are checked against torch itself.

Written by `/usr/bin/python3 tools/torch/make_fixtures.py semantics [--out DIR]` (see README.md).
CI has no python: the JSON is committed. Python's json writes the shortest repr of each float64, which JavaScript's
JSON.parse reads back bit for bit.
"""
import json
import math
import os

import torch

OUT_DIR = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'core', 'src', '__fixtures__')
STEPS = 4


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def make_vectors():
    """Two parameters (a [2,3] weight and a [3] bias) and a different gradient for every step."""
    g = torch.Generator().manual_seed(20260527)
    params = {
        'w': torch.randn(2, 3, generator=g, dtype=torch.float64),
        'b': torch.randn(3, generator=g, dtype=torch.float64),
    }
    grads = [{n: torch.randn(p.shape, generator=g, dtype=torch.float64) * (0.5 + k) for n, p in params.items()} for k in range(STEPS)]
    return params, grads


def named(d):
    return {n: {'shape': list(t.shape), 'data': flat(t)} for n, t in d.items()}


def leaves(params):
    return {n: torch.nn.Parameter(p.clone()) for n, p in params.items()}


def optimizer_case(name, spec, make):
    params, grads = make_vectors()
    ps = leaves(params)
    opt = make(list(ps.values()))
    after = []
    for k in range(STEPS):
        for n, p in ps.items():
            p.grad = grads[k][n].clone()
        opt.step()
        after.append(named(ps))
    return {'name': name, 'optimizer': spec, 'lr': spec['lr'], 'params': named(params), 'grads': [named(g) for g in grads], 'after': after}


def optimizer_cases():
    O = torch.optim
    cases = [
        ('sgd plain', {'type': 'sgd', 'lr': 0.1}, lambda p: O.SGD(p, lr=0.1)),
        ('sgd momentum + dampening', {'type': 'sgd', 'lr': 0.05, 'momentum': 0.9, 'dampening': 0.25},
         lambda p: O.SGD(p, lr=0.05, momentum=0.9, dampening=0.25)),
        ('sgd nesterov', {'type': 'sgd', 'lr': 0.05, 'momentum': 0.8, 'nesterov': True},
         lambda p: O.SGD(p, lr=0.05, momentum=0.8, nesterov=True)),
        ('sgd weight decay + momentum', {'type': 'sgd', 'lr': 0.1, 'momentum': 0.5, 'weightDecay': 0.03},
         lambda p: O.SGD(p, lr=0.1, momentum=0.5, weight_decay=0.03)),
        ('sgd weight decay, no momentum', {'type': 'sgd', 'lr': 0.1, 'weightDecay': 0.2},
         lambda p: O.SGD(p, lr=0.1, weight_decay=0.2)),
        ('adam defaults', {'type': 'adam', 'lr': 0.01}, lambda p: O.Adam(p, lr=0.01)),
        ('adam betas, eps, weight decay', {'type': 'adam', 'lr': 0.02, 'betas': [0.8, 0.95], 'eps': 1e-3, 'weightDecay': 0.1},
         lambda p: O.Adam(p, lr=0.02, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.1)),
        ('adamw', {'type': 'adamw', 'lr': 0.02, 'betas': [0.85, 0.99], 'eps': 1e-6, 'weightDecay': 0.3},
         lambda p: O.AdamW(p, lr=0.02, betas=(0.85, 0.99), eps=1e-6, weight_decay=0.3)),
        ('adamw default decay', {'type': 'adamw', 'lr': 0.01}, lambda p: O.AdamW(p, lr=0.01)),
    ]
    return [optimizer_case(*c) for c in cases]


def schedule_case(name, spec, base_lr, make, steps=12):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]['lr'])  # the rate this optimizer step uses
        p.grad = torch.zeros(1)
        opt.step()
        sched.step()
    return {'name': name, 'schedule': spec, 'baseLr': base_lr, 'lrs': lrs}


def schedule_cases():
    S = torch.optim.lr_scheduler
    return [
        schedule_case('step', {'type': 'step', 'stepSize': 3, 'gamma': 0.5}, 0.1, lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
        schedule_case('step default gamma', {'type': 'step', 'stepSize': 5}, 0.3, lambda o: S.StepLR(o, step_size=5)),
        # tMax 8 over 12 steps: past tMax the rate climbs back along the cosine, as PyTorch's recursive form does.
        schedule_case('cosine past tMax', {'type': 'cosine', 'tMax': 8, 'etaMin': 0.001}, 0.1,
                      lambda o: S.CosineAnnealingLR(o, T_max=8, eta_min=0.001)),
        schedule_case('cosine', {'type': 'cosine', 'tMax': 12}, 0.05, lambda o: S.CosineAnnealingLR(o, T_max=12)),
    ]


def clip_case(name, clip, grads):
    gs = {n: g.clone() for n, g in grads.items()}
    tensors = list(gs.values())
    for t in tensors:
        t.requires_grad_(False)
    ps = [torch.nn.Parameter(torch.zeros_like(t)) for t in tensors]
    for p, t in zip(ps, tensors):
        p.grad = t.clone()
    if clip['type'] == 'norm':
        total = float(torch.nn.utils.clip_grad_norm_(ps, clip['maxNorm']))
        coef = min(1.0, clip['maxNorm'] / (total + 1e-6))
    else:
        total = float(torch.norm(torch.stack([torch.norm(t) for t in tensors])))
        torch.nn.utils.clip_grad_value_(ps, clip['clipValue'])
        coef = 1.0
    clipped = {n: p.grad for n, p in zip(gs.keys(), ps)}
    return {'name': name, 'clip': clip, 'grads': named(grads), 'clipped': named(clipped), 'totalNorm': total, 'coef': coef}


def clip_cases():
    _, grads = make_vectors()
    g = grads[2]
    total = float(torch.norm(torch.stack([torch.norm(t) for t in g.values()])))
    return [
        clip_case('norm clips', {'type': 'norm', 'maxNorm': 1.0}, g),
        clip_case('norm does not clip', {'type': 'norm', 'maxNorm': total * 2}, g),
        clip_case('value', {'type': 'value', 'clipValue': 0.75}, g),
    ]


def loss_cases():
    g = torch.Generator().manual_seed(7)
    out = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    target = torch.randn(4, 3, generator=g, dtype=torch.float64)
    mse = torch.nn.MSELoss()(out, target)
    mse.backward()
    logits = torch.randn(5, 4, generator=g, dtype=torch.float64) * 3
    logits[2, 1] = 60.0  # a large logit: the log-sum-exp must not overflow
    logits[4, 3] = -45.0
    logits.requires_grad_(True)
    labels = torch.tensor([0, 3, 1, 2, 3])
    ce = torch.nn.CrossEntropyLoss()(logits, labels)
    ce.backward()
    return [
        {'name': 'mse', 'loss': 'mse', 'batch': 4, 'output': flat(out), 'target': flat(target), 'value': float(mse), 'grad': flat(out.grad)},
        {'name': 'crossEntropy', 'loss': 'crossEntropy', 'batch': 5, 'output': flat(logits), 'target': [int(v) for v in labels],
         'value': float(ce), 'grad': flat(logits.grad)},
    ]


def training_step_case():
    """clip_grad_norm_ -> optimizer.step() with the scheduled rate -> scheduler.step(), as a torch loop runs it,
    with the per-parameter statistics of DESIGN.md's gradient report."""
    params, grads = make_vectors()
    ps = leaves(params)
    opt = torch.optim.SGD(list(ps.values()), lr=0.2, momentum=0.9, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    steps = []
    for k in range(STEPS):
        for n, p in ps.items():
            p.grad = grads[k][n].clone()
        stats = {n: {'gradNorm': float(p.grad.norm()), 'weightNorm': float(p.detach().norm())} for n, p in ps.items()}
        before = {n: p.detach().clone() for n, p in ps.items()}
        total = float(torch.nn.utils.clip_grad_norm_(list(ps.values()), 1.5))
        lr = opt.param_groups[0]['lr']
        opt.step()
        sched.step()
        for n, p in ps.items():
            stats[n]['updateRatio'] = float((p.detach() - before[n]).norm()) / stats[n]['weightNorm']
        steps.append({'lr': lr, 'gradNorm': total, 'clipCoef': min(1.0, 1.5 / (total + 1e-6)), 'params': named(ps), 'stats': stats})
    return {
        'name': 'clip norm + step schedule + sgd momentum/decay',
        'config': {'loss': 'mse', 'optimizer': {'type': 'sgd', 'lr': 0.2, 'momentum': 0.9, 'weightDecay': 0.01},
                   'schedule': {'type': 'step', 'stepSize': 2, 'gamma': 0.5}, 'clip': {'type': 'norm', 'maxNorm': 1.5}},
        'params': named(params), 'grads': [named(g) for g in grads], 'steps': steps,
    }


def write_all(out_dir):
    # Every case in float64; set here, not at import, so the other sets of make_fixtures.py keep float32.
    torch.set_default_dtype(torch.float64)
    try:
        write_cases(os.path.join(out_dir, 'torch-semantics.json'), out_dir)
    finally:
        torch.set_default_dtype(torch.float32)


def write_cases(out, out_dir):
    doc = {
        'generator': 'tools/torch/make_fixtures.py semantics',
        'torch': torch.__version__,
        'dtype': 'float64',
        'optimizers': optimizer_cases(),
        'schedules': schedule_cases(),
        'clipping': clip_cases(),
        'losses': loss_cases(),
        'trainingStep': training_step_case(),
    }
    for case in doc['clipping']:
        assert math.isfinite(case['totalNorm'])
    os.makedirs(out_dir, exist_ok=True)
    with open(out, 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    print('wrote', os.path.normpath(out))

"""@gradscope/core's fixtures for convolutional specs (python3-torch and python3-torchvision), written by
`/usr/bin/python3 tools/torch/make_fixtures.py conv` (see README.md).

- `torchvision-resnet18.manifest.json`: name, dtype and shape of every state_dict entry of
  `torchvision.models.resnet18()` (in order), instead of 45 MB of weights.
- `conv-tiny.safetensors` + `conv-tiny.json`: a small conv net (both shortcut kinds) saved as torch's state_dict,
  int64 `num_batches_tracked` buffers included, after two training-mode forwards (so the running statistics and
  counters are not the initial ones), and its spec.
"""
import json
import os
import struct

import torch
import torchvision

from conv_resnet import ConvResNet

OUT_DIR = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'core', 'src', '__fixtures__')
DTYPES = {torch.float32: 'F32', torch.int64: 'I64'}
TINY_SPEC = {'kind': 'residual', 'variant': 'conv', 'inputChannels': 2, 'inputSize': [6, 5], 'outputSize': 3,
             'stem': 'cifar', 'shortcut': 'projection',
             'stages': [{'blocks': 1, 'channels': 3, 'stride': 1}, {'blocks': 2, 'channels': 4, 'stride': 2}]}


def write_safetensors(path, state_dict):
    header = {'__metadata__': {'format': 'pt'}}
    blobs = []
    offset = 0
    for name, t in state_dict.items():
        data = t.contiguous().numpy().astype('<' + t.numpy().dtype.str[1:]).tobytes()
        header[name] = {'dtype': DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def manifest(module):
    return [{'name': n, 'dtype': DTYPES[t.dtype], 'shape': list(t.shape)} for n, t in module.state_dict().items()]


def write_all(out_dir):
    reference = torchvision.models.resnet18()
    entries = manifest(reference)
    ours = manifest(ConvResNet({'kind': 'residual', 'variant': 'conv', 'preset': 'resnet18'}))
    assert ours == entries, 'conv_resnet.py does not reproduce torchvision resnet18 state_dict'
    with open(os.path.join(out_dir, 'torchvision-resnet18.manifest.json'), 'w') as f:
        # One entry per line, so a diff shows exactly which name or shape changed.
        f.write('{"torchvision": %s, "torch": %s, "entries": [\n' % (json.dumps(torchvision.__version__), json.dumps(torch.__version__)))
        f.write(',\n'.join(' ' + json.dumps(e) for e in entries))
        f.write('\n]}\n')

    torch.manual_seed(7)
    tiny = ConvResNet(TINY_SPEC)
    tiny.train()
    for _ in range(2):
        tiny(torch.randn(3, 2, 6, 5))
    state = tiny.state_dict()
    write_safetensors(os.path.join(out_dir, 'conv-tiny.safetensors'), state)
    expected = {n: {'shape': list(t.shape), 'data': t.flatten().tolist()} for n, t in state.items()}
    with open(os.path.join(out_dir, 'conv-tiny.json'), 'w') as f:
        json.dump({'spec': TINY_SPEC, 'stateDict': expected}, f)
        f.write('\n')

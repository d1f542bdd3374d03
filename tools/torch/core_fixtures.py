"""Safetensors fixtures from real PyTorch modules for @gradscope/core's loader tests, written by
`/usr/bin/python3 tools/torch/make_fixtures.py core` (see README.md).

Debian has no python3-safetensors, so the files are written by hand in the safetensors layout: an 8-byte
little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}} padded
with spaces to a multiple of 8 bytes, then each tensor's raw little-endian bytes. `expected.json` holds, for
every file, its spec and the float32 values torch itself gives for each tensor (`tensor.float()`), which is
what gradscope must load (F64 rounded to nearest, F16/BF16 widened exactly).
"""
import json
import os
import struct

import torch
from torch import nn

OUT_DIR = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'core', 'src', '__fixtures__')

RESIDUAL_SPEC = {'kind': 'residual', 'inputSize': 3, 'outputSize': 2, 'width': 4, 'depth': 2,
                 'block': {'layers': 1, 'activation': 'relu', 'skip': 'identity'}}
LSTM_SPEC = {'kind': 'recurrent', 'cell': 'lstm', 'inputSize': 2, 'hiddenSize': 3, 'numLayers': 2, 'outputSize': 1}


class Residual(nn.Module):
    """The torch module DESIGN.md describes: blocks are ModuleLists of Linears, activation applied functionally."""

    def __init__(self, spec, dtype):
        super().__init__()
        w = spec['width']
        self.stem = nn.Linear(spec['inputSize'], w, dtype=dtype)
        self.blocks = nn.ModuleList(
            nn.ModuleList(nn.Linear(w, w, dtype=dtype) for _ in range(spec['block']['layers']))
            for _ in range(spec['depth']))
        self.head = nn.Linear(w, spec['outputSize'], dtype=dtype)


class Recurrent(nn.Module):
    def __init__(self, spec, dtype):
        super().__init__()
        self.lstm = nn.LSTM(spec['inputSize'], spec['hiddenSize'], num_layers=spec['numLayers'],
                            batch_first=True, dtype=dtype)
        self.fc = nn.Linear(spec['hiddenSize'], spec['outputSize'], dtype=dtype)


DTYPES = {
    torch.float32: ('F32', lambda t: t.numpy().astype('<f4').tobytes()),
    torch.float64: ('F64', lambda t: t.numpy().astype('<f8').tobytes()),
    torch.float16: ('F16', lambda t: t.numpy().astype('<f2').tobytes()),
    # numpy has no bfloat16: take the raw 16-bit patterns.
    torch.bfloat16: ('BF16', lambda t: t.view(torch.int16).numpy().astype('<i2').tobytes()),
}


def write_safetensors(path, state_dict):
    header = {'__metadata__': {'format': 'pt'}}
    chunks = []
    offset = 0
    for name, t in state_dict.items():
        dtype, to_bytes = DTYPES[t.dtype]
        data = to_bytes(t.detach().contiguous())
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)


def write_all(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    fixtures = [
        # (file, spec, module class, dtype the module is created in, dtype the file stores)
        ('residual.f32.safetensors', RESIDUAL_SPEC, Residual, torch.float32, torch.float32),
        ('lstm.f32.safetensors', LSTM_SPEC, Recurrent, torch.float32, torch.float32),
        # A float64 module: its values are not float32 values, so loading must round them.
        ('residual.f64.safetensors', RESIDUAL_SPEC, Residual, torch.float64, torch.float64),
        ('lstm.f16.safetensors', LSTM_SPEC, Recurrent, torch.float32, torch.float16),
        ('residual.bf16.safetensors', RESIDUAL_SPEC, Residual, torch.float32, torch.bfloat16),
    ]
    expected = {}
    for seed, (file, spec, cls, make_dtype, file_dtype) in enumerate(fixtures):
        torch.manual_seed(seed)
        module = cls(spec, make_dtype)
        state = {name: t.to(file_dtype) for name, t in module.state_dict().items()}
        write_safetensors(os.path.join(out_dir, file), state)
        expected[file] = {
            'spec': spec,
            'dtype': DTYPES[file_dtype][0],
            'params': {name: {'shape': list(t.shape), 'data': t.float().flatten().tolist()} for name, t in state.items()},
        }
    with open(os.path.join(out_dir, 'expected.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'files': expected}, f, indent=1)
        f.write('\n')

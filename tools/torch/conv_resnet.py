"""The torch module of a gradscope conv spec (`kind: "residual", variant: "conv"`), with torchvision's ResNet
state_dict names: `conv1`, `bn1`, `layer{s}.{b}.{conv1,bn1,conv2,bn2,downsample.{0,1}}`, `fc`.

Shared by conv_fixtures.py and goldens.py. For `shortcut: "projection"`, `norm: "batch"` and
`skip: "identity"` the blocks are torchvision's own `BasicBlock`; the other combinations (zero-pad option A,
`norm: "none"`, the plain net) are written here in the same shape.
"""
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.resnet import BasicBlock

PRESETS = {
    'resnet20': 3, 'resnet32': 5, 'resnet56': 9,
    'resnet18': [2, 2, 2, 2], 'resnet34': [3, 4, 6, 3],
}


def expand(spec):
    """The same defaults and preset expansion as @gradscope/core's parseModelSpec."""
    spec = dict(spec)
    preset = spec.pop('preset', None)
    base = {}
    if preset in ('resnet20', 'resnet32', 'resnet56'):
        n = PRESETS[preset]
        base = {'inputChannels': 3, 'inputSize': 32, 'outputSize': 10, 'stem': 'cifar', 'shortcut': 'zeropad',
                'stages': [{'blocks': n, 'channels': c, 'stride': 1 if i == 0 else 2} for i, c in enumerate([16, 32, 64])]}
    elif preset is not None:
        base = {'inputChannels': 3, 'inputSize': 224, 'outputSize': 1000, 'stem': 'imagenet', 'shortcut': 'projection',
                'stages': [{'blocks': b, 'channels': c, 'stride': 1 if i == 0 else 2}
                           for i, (b, c) in enumerate(zip(PRESETS[preset], [64, 128, 256, 512]))]}
    out = {'shortcut': 'projection', 'skip': 'identity', 'norm': 'batch', **base, **spec}
    out['stages'] = [{'stride': 1, **s} for s in out['stages']]
    return out


class ZeroPadShortcut(nn.Module):
    """He et al.'s option A: x[:, :, ::s, ::s], the zero channels split before and after the old ones, as the PyTorch
    CIFAR ResNet does (`F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4))`); an odd count puts the extra
    channel after (core's zeroPadChannels)."""

    def __init__(self, stride, out_channels):
        super().__init__()
        self.stride = stride
        self.out_channels = out_channels

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        extra = self.out_channels - x.shape[1]
        return F.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2))


class Block(nn.Module):
    """BasicBlock relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), with optional BN, skip and zero-pad shortcut."""

    def __init__(self, in_c, out_c, stride, spec):
        super().__init__()
        norm = spec['norm'] == 'batch'
        self.conv1 = nn.Conv2d(in_c, out_c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_c) if norm else nn.Identity()
        self.conv2 = nn.Conv2d(out_c, out_c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_c) if norm else nn.Identity()
        self.skip = spec['skip'] == 'identity'
        self.shortcut = nn.Identity()
        if self.skip and (stride != 1 or in_c != out_c):
            if spec['shortcut'] == 'projection':
                layers = [nn.Conv2d(in_c, out_c, 1, stride, bias=False)] + ([nn.BatchNorm2d(out_c)] if norm else [])
                self.downsample = nn.Sequential(*layers)
                self.shortcut = self.downsample
            else:
                self.shortcut = ZeroPadShortcut(stride, out_c)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.skip:
            out = out + self.shortcut(x)
        return F.relu(out)


class ConvResNet(nn.Module):
    def __init__(self, spec):
        super().__init__()
        spec = expand(spec)
        self.spec = spec
        c0 = spec['stages'][0]['channels']
        norm = spec['norm'] == 'batch'
        if spec['stem'] == 'cifar':
            self.conv1 = nn.Conv2d(spec['inputChannels'], c0, 3, 1, 1, bias=False)
            self.pool = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(spec['inputChannels'], c0, 7, 2, 3, bias=False)
            self.pool = nn.MaxPool2d(3, 2, 1)
        self.bn1 = nn.BatchNorm2d(c0) if norm else nn.Identity()
        in_c = c0
        for s, stage in enumerate(spec['stages']):
            blocks = []
            for b in range(stage['blocks']):
                stride = stage['stride'] if b == 0 else 1
                if norm and spec['skip'] == 'identity' and spec['shortcut'] == 'projection':
                    downsample = None
                    if stride != 1 or in_c != stage['channels']:
                        downsample = nn.Sequential(nn.Conv2d(in_c, stage['channels'], 1, stride, bias=False), nn.BatchNorm2d(stage['channels']))
                    blocks.append(BasicBlock(in_c, stage['channels'], stride, downsample))
                else:
                    blocks.append(Block(in_c, stage['channels'], stride, spec))
                in_c = stage['channels']
            setattr(self, f'layer{s + 1}', nn.Sequential(*blocks))
        self.num_stages = len(spec['stages'])
        self.fc = nn.Linear(in_c, spec['outputSize'])

    def blocks(self):
        return [blk for s in range(self.num_stages) for blk in getattr(self, f'layer{s + 1}')]

    def forward(self, x, block_outputs=None):
        h = self.pool(F.relu(self.bn1(self.conv1(x))))
        for blk in self.blocks():
            h = blk(h)
            if block_outputs is not None:
                h.retain_grad()
                block_outputs.append(h)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))

"""diffusers' UNet2DModel in plain PyTorch, for the GPU benchmark's Python peer (bench_torch.py gpu).

The lent GPU machine has PyTorch but not diffusers, so this re-states the forward pass of the UNet2DModel subset that
DistillDiff's unet2d builds (DownBlock2D / AttnDownBlock2D, UNetMidBlock2D with attention, UpBlock2D / AttnUpBlock2D,
resnet_time_scale_shift "default", class embedding by nn.Embedding), with diffusers' parameter names, so DistillDiff's
model folder (config.json + diffusion_pytorch_model.safetensors) loads into it strictly. The benchmark's same-work
check compares this model's output with DistillDiff's on the same weights and input. Written from diffusers'
architecture as documented; no diffusers code.
Also: a minimal safetensors reader (the safetensors package is not on every machine).
"""
import json
import math
import struct

import torch
from torch import nn
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64, 'I32': torch.int32,
              'U8': torch.uint8, 'F64': torch.float64}
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        a, b = info['data_offsets']
        t = torch.frombuffer(bytearray(data[a:b]), dtype=dtypes[info['dtype']]) if b > a else torch.empty(0, dtype=dtypes[info['dtype']])
        out[name] = t.reshape(info['shape'])
    return out


class Resnet(nn.Module):
    def __init__(self, cin, cout, temb, groups, eps):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.conv_shortcut(x) if self.conv_shortcut is not None else x) + h


class Attention(nn.Module):
    def __init__(self, ch, head_dim, groups, eps):
        super().__init__()
        self.heads = ch // (head_dim or ch)
        self.head_dim = head_dim or ch
        self.group_norm = nn.GroupNorm(groups, ch, eps)
        inner = self.heads * self.head_dim
        self.to_q, self.to_k, self.to_v = nn.Linear(ch, inner), nn.Linear(ch, inner), nn.Linear(ch, inner)
        self.to_out = nn.ModuleList([nn.Linear(inner, ch), nn.Dropout(0.0)])

    def forward(self, x):
        b, c, hh, ww = x.shape
        h = self.group_norm(x).reshape(b, c, hh * ww).transpose(1, 2)
        split = lambda t: t.view(b, hh * ww, self.heads, self.head_dim).transpose(1, 2)
        q, k, v = split(self.to_q(h)), split(self.to_k(h)), split(self.to_v(h))
        if hasattr(F, 'scaled_dot_product_attention'):
            o = F.scaled_dot_product_attention(q, k, v)
        else:  # PyTorch 1.13
            o = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.head_dim), -1) @ v
        o = o.transpose(1, 2).reshape(b, hh * ww, self.heads * self.head_dim)
        o = self.to_out[1](self.to_out[0](o))
        return o.transpose(1, 2).reshape(b, c, hh, ww) + x


class Down(nn.Module):
    def __init__(self, cin, cout, layers, temb, groups, eps, attn, head_dim, downsample, pad):
        super().__init__()
        self.resnets = nn.ModuleList([Resnet(cin if i == 0 else cout, cout, temb, groups, eps) for i in range(layers)])
        self.attentions = nn.ModuleList([Attention(cout, head_dim, groups, eps) for _ in range(layers)]) if attn else None
        self.pad = pad
        if downsample:
            d = nn.Module()
            d.conv = nn.Conv2d(cout, cout, 3, stride=2, padding=pad)
            self.downsamplers = nn.ModuleList([d])
        else:
            self.downsamplers = None

    def forward(self, h, temb, skips):
        for i, r in enumerate(self.resnets):
            h = r(h, temb)
            if self.attentions is not None:
                h = self.attentions[i](h)
            skips.append(h)
        if self.downsamplers is not None:
            conv = self.downsamplers[0].conv
            h = conv(h if self.pad != 0 else F.pad(h, (0, 1, 0, 1)))
            skips.append(h)
        return h


class Up(nn.Module):
    def __init__(self, cin, prev, cout, layers, temb, groups, eps, attn, head_dim, upsample):
        super().__init__()
        self.resnets = nn.ModuleList([
            Resnet((prev if i == 0 else cout) + (cin if i == layers - 1 else cout), cout, temb, groups, eps) for i in range(layers)])
        self.attentions = nn.ModuleList([Attention(cout, head_dim, groups, eps) for _ in range(layers)]) if attn else None
        if upsample:
            u = nn.Module()
            u.conv = nn.Conv2d(cout, cout, 3, padding=1)
            self.upsamplers = nn.ModuleList([u])
        else:
            self.upsamplers = None

    def forward(self, h, skips, temb):
        for i, r in enumerate(self.resnets):
            h = r(torch.cat([h, skips.pop()], 1), temb)
            if self.attentions is not None:
                h = self.attentions[i](h)
        if self.upsamplers is not None:
            h = self.upsamplers[0].conv(F.interpolate(h, scale_factor=2.0, mode='nearest'))
        return h


class UNet2D(nn.Module):
    """Built from a diffusers config.json; refuses the options this re-statement does not cover."""

    def __init__(self, cfg):
        super().__init__()
        need = {'resnet_time_scale_shift': 'default', 'class_embed_type': None, 'center_input_sample': False,
                'mid_block_scale_factor': 1, 'act_fn': 'silu', 'add_attention': True}
        for k, v in need.items():
            if cfg.get(k, v) != v:
                raise ValueError(f'unet_torch.py covers {k} = {v!r} only, got {cfg[k]!r}')
        ch = cfg['block_out_channels']
        groups, eps, head_dim = cfg.get('norm_num_groups', 32), cfg.get('norm_eps', 1e-5), cfg.get('attention_head_dim', 8)
        layers, pad = cfg.get('layers_per_block', 2), cfg.get('downsample_padding', 1)
        self.flip, self.shift, self.c0 = cfg.get('flip_sin_to_cos', True), cfg.get('freq_shift', 0), ch[0]
        temb = ch[0] * 4
        self.conv_in = nn.Conv2d(cfg.get('in_channels', 3), ch[0], 3, padding=1)
        self.time_embedding = nn.Module()
        self.time_embedding.linear_1 = nn.Linear(ch[0], temb)
        self.time_embedding.linear_2 = nn.Linear(temb, temb)
        n_cls = cfg.get('num_class_embeds')
        self.class_embedding = nn.Embedding(n_cls, temb) if n_cls else None
        self.down_blocks = nn.ModuleList()
        out = ch[0]
        for i, kind in enumerate(cfg['down_block_types']):
            cin, out = out, ch[i]
            self.down_blocks.append(Down(cin, out, layers, temb, groups, eps, kind == 'AttnDownBlock2D', head_dim, i < len(ch) - 1, pad))
        self.mid_block = nn.Module()
        self.mid_block.resnets = nn.ModuleList([Resnet(ch[-1], ch[-1], temb, groups, eps) for _ in range(2)])
        self.mid_block.attentions = nn.ModuleList([Attention(ch[-1], head_dim, groups, eps)])
        self.up_blocks = nn.ModuleList()
        rev = list(reversed(ch))
        out = rev[0]
        for i, kind in enumerate(cfg['up_block_types']):
            prev, out, cin = out, rev[i], rev[min(i + 1, len(ch) - 1)]
            self.up_blocks.append(Up(cin, prev, out, layers + 1, temb, groups, eps, kind == 'AttnUpBlock2D', head_dim, i < len(ch) - 1))
        self.conv_norm_out = nn.GroupNorm(groups, ch[0], eps)
        self.conv_out = nn.Conv2d(ch[0], cfg.get('out_channels', 3), 3, padding=1)

    def sinusoid(self, t):
        half = self.c0 // 2
        exponent = -math.log(10000) * torch.arange(0, half, dtype=torch.float32, device=t.device) / (half - self.shift)
        args = t.float()[:, None] * exponent.exp()[None, :]
        emb = torch.cat([args.sin(), args.cos()], -1)
        return torch.cat([emb[:, half:], emb[:, :half]], -1) if self.flip else emb

    def forward(self, x, timesteps, labels=None):
        emb = self.time_embedding.linear_2(F.silu(self.time_embedding.linear_1(self.sinusoid(timesteps).to(x.dtype))))
        if self.class_embedding is not None:
            emb = emb + self.class_embedding(labels).to(emb.dtype)
        h = self.conv_in(x)
        skips = [h]
        for block in self.down_blocks:
            h = block(h, emb, skips)
        h = self.mid_block.resnets[0](h, emb)
        h = self.mid_block.attentions[0](h)
        h = self.mid_block.resnets[1](h, emb)
        for block in self.up_blocks:
            h = block(h, skips, emb)
        return self.conv_out(F.silu(self.conv_norm_out(h)))


def load(folder, device):
    with open(f'{folder}/config.json') as f:
        cfg = json.load(f)
    model = UNet2D(cfg)
    model.load_state_dict(read_safetensors(f'{folder}/diffusion_pytorch_model.safetensors'), strict=True)
    return model.to(device)

#!/usr/bin/env python3
"""Converts PyTorch weights to the safetensors files srgan.jar loads (float32, PyTorch names).

  # torchvision's ImageNet VGG19 (the VGG54/VGG22 content loss), from a downloaded .pth:
  python3 tools/convert_weights.py vgg19-dcbb9e9d.pth vgg19.safetensors --only-features
  # any state dict (an SRResNet generator, say):
  python3 tools/convert_weights.py generator.pth generator.safetensors

Fetching the VGG19 weights is the user's step (nothing in this project downloads): either
  curl -LO https://download.pytorch.org/models/vgg19-dcbb9e9d.pth          (torchvision's file, 548 MB)
or timm's `vgg19.tv_in1k` model.safetensors, which already has the `features.N.weight/bias` names and loads as
it is. Needs Python 3 and PyTorch (for reading .pth); writes the safetensors format itself, so the
`safetensors` package is not needed.

Integer tensors (BatchNorm's num_batches_tracked) become float32, as srgan.jar stores them; anything that is
not a tensor (optimizer state, epochs) is skipped with a note. A checkpoint whose weights sit under a key
such as 'state_dict' or 'model' is unwrapped.
"""
import argparse, json, struct, sys

import torch


def tensors_of(obj):
    if isinstance(obj, dict):
        for key in ('state_dict', 'model', 'params', 'generator'):
            if key in obj and isinstance(obj[key], dict):
                return obj[key]
        return obj
    if hasattr(obj, 'state_dict'):
        return obj.state_dict()
    raise SystemExit(f'no state dict found in {type(obj).__name__}')


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().cpu().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(',', ':')).encode('utf-8')
    raw += b' ' * (-len(raw) % 8)  # the reference implementation pads the header to 8 bytes
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('input', help='a .pth/.pt file (torch.save of a state dict, a checkpoint or a module)')
    ap.add_argument('output', help='the .safetensors file to write')
    ap.add_argument('--only-features', action='store_true',
                    help='keep only features.N.* (a VGG feature extractor; drops the classifier)')
    a = ap.parse_args()
    state = tensors_of(torch.load(a.input, map_location='cpu'))
    out = {}
    for name, value in state.items():
        if not torch.is_tensor(value):
            print(f'skipped {name}: not a tensor', file=sys.stderr)
            continue
        if a.only_features and not name.startswith('features.'):
            continue
        out[name] = value
    if not out:
        raise SystemExit('nothing to write: no tensors matched')
    write_safetensors(a.output, out)
    print(f'wrote {len(out)} tensors, {sum(t.numel() for t in out.values()):,} values, to {a.output}')


if __name__ == '__main__':
    main()

#!/usr/bin/python3
"""Makes the PyTorch checkpoint fixtures of tests/DistillDiff.Formats.Tests/PyTorch (run once with Debian's
python3-torch 1.13: /usr/bin/python3 tools/make_pytorch_fixtures.py tests/DistillDiff.Formats.Tests/PyTorch).

Both files hold the same nested checkpoint, in torch.save's zip format and in the older non-zip format:
  {"state_dict": OrderedDict(w = arange(6).reshape(2, 3) * 0.5 (float32),
                             wt = that w transposed (a non-contiguous view of the same storage),
                             b = nn.Parameter([1.5, -2.0]) (float32),
                             h = [0.25, -1.0, 3.0] (float16), n = [7, -9] (int64), m = [True, False] (bool)),
   "ema": OrderedDict(w = arange(6).reshape(2, 3) * 0.25 (float64)),
   "step": 7, "lr": 0.001, "note": "fixture"}
The tests check the same numbers written out by hand.
"""
import collections
import os
import sys

import torch

out = sys.argv[1] if len(sys.argv) > 1 else "."
w = torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.5
sd = collections.OrderedDict()
sd["w"] = w
sd["wt"] = w.t()
sd["b"] = torch.nn.Parameter(torch.tensor([1.5, -2.0]))
sd["h"] = torch.tensor([0.25, -1.0, 3.0], dtype=torch.float16)
sd["n"] = torch.tensor([7, -9], dtype=torch.int64)
sd["m"] = torch.tensor([True, False])
ema = collections.OrderedDict(w=torch.arange(6, dtype=torch.float64).reshape(2, 3) * 0.25)
ckpt = {"state_dict": sd, "ema": ema, "step": 7, "lr": 0.001, "note": "fixture"}
torch.save(ckpt, os.path.join(out, "nested_zip.pt"))
torch.save(ckpt, os.path.join(out, "nested_legacy.pt"), _use_new_zipfile_serialization=False)
print(torch.__version__, [os.path.getsize(os.path.join(out, f)) for f in ("nested_zip.pt", "nested_legacy.pt")])

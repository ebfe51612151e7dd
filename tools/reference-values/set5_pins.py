# Per-image bicubic x4 numbers on Set5 (as bicubic_baseline.py). Run from ../shared/bench (see README.md beside this file):
#   env PATH=$(getconf PATH) python3 <repo>/tools/reference-values/set5_pins.py ../data/Set5
import sys, glob, os, numpy as np
sys.path.insert(0, '.')
from sr_metrics import *
s = 4
ps, ss = [], []
for f in sorted(glob.glob(os.path.join(sys.argv[1], '*.png'))):
    raw = load_rgb(f); hr = mod_crop(raw, s)
    lr_f = imresize(hr, 1 / s); lr = quantize(lr_f)
    ties = np.sum(np.abs(lr_f - np.floor(lr_f) - 0.5) < 1e-9)
    sr = quantize(imresize(lr, s))
    p, q = psnr_y(sr, hr, s), ssim_y(sr, hr, s); ps.append(p); ss.append(q)
    print('%s raw %s hr %s lrsum %d srsum %d psnr %.10f ssim %.10f ties %d' % (os.path.basename(f), raw.shape, hr.shape, lr.sum(), sr.sum(), p, q, ties))
print('mean psnr %.10f ssim %.10f' % (np.mean(ps), np.mean(ss)))

# Expected values for srgan.image tests. Run from ../shared/bench (see README.md beside this file):
#   env PATH=$(getconf PATH) python3 <repo>/tools/reference-values/bicubic_pins.py
import sys, numpy as np
sys.path.insert(0, '.')
from sr_metrics import *
def synth(w, h):  # HxWxC, value (37x + 91y + 53c + 11xy) mod 256
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing='ij')
    return ((37 * x + 91 * y + 53 * c + 11 * x * y) % 256).astype(np.float64)
np.set_printoptions(precision=10, linewidth=200, suppress=True)
img = synth(13, 10)
d = imresize(img, 1 / 4)
print('13x10 -> 1/4 shape', d.shape)
for c in range(3): print('plane', c, ' '.join('%.10f' % v for v in d[..., c].ravel()))
print('uint8', ' '.join('%d' % v for c in range(3) for v in quantize(d[..., c]).ravel()))
u = imresize(img, 4)
print('13x10 -> 4 shape', u.shape, 'plane sums', ' '.join('%.10f' % u[..., c].sum() for c in range(3)))
for (yy, xx, c) in [(0, 0, 0), (0, 51, 1), (39, 0, 2), (39, 51, 0), (17, 23, 1), (3, 48, 2)]:
    print('u[%d,%d,%d] = %.10f' % (yy, xx, c, u[yy, xx, c]))
s = synth(7, 5)
u7 = imresize(s, 4)
print('7x5 -> 4 shape', u7.shape)
print('plane1', ' '.join('%.5f' % v for v in u7[..., 1].ravel()))
for n_in, n_out, sc in [(10, 3, 0.25), (13, 52, 4)]:
    w_, i_ = contributions(n_in, n_out, sc)
    print('table', n_in, n_out, sc, 'taps', w_.shape[1])
    print(' w', ' '.join('%.12f' % v for v in w_.ravel()))
    print(' i', ' '.join('%d' % v for v in i_.ravel()))
# metrics on synthetic pairs
a = synth(40, 32); b = np.clip(a + ((np.arange(a.size).reshape(a.shape) * 7919) % 13 - 6), 0, 255)
print('psnr_y(a,b,4) %.12f ssim_y(a,b,4) %.12f' % (psnr_y(a, b, 4), ssim_y(a, b, 4)))
print('psnr_y(a,b,0) %.12f ssim_y(a,b,0) %.12f' % (psnr_y(a, b, 0), ssim_y(a, b, 0)))
g = np.repeat(a[..., :1], 3, axis=2); g2 = np.repeat(b[..., :1], 3, axis=2)
print('gray psnr_y %.12f ssim_y %.12f' % (psnr_y(g, g2, 4), ssim_y(g, g2, 4)))

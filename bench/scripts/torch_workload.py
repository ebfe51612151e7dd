"""One PyTorch workload of ../shared/bench/torch_srresnet_bench.py per process, with its peak RSS, to compare
with `srgan.jar bench --what <workload>` run the same way (one JVM per workload):

    env PATH=$(getconf PATH) python3 bench/scripts/torch_workload.py mse|gan-novgg|infer [threads] [reps]

Prints the median and best time and the process's peak resident memory (ru_maxrss), the model definitions
and step functions being the shared script's."""
import os, resource, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'shared', 'bench'))
import torch, torch.nn.functional as F
from torch_srresnet_bench import G, D, timeit

what = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
torch.manual_seed(0)
torch.set_num_threads(threads)
bs = 16
g = G(); d = D()
lr = torch.rand(bs, 3, 24, 24); hr = torch.rand(bs, 3, 96, 96) * 2 - 1
og = torch.optim.Adam(g.parameters(), 1e-4); od = torch.optim.Adam(d.parameters(), 1e-4)

def mse():
    og.zero_grad(); F.mse_loss(g(lr), hr).backward(); og.step()
def gan():
    od.zero_grad()
    fake = g(lr)
    ld = F.binary_cross_entropy_with_logits(d(hr), torch.ones(bs, 1)) + F.binary_cross_entropy_with_logits(d(fake.detach()), torch.zeros(bs, 1))
    ld.backward(); od.step()
    og.zero_grad()
    lg = F.mse_loss(fake, hr) + 1e-3 * F.binary_cross_entropy_with_logits(d(fake), torch.ones(bs, 1))
    lg.backward(); og.step()
image = torch.rand(1, 3, 128, 128)
def infer():
    with torch.no_grad(): g.eval(); g(image); g.train()

fn = {'mse': mse, 'gan-novgg': gan, 'infer': infer}[what]
m, b = timeit(fn, 2, reps)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"torch{torch.__version__} threads={threads} {what}: median {m*1000:.0f} ms best {b*1000:.0f} ms peak RSS {rss:.0f} MiB")

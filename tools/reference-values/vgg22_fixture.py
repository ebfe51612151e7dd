# Writes srgan/src/test/resources/vgg22-fixture.safetensors: random VGG19 weights up to relu2_2 in
# torchvision's layout (features.0/2/5/7), an input in [-1, 1], and PyTorch's VGG22 features of it after the
# ImageNet normalisation ((x + 1) / 2 - mean) / std. Vgg19FeaturesTorchParityTest checks our Vgg19Features
# against it. Needs PyTorch (Debian's python3-torch); torchvision's layout is built by hand, index for index.
#   env PATH=$(getconf PATH) python3 tools/reference-values/vgg22_fixture.py
import os, subprocess, sys, torch, torch.nn as nn
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
from convert_weights import write_safetensors
torch.manual_seed(0)
features = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2, 2), nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(128, 128, 3, padding=1), nn.ReLU())
x = torch.rand(2, 3, 12, 10) * 2 - 1
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
with torch.no_grad():
    y = features(((x + 1) / 2 - mean) / std)
tensors = {f'features.{k}': v for k, v in features.state_dict().items()}
tensors['input'] = x
tensors['expected'] = y
root = subprocess.check_output(['git', 'rev-parse', '--show-toplevel'], cwd=os.path.dirname(__file__)).decode().strip()
out = os.path.join(root, 'srgan/src/test/resources/vgg22-fixture.safetensors')
os.makedirs(os.path.dirname(out), exist_ok=True)
write_safetensors(out, tensors)
print('wrote', out, 'expected sum', float(y.sum()))

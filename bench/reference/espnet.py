"""ESPNet (Mehta et al., ECCV 2018) as a speed reference: the full network with its decoder,
written from the paper's description, random weights (only its speed is measured).

    /usr/bin/python3 bench/reference/espnet.py   ->  bench/reference/espnet-360x480.onnx

ESP module: a 1x1 reduction to n = out/K channels, K = 5 parallel 3x3 convolutions with
dilation 1, 2, 4, 8, 16, hierarchical feature fusion (each branch adds the previous sum), concat,
residual add, BatchNorm + PReLU. Encoder: 1/2 (16 ch + input), 1/4 (64 ch, 2 modules + input),
1/8 (128 ch, 8 modules); decoder: two learned 2x up-samplings with ESP refinement and a final
deconvolution back to full resolution.
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


class CBR(nn.Module):
    def __init__(self, cin, cout, k, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-3)
        self.act = nn.PReLU(cout)

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class BR(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bn = nn.BatchNorm2d(c, eps=1e-3)
        self.act = nn.PReLU(c)

    def forward(self, x):
        return self.act(self.bn(x))


class ESP(nn.Module):
    """ESP module; `down` makes it the strided variant that opens a level."""

    def __init__(self, cin, cout, down=False, residual=True):
        super().__init__()
        n = cout // 5
        n1 = cout - 4 * n
        stride = 2 if down else 1
        k = 3 if down else 1
        self.reduce = nn.Conv2d(cin, n, k, stride, (k - 1) // 2, bias=False)
        self.d1 = nn.Conv2d(n, n1, 3, 1, 1, bias=False)
        self.dil = nn.ModuleList([nn.Conv2d(n, n, 3, 1, d, dilation=d, bias=False) for d in (2, 4, 8, 16)])
        self.residual = residual and not down and cin == cout
        self.br = BR(cout)

    def forward(self, x):
        r = self.reduce(x)
        d = [self.d1(r)]
        acc = None
        for conv in self.dil:
            y = conv(r)
            acc = y if acc is None else acc + y  # hierarchical feature fusion
            d.append(acc)
        out = torch.cat(d, 1)
        if self.residual:
            out = out + x
        return self.br(out)


class ESPNet(nn.Module):
    def __init__(self, classes=11, p=2, q=8):
        super().__init__()
        self.level1 = CBR(3, 16, 3, 2)
        self.br1 = BR(16 + 3)
        self.down2 = ESP(19, 64, down=True)
        self.level2 = nn.Sequential(*[ESP(64, 64) for _ in range(p)])
        self.br2 = BR(128 + 3)
        self.down3 = ESP(131, 128, down=True)
        self.level3 = nn.Sequential(*[ESP(128, 128) for _ in range(q)])
        self.br3 = BR(256)
        self.cls3 = nn.Conv2d(256, classes, 1, bias=False)
        self.up3 = nn.ConvTranspose2d(classes, classes, 2, 2, bias=False)
        self.br_up3 = BR(classes)
        self.proj2 = CBR(131, classes, 1)
        self.esp2 = ESP(2 * classes, classes, residual=False)
        self.up2 = nn.ConvTranspose2d(classes, classes, 2, 2, bias=False)
        self.br_up2 = BR(classes)
        self.proj1 = CBR(19, classes, 1)
        self.esp1 = ESP(2 * classes, classes, residual=False)
        self.up1 = nn.ConvTranspose2d(classes, classes, 2, 2, bias=False)

    def forward(self, x):
        x1 = F.avg_pool2d(x, 3, 2, 1)
        x2 = F.avg_pool2d(x1, 3, 2, 1)
        l1 = self.br1(torch.cat([self.level1(x), x1], 1))
        d2 = self.down2(l1)
        l2 = self.br2(torch.cat([self.level2(d2), d2, x2], 1))
        d3 = self.down3(l2)
        l3 = self.br3(torch.cat([d3, self.level3(d3)], 1))
        u3 = self.br_up3(self.up3(self.cls3(l3)))
        u2 = self.br_up2(self.up2(self.esp2(torch.cat([u3, self.proj2(l2)], 1))))
        u1 = self.up1(self.esp1(torch.cat([u2, self.proj1(l1)], 1)))
        return u1


if __name__ == "__main__":
    torch.manual_seed(0)
    net = ESPNet().eval()
    params = sum(p.numel() for p in net.parameters())
    x = torch.randn(1, 3, 360, 480)
    with torch.no_grad():
        y = net(x)
    assert y.shape[-2:] == x.shape[-2:], y.shape
    out = os.path.join(HERE, "espnet-360x480.onnx")
    torch.onnx.export(net, x, out, input_names=["input"], output_names=["logits"], opset_version=13)
    print(f"ESPNet reference: {params} parameters, output {tuple(y.shape)} -> {out}")

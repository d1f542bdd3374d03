#!/usr/bin/python3
"""Evidence for the spirals task's purpose: a deep plain network stalls on it while a residual one learns.

Same data as core's createSpiralsTask (two arms, r = sqrt(u), angle = 2*pi*turns*r + class*pi) and the same network as a
gradscope residual spec (stem Linear+act, `depth` blocks of one Linear+act, `h + f(h)` or `f(h)`, Linear head).
Run:  /usr/bin/python3 tools/torch/spirals_plain_vs_residual.py 1.5 relu adam 16 1500
Measured on 2026-11-27 (torch 1.13, width 16, depth 16, relu, Adam lr 1e-2, batch 64, 1500 steps, 2000 test points):
  plain    test accuracy 0.495 / 0.495 (seeds 0, 1: chance; loss stuck at 0.692 = ln 2)
  residual test accuracy 0.998 / 0.999
"""
torch.set_num_threads(1)
def data(n, turns, g):
    c = torch.randint(0, 2, (n,), generator=g)
    r = torch.sqrt(torch.rand(n, generator=g))
    a = 2*math.pi*turns*r + c*math.pi
    return torch.stack([r*torch.cos(a), r*torch.sin(a)], 1), c
class Net(torch.nn.Module):
    def __init__(s, width, depth, act, skip):
        super().__init__(); s.stem = torch.nn.Linear(2, width); s.blocks = torch.nn.ModuleList([torch.nn.ModuleList([torch.nn.Linear(width, width)]) for _ in range(depth)]); s.head = torch.nn.Linear(width, 2); s.act = act; s.skip = skip
    def forward(s, x):
        h = s.act(s.stem(x))
        for b in s.blocks:
            f = s.act(b[0](h)); h = h + f if s.skip else f
        return s.head(h)
turns = float(sys.argv[1]); act = {'relu': torch.relu, 'tanh': torch.tanh, 'sigmoid': torch.sigmoid}[sys.argv[2]]; opt_name = sys.argv[3]; depth = int(sys.argv[4]); steps = int(sys.argv[5])
for skip in [False, True]:
  for seed in [0, 1]:
    torch.manual_seed(seed); g = torch.Generator().manual_seed(100+seed)
    net = Net(16, depth, act, skip)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2) if opt_name == 'adam' else torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    xt, yt = data(2000, turns, torch.Generator().manual_seed(999)); t0=time.time()
    for s in range(steps):
        x, y = data(64, turns, g); loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad(): acc = (net(xt).argmax(1) == yt).float().mean().item()
    print(f"turns={turns} {sys.argv[2]} {opt_name} depth={depth} skip={skip} seed={seed} test acc={acc:.3f} loss={loss.item():.3f} ({time.time()-t0:.1f}s)", flush=True)

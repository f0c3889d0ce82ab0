"""The issue's yardstick for the trainer: a plain PyTorch training loop of the benchmark's shape.

Same data recipe, model and batch as dev.nelbo.trainer.vae.TrainingBenchmark: 100,000 x 32 low-rank
rows, encoder and decoder hidden 64,64 with ELU, latent 8, a learned per-feature decoder log-variance,
the negative ELBO, Adam (lr 1e-3), batch 256, one intra-op thread. scripts/bench-trainer.sh runs it
next to the Java benchmark so that the two are compared in one run on the same (noisy, shared) machine.

Prints two figures, in seconds per epoch:
  plain      one pass over all 100,000 rows, nothing else (the issue's reference loop)
  same-work  what nelbo's epoch does: 90,000 training rows, then the 10,000 validation rows scored

Usage: python3 scripts/pytorch_reference.py [epochs]   (needs the torch package; CPU build is enough)
"""
import math
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(1)

EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
ROWS, WIDTH, FACTORS, HIDDEN, LATENT, BATCH, VALIDATION = 100_000, 32, 4, 64, 8, 256, 10_000

loading = torch.randn(FACTORS, WIDTH)
data = torch.randn(ROWS, FACTORS) @ loading / math.sqrt(FACTORS) + 0.3 * torch.randn(ROWS, WIDTH)
validation, train = data[:VALIDATION], data[VALIDATION:]


class Vae(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Sequential(
            torch.nn.Linear(WIDTH, HIDDEN), torch.nn.ELU(), torch.nn.Linear(HIDDEN, HIDDEN), torch.nn.ELU(),
            torch.nn.Linear(HIDDEN, 2 * LATENT))
        self.decoder = torch.nn.Sequential(
            torch.nn.Linear(LATENT, HIDDEN), torch.nn.ELU(), torch.nn.Linear(HIDDEN, HIDDEN), torch.nn.ELU(),
            torch.nn.Linear(HIDDEN, WIDTH))
        self.decoder_logvar = torch.nn.Parameter(torch.zeros(WIDTH))

    def negative_elbo(self, x):
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        logvar = logvar.clamp(-12, 8)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        mean = self.decoder(z)
        dlogvar = self.decoder_logvar.clamp(-12, 8)
        recon = 0.5 * ((x - mean) ** 2 * torch.exp(-dlogvar) + dlogvar + math.log(2 * math.pi)).sum(1)
        kl = 0.5 * (mu ** 2 + logvar.exp() - logvar - 1).sum(1)
        return recon + kl


model = Vae()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)


def epoch(rows, validate):
    start = time.perf_counter()
    shuffled = rows[torch.randperm(rows.shape[0])]
    for begin in range(0, rows.shape[0], BATCH):
        batch = shuffled[begin:begin + BATCH]
        loss = model.negative_elbo(batch).sum() / batch.shape[0]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if validate:
        with torch.no_grad():
            for begin in range(0, VALIDATION, 4096):
                float(model.negative_elbo(validation[begin:begin + 4096]).sum())
    return time.perf_counter() - start


epoch(train, True)  # warm-up
plain = sum(epoch(data, False) for _ in range(EPOCHS)) / EPOCHS
same = sum(epoch(train, True) for _ in range(EPOCHS)) / EPOCHS
print(f"pytorch={torch.__version__} threads={torch.get_num_threads()} plain {plain:.3f} s/epoch "
      f"({plain * 1000 / math.ceil(ROWS / BATCH):.3f} ms/step), same-work {same:.3f} s/epoch")

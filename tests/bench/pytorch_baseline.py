#!/usr/bin/env python3
"""Plain PyTorch (Python) baseline of `thoughtbench-cli bench rollout|train-step`.

The same model as core/model/GptPolicy.cpp (pre-LayerNorm GPT decoder: learned token and
position embeddings, per block x + attn(ln1(x)), h + out(gelu(fc(ln2(h)))) with a fused qkv
Linear, a 4*d MLP, exact GELU, final LayerNorm, untied bias-free head; GPT-2 initialisation) and
the same work as core/engine/Benchmark.cpp:

  rollout     batch x prompt-len prompts (the C++ deterministic token pattern), a
              pre-allocated KV cache of context = prompt-len + new-tokens, prefill then one token
              per step, temperature-1 multinomial sampling with the same per-step bookkeeping
              (log-softmax, gathered log-prob, entropy, alive mask, any().item()), no early stop.
              tokens_per_s = batch * new_tokens / seconds.
  train-step  forward over [batch, prompt+new], log-softmax + gather of the completion tokens,
              GRPO clipped surrogate (eps 0.2/0.2, dual clip 3.0), seq-mean-token-mean,
              backward, AdamW(lr 1e-4). tokens_per_s = batch * (prompt+new) / seconds.
  matmul      torch.mm of float32 square matrices (GFLOP/s) and the rollout / train-step
              roofline those rates allow for the configured model.

Timing: one warm-up, then the median of --repeats runs (as medianSeconds in Benchmark.cpp).
Prints one JSON line with the field names the C++ prints.
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- model (GptPolicy.cpp)

class KvCache:
    def __init__(self, batch, cfg):
        hd = cfg.d_model // cfg.heads
        self.keys = [torch.zeros(batch, cfg.heads, cfg.context, hd) for _ in range(cfg.layers)]
        self.values = [torch.zeros(batch, cfg.heads, cfg.context, hd) for _ in range(cfg.layers)]
        self.valid = torch.zeros(batch, cfg.context, dtype=torch.bool)
        self.length = 0


class CausalSelfAttention(nn.Module):
    def __init__(self, d_model, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x, attend, cache=None, layer=0):
        B, T, D = x.shape
        hd = D // self.heads
        qkv = self.qkv(x).view(B, T, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [B,H,T,hd]
        if cache is not None:
            start = cache.length
            cache.keys[layer].narrow(2, start, T).copy_(k)
            cache.values[layer].narrow(2, start, T).copy_(v)
            k = cache.keys[layer].narrow(2, 0, start + T)
            v = cache.values[layer].narrow(2, 0, start + T)
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(hd)
        scores = scores.masked_fill(attend.logical_not(), float("-inf"))
        weights = torch.softmax(scores, -1)
        y = torch.matmul(weights, v).transpose(1, 2).reshape(B, T, D)
        return self.proj(y)


class DecoderBlock(nn.Module):
    def __init__(self, d_model, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, heads)
        self.ln2 = nn.LayerNorm(d_model)
        self.fc = nn.Linear(d_model, 4 * d_model)
        self.out = nn.Linear(4 * d_model, d_model)

    def forward(self, x, attend, cache=None, layer=0):
        h = x + self.attn(self.ln1(x), attend, cache, layer)
        return h + self.out(F.gelu(self.fc(self.ln2(h))))


class GptPolicy(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        assert cfg.d_model % cfg.heads == 0
        self.cfg = cfg
        self.token_embedding = nn.Embedding(cfg.vocab, cfg.d_model)
        self.position_embedding = nn.Embedding(cfg.context, cfg.d_model)
        self.blocks = nn.ModuleList([DecoderBlock(cfg.d_model, cfg.heads) for _ in range(cfg.layers)])
        self.ln_final = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab, bias=False)
        # GPT-2 initialisation, the same rule (on the same parameter names) as the C++.
        with torch.no_grad():
            for name, t in self.named_parameters():
                if "bias" in name:
                    t.zero_()
                elif "ln" in name:
                    t.fill_(1.0)
                elif "attn.proj" in name or ".out." in name:
                    t.normal_(0.0, 0.02 / math.sqrt(2.0 * cfg.layers))
                else:
                    t.normal_(0.0, 0.02)

    def embed(self, tokens, positions):
        return self.token_embedding(tokens) + self.position_embedding(positions)

    def forward(self, tokens, valid):
        """Whole-sequence forward (trunk + head): tokens, valid [B,T] -> logits [B,T,V]."""
        T = tokens.size(1)
        assert T <= self.cfg.context
        positions = (valid.long().cumsum(1) - 1).clamp_min(0)
        x = self.embed(tokens, positions)
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        attend = (causal.unsqueeze(0) & valid.unsqueeze(1)) | torch.eye(T, dtype=torch.bool).unsqueeze(0)
        attend = attend.unsqueeze(1)
        for block in self.blocks:
            x = block(x, attend)
        return self.head(self.ln_final(x))

    def forward_cached(self, tokens, valid, cache):
        T = tokens.size(1)
        start = cache.length
        assert start + T <= self.cfg.context
        cache.valid.narrow(1, start, T).copy_(valid)
        all_valid = cache.valid.narrow(1, 0, start + T)
        if start > 0:
            before = cache.valid.narrow(1, 0, start).sum(1, keepdim=True)
        else:
            before = torch.zeros(tokens.size(0), 1, dtype=torch.long)
        positions = (valid.long().cumsum(1) - 1 + before).clamp_min(0)
        x = self.embed(tokens, positions)
        q_idx = torch.arange(start, start + T).unsqueeze(1)
        k_idx = torch.arange(0, start + T).unsqueeze(0)
        causal = k_idx <= q_idx
        attend = (causal.unsqueeze(0) & all_valid.unsqueeze(1)) | (k_idx == q_idx).unsqueeze(0)
        attend = attend.unsqueeze(1)
        for i, block in enumerate(self.blocks):
            x = block(x, attend, cache, i)
        cache.length = start + T
        return self.head(self.ln_final(x))

    def parameter_count(self):
        return sum(p.numel() for p in self.parameters())


class Config:
    def __init__(self, a):
        self.vocab, self.d_model, self.layers, self.heads = a.vocab, a.d_model, a.layers, a.heads
        self.context = a.prompt_len + a.new_tokens


# ---------------------------------------------------------------- benchmarks (Benchmark.cpp)

def median_seconds(repeats, fn):
    fn()  # warm-up: allocator and thread pools
    times = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def random_prompts(a):
    return [[3 + (i * 7 + j * 13) % (a.vocab - 3) for j in range(a.prompt_len)] for i in range(a.batch)]


def describe(a, threads, parameters):
    return {"vocab": a.vocab, "d_model": a.d_model, "layers": a.layers, "heads": a.heads,
            "batch": a.batch, "prompt_len": a.prompt_len, "new_tokens": a.new_tokens,
            "threads": threads, "parameters": parameters, "repeats": a.repeats}


def sample_completions(policy, prompt_tokens, prompt_valid, new_tokens, generator,
                       temperature=1.0, pad_id=0, eos_id=-1):
    """decodeCompletions + sampleCompletions of core/rollout/Sampler.cpp (top-p = 1)."""
    N, P = prompt_tokens.shape
    L = new_tokens
    cache = KvCache(N, policy.cfg)
    logits = policy.forward_cached(prompt_tokens, prompt_valid, cache).select(1, P - 1)
    completion = torch.full((N, L), pad_id, dtype=torch.long)
    mask = torch.zeros(N, L)
    logprobs = torch.zeros(N, L)
    entropies = torch.zeros(N, L)
    alive = torch.ones(N, dtype=torch.bool)
    inv_t = 1.0 / temperature
    for step in range(L):
        scaled = logits * inv_t
        logp = torch.log_softmax(scaled, -1)
        probs = torch.softmax(scaled, -1)
        token = torch.multinomial(probs, 1, replacement=False, generator=generator).squeeze(1)
        token = torch.where(alive, token, torch.full_like(token, pad_id))
        alive_f = alive.float()
        completion.select(1, step).copy_(token)
        mask.select(1, step).copy_(alive_f)
        logprobs.select(1, step).copy_(logp.gather(1, token.unsqueeze(1)).squeeze(1) * alive_f)
        entropies.select(1, step).copy_(-(logp.exp() * logp).sum(-1) * alive_f)
        alive = alive & (token != eos_id)
        if not alive.any().item() or step + 1 == L:
            break
        logits = policy.forward_cached(token.unsqueeze(1), alive.unsqueeze(1), cache).select(1, 0)
    tokens = torch.cat([prompt_tokens, completion], 1)
    valid = torch.cat([prompt_valid, mask.bool()], 1)
    lengths = [int(x.item()) for x in mask.sum(1)]  # the C++ reads the lengths row by row too
    return tokens, valid, mask, logprobs, entropies, lengths


def bench_rollout(a, threads):
    torch.manual_seed(0)
    policy = GptPolicy(Config(a))
    policy.eval()
    prompts = random_prompts(a)
    prompt_tokens = torch.tensor(prompts, dtype=torch.long)   # equal lengths: no padding
    prompt_valid = torch.ones_like(prompt_tokens, dtype=torch.bool)
    generator = torch.Generator().manual_seed(0)
    grad_mode = torch.no_grad if a.no_grad else torch.inference_mode

    def run():
        with grad_mode():
            sample_completions(policy, prompt_tokens, prompt_valid, a.new_tokens, generator)

    seconds = median_seconds(a.repeats, run)
    out = describe(a, threads, policy.parameter_count())
    out.update({"bench": "rollout", "seconds": seconds, "tokens_per_s": a.batch * a.new_tokens / seconds,
                "implementation": "pytorch", "grad_mode": "no_grad" if a.no_grad else "inference_mode"})
    return out


def clipped_surrogate(logp, old_logp, adv, clip_low, clip_high, dual_clip):
    ratio = torch.exp(logp - old_logp)
    unclipped = -adv * ratio
    clipped = -adv * torch.clamp(ratio, 1.0 - clip_low, 1.0 + clip_high)
    loss = torch.max(unclipped, clipped)
    if dual_clip > 1.0:
        capped = torch.min(loss, -adv * dual_clip)
        loss = torch.where(adv < 0, capped, loss)
    return loss


def seq_mean_token_mean(loss, mask):
    return ((loss * mask).sum(1) / mask.sum(1).clamp_min(1.0)).mean()


def bench_train_step(a, threads):
    torch.manual_seed(0)
    policy = GptPolicy(Config(a))
    optimizer = torch.optim.AdamW(policy.parameters(), lr=1e-4)
    prompts = random_prompts(a)
    completions = [[3 + (i * 5 + j * 11) % (a.vocab - 3) for j in range(a.new_tokens)] for i in range(a.batch)]
    tokens = torch.cat([torch.tensor(prompts), torch.tensor(completions)], 1)
    valid = torch.ones_like(tokens, dtype=torch.bool)
    mask = torch.ones(a.batch, a.new_tokens)
    P, L = a.prompt_len, a.new_tokens
    advantages = torch.randn(a.batch, 1)
    temperature = 1.0

    def score():
        logits = policy(tokens, valid)
        predicting = logits.narrow(1, P - 1, L) / temperature
        targets = tokens.narrow(1, P, L)
        logp = torch.log_softmax(predicting, -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        return logp * mask

    with torch.no_grad():
        old_logp = score()

    def step():
        logp = score()
        terms = clipped_surrogate(logp, old_logp, advantages, 0.2, 0.2, 3.0)
        loss = seq_mean_token_mean(terms, mask)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    seconds = median_seconds(a.repeats, step)
    out = describe(a, threads, policy.parameter_count())
    out.update({"bench": "train-step", "seconds": seconds,
                "tokens_per_s": a.batch * (a.prompt_len + a.new_tokens) / seconds, "implementation": "pytorch"})
    return out


def matmul_gflops(n, repeats):
    x, y = torch.randn(n, n), torch.randn(n, n)
    out = torch.empty(n, n)
    inner = max(1, int(2e9 / (2 * n ** 3)))  # ~2 GFLOP per timed sample
    seconds = median_seconds(repeats, lambda: [torch.mm(x, y, out=out) for _ in range(inner)])
    return 2.0 * n ** 3 * inner / seconds / 1e9


def bench_matmul(a, threads):
    """torch.mm GFLOP/s and the roofline of the configured rollout and train step."""
    cfg = Config(a)
    params = GptPolicy(cfg).parameter_count()
    rates = {str(n): matmul_gflops(n, a.repeats) for n in a.matmul_sizes}
    P, L, D, nl = a.prompt_len, a.new_tokens, a.d_model, a.layers
    # Rollout, as the issue puts it: 2 x parameters per generated token plus attention
    # (QK^T and AV: 2 x 2 x layers x d_model x context) at the mean context of the generated tokens.
    mean_context = P + L / 2.0
    flops_per_token = 2.0 * params + 4.0 * nl * D * mean_context
    # The same counted exactly over what the rollout runs: P prefill + (L - 1) decode positions per
    # row, query at position t attending t + 1 keys, for batch x L generated tokens.
    positions = list(range(P)) + list(range(P, P + L - 1))
    exact_total = sum(2.0 * params + 4.0 * nl * D * (t + 1) for t in positions)
    exact_per_token = exact_total / L
    # Train step: forward + backward ~ 3 x forward over all P + L tokens, causal attention.
    T = P + L
    train_per_token = 3.0 * (2.0 * params + 4.0 * nl * D * (T + 1) / 2.0)
    roof = {}
    for n, g in rates.items():
        roof[n] = {"rollout_tokens_per_s": g * 1e9 / flops_per_token,
                   "rollout_tokens_per_s_with_prefill": g * 1e9 / exact_per_token,
                   "train_step_tokens_per_s": g * 1e9 / train_per_token}
    return {"bench": "matmul", "threads": threads, "repeats": a.repeats, "gflops": rates,
            "parameters": params, "rollout_flops_per_token": flops_per_token,
            "rollout_flops_per_token_with_prefill": exact_per_token,
            "train_step_flops_per_token": train_per_token, "roofline": roof,
            "vocab": a.vocab, "d_model": D, "layers": nl, "heads": a.heads, "batch": a.batch,
            "prompt_len": P, "new_tokens": L}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bench", choices=["rollout", "train-step", "matmul"], default="rollout")
    p.add_argument("--vocab", type=int, default=64)
    p.add_argument("--d-model", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--prompt-len", type=int, default=16)
    p.add_argument("--new-tokens", type=int, default=48)
    p.add_argument("--threads", type=int, default=0, help="0 = all cores (as the C++)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--no-grad", action="store_true",
                   help="rollout under torch.no_grad() (the C++ NoGradGuard) instead of inference_mode")
    p.add_argument("--matmul-sizes", type=int, nargs="+", default=[1024, 256])
    a = p.parse_args()
    if a.vocab < 4 or min(a.d_model, a.layers, a.heads, a.batch, a.prompt_len, a.new_tokens) < 1 \
            or a.d_model % a.heads != 0:
        p.error("expected positive sizes, vocab >= 4 and --heads dividing --d-model")
    threads = a.threads if a.threads > 0 else (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    fn = {"rollout": bench_rollout, "train-step": bench_train_step, "matmul": bench_matmul}[a.bench]
    out = fn(a, threads)
    out["torch"] = torch.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()

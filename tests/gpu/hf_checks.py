#!/usr/bin/env python3
"""Checks of the Hugging Face path against Hugging Face's own libraries, for a machine that has
them (the GPU machine's PyTorch image: torch, transformers, tokenizers, safetensors).

  tests/gpu/hf_checks.py CLI WORK_DIR OUT_JSON [--write-only]

1. Writes two random checkpoints in the Hub's layout into WORK_DIR (config.json as the Hub's
   4.x-style files spell it, safetensors written by transformers' save_pretrained):
   - qwen2_5_0_5b: Qwen2.5-0.5B's exact shape (24 layers, 896 wide, 14/2 heads, vocabulary
     151,936, tied embeddings, q/k/v biases), bfloat16, sharded (model.safetensors.index.json),
     with tests/data/hf_tokenizer/qwen2_like's tokenizer files (so it can also be trained);
   - llama3_small: a 4-layer Llama 3 (untied, grouped-query 16/4, rope_theta 500000 with llama3
     rope scaling), float32, one file.
2. The last position's logits of `CLI model logits --json` on cpu/float32, cuda/float32 and
   cuda/bfloat16 against transformers in float64 on the CPU: relative error
   ||ours - ref|| / ||ref||, largest absolute difference and whether the top token agrees. For scale,
   transformers' own cuda/bfloat16 logits are measured against the same reference.
3. Token ids of `CLI model tokenize --json` against the `tokenizers` library (the Rust reference
   implementation) for the three test tokenizers, with and without special tokens.

Prints a table; writes every figure to OUT_JSON; exits 1 when a check fails.
"""
import json
import os
import random
import subprocess
import sys
import time

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

CLI, WORK, OUT_JSON = sys.argv[1], sys.argv[2], sys.argv[3]
WRITE_ONLY = "--write-only" in sys.argv[4:]  # only step 1's Qwen2.5-0.5B-shaped checkpoint
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKENIZERS = os.path.join(REPO, "tests", "data", "hf_tokenizer")

QWEN = {
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 896,
    "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14,
    "num_key_value_heads": 2, "vocab_size": 151936, "max_position_embeddings": 32768,
    "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": True, "hidden_act": "silu",
    "torch_dtype": "bfloat16", "bos_token_id": 151643, "eos_token_id": 151645,
    "use_sliding_window": False, "attention_dropout": 0.0, "initializer_range": 0.02,
}
LLAMA = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 1024,
    "intermediate_size": 2816, "num_hidden_layers": 4, "num_attention_heads": 16,
    "num_key_value_heads": 4, "vocab_size": 128256, "max_position_embeddings": 131072,
    "rope_theta": 500000.0, "rms_norm_eps": 1e-5, "tie_word_embeddings": False, "hidden_act": "silu",
    "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                     "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
    "torch_dtype": "float32", "bos_token_id": 128000, "eos_token_id": 128001,
    "attention_bias": False, "mlp_bias": False, "initializer_range": 0.02,
}


def log(*args):
    print(*args, flush=True)


def from_pretrained(folder, dtype, device="cpu"):
    try:
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, attn_implementation="eager")
    except TypeError:  # transformers 4.x
        model = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=dtype, attn_implementation="eager")
    return model.to(device).eval()


def write_checkpoint(name, config, dtype, shard, tokenizer=None):
    folder = os.path.join(WORK, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    torch.manual_seed(1234)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(folder))
    # The initialiser leaves norms at 1 and biases at 0; perturb every tensor so that each one
    # matters to the logits (a loader that dropped a bias or a norm would show).
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    model = model.to(dtype)
    model.save_pretrained(folder, max_shard_size=shard)
    # save_pretrained rewrites config.json in its own version's spelling; the Hub's files (and so
    # the loader's first duty) use 4.x's rope_theta / rope_scaling / torch_dtype.
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    if tokenizer:
        for file in ("tokenizer.json", "tokenizer_config.json"):
            with open(os.path.join(TOKENIZERS, tokenizer, file), "rb") as src, open(os.path.join(folder, file), "wb") as dst:
                dst.write(src.read())
    files = sorted(f for f in os.listdir(folder) if f.endswith(".safetensors") or f.endswith(".json"))
    log(f"wrote {folder}: {', '.join(files)}")
    return folder


def cli_json(*args):
    result = subprocess.run([CLI, *args, "--json"], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {result.returncode}: {result.stderr.strip()[-2000:]}")
    return json.loads(result.stdout)


def compare(ours, ref):
    ours, ref = ours.double(), ref.double()
    return {
        "rel_error": float((ours - ref).norm() / ref.norm()),
        "max_abs": float((ours - ref).abs().max()),
        "top1_agrees": bool(int(ours.argmax()) == int(ref.argmax())),
    }


def logits_checks(folder, label, ids):
    start = time.time()
    ref_model = from_pretrained(folder, torch.float64)
    with torch.no_grad():
        ref = ref_model(torch.tensor([ids])).logits[0, -1].double()
    del ref_model
    rows = []
    limits = {"float32": 1e-4, "bfloat16": 5e-2}
    for device, dtype in (("cpu", "float32"), ("cuda", "float32"), ("cuda", "bfloat16")):
        row = {"model": label, "who": "thoughtbench", "device": device, "dtype": dtype}
        try:
            out = cli_json("model", "logits", "--model", folder, "--ids", ",".join(map(str, ids)),
                           "--device", device, "--dtype", dtype)
            row.update(compare(torch.tensor(out["logits"]), ref))
            row["ok"] = row["rel_error"] < limits[dtype]
        except Exception as e:  # a failing configuration must not hide the others
            row.update({"error": str(e), "ok": False})
        rows.append(row)
    hf = from_pretrained(folder, torch.bfloat16, "cuda")
    with torch.no_grad():
        theirs = hf(torch.tensor([ids], device="cuda")).logits[0, -1].float().cpu()
    del hf
    torch.cuda.empty_cache()
    rows.append({"model": label, "who": "transformers", "device": "cuda", "dtype": "bfloat16",
                 **compare(theirs, ref), "ok": True})
    log(f"{label}: logits checked in {time.time() - start:.1f} s")
    return rows


CORPUS = [
    "", "Hello world", "The quick brown fox jumps over the lazy dog.",
    "It's, I'm, you're, we've, they'll, he'd, don't. IT'S I'M YOU'RE",
    "Numbers: 1 12 123 1234 12345678 3.14159 -42 1,000,000 2024-06-01 0x1F 99%",
    "a  b   c    d\te\t\tf", "trailing spaces   ", "   leading spaces",
    "line one\nline two\n\nline four\r\nwindows line\r\n", "\n\n\n",
    "def f(x):\n    return x ** 2  # square\n\nprint(f(12))",
    "Emoji 😀🎉👍 rocket 🚀 family 👨‍👩‍👧 heart ❤️", "東京は日本の首都です。北京是中国的首都。",
    "Привет, мир! Ünïcödé çàfé naïve", "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
    "How many clips did Natalia sell altogether in April and May?",
    "Use 4 7 8 8 to make 24: (7 - 8 / 8) * 4 = 24",
]


def tokenizer_checks():
    from tokenizers import Tokenizer
    rows = []
    for name in sorted(os.listdir(TOKENIZERS)):
        path = os.path.join(TOKENIZERS, name, "tokenizer.json")
        if not os.path.isfile(path):
            continue
        reference = Tokenizer.from_file(path)
        mismatches = []
        for text in CORPUS:
            for special in (True, False):
                theirs = reference.encode(text, add_special_tokens=special).ids
                try:
                    ours = cli_json("model", "tokenize", "--model", os.path.dirname(path), "--text", text,
                                    *([] if special else ["--no-special"]))["ids"]
                except Exception as e:
                    ours = f"error: {e}"
                if ours != theirs:
                    mismatches.append({"text": text, "special": special, "ours": ours, "tokenizers": theirs})
        rows.append({"tokenizer": name, "texts": len(CORPUS) * 2, "mismatches": mismatches,
                     "ok": not mismatches})
    return rows


def main():
    import tokenizers
    os.makedirs(WORK, exist_ok=True)
    report = {"torch": torch.__version__, "transformers": transformers.__version__,
              "tokenizers_version": tokenizers.__version__, "gpu": torch.cuda.get_device_name(0)}
    qwen = write_checkpoint("qwen2_5_0_5b", QWEN, torch.bfloat16, "400MB", tokenizer="qwen2_like")
    if WRITE_ONLY:
        return
    llama = write_checkpoint("llama3_small", LLAMA, torch.float32, "5GB")
    rng = random.Random(7)
    report["logits"] = []
    for folder, label, vocab in ((qwen, "qwen2.5-0.5b-shape", 151936), (llama, "llama3-small", 128256)):
        ids = [rng.randrange(vocab) for _ in range(48)]
        try:
            report["logits"] += logits_checks(folder, label, ids)
        except Exception as e:  # e.g. the reference could not be built: recorded, the rest still runs
            report["logits"].append({"model": label, "who": "reference", "device": "-", "dtype": "-",
                                     "error": repr(e), "ok": False})
    try:
        report["tokenizers"] = tokenizer_checks()
    except Exception as e:
        report["tokenizers"] = [{"tokenizer": "-", "texts": 0, "mismatches": [repr(e)], "ok": False}]
    with open(OUT_JSON, "w") as f:
        json.dump(report, f, indent=1)
    log(f"\ntorch {report['torch']}, transformers {report['transformers']}, tokenizers {report['tokenizers_version']}, {report['gpu']}")
    log(f"{'model':22} {'implementation':13} {'device':6} {'dtype':9} {'rel error':>10} {'max |diff|':>11} top1  ok")
    for r in report["logits"]:
        if "error" in r:
            log(f"{r['model']:22} {r['who']:13} {r['device']:6} {r['dtype']:9} ERROR {r['error'][:300]}")
        else:
            log(f"{r['model']:22} {r['who']:13} {r['device']:6} {r['dtype']:9} {r['rel_error']:10.2e} "
                f"{r['max_abs']:11.2e} {'yes' if r['top1_agrees'] else 'no':4}  {'ok' if r['ok'] else 'FAILED'}")
    for r in report["tokenizers"]:
        log(f"tokenizer {r['tokenizer']:12} {r['texts']} encodings vs tokenizers: "
            f"{'identical' if r['ok'] else str(len(r['mismatches'])) + ' differ (see JSON)'}")
    ok = all(r["ok"] for r in report["logits"]) and all(r["ok"] for r in report["tokenizers"])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

// The common run parameters with their defaults, ranges and help texts.
#include "core/config/CommonParams.h"

namespace tb {

std::vector<ParamSpec> commonParams() {
  using P = ParamSpec;
  return {
      P::text("run.name", "", "Display name of the run; empty = '<algorithm>-<task>-s<seed>'"),
      P::text("run.experiment", "", "Experiment the run belongs to (free text used for grouping)"),
      P::integer("run.seed", 0, 0, 2147483647, "Seed of model initialisation, sampling and problem order"),
      P::integer("run.iterations", 30, 1, 10000000, "Training iterations (rollout + update each)"),
      P::integer("run.threads", 0, 0, 1024, "LibTorch intra-op threads; 0 = all cores of the machine"),
      P::integer("run.checkpoint_every", 10, 0, 10000000,
                 "Write a checkpoint (model, optimiser, RNG) every N iterations; 0 = only at the end"),
      P::integer("run.samples_logged", 16, 0, 4096,
                 "Completions stored per iteration (whole groups, first prompts first)"),
      P::integer("run.trees_logged", 1, 0, 64,
                 "Reasoning trees stored per iteration: the search trees of the first problems, or for "
                 "sampling algorithms their groups merged into prefix trees over steps"),
      P::integer("model.d_model", 128, 16, 4096, "Width of the policy transformer"),
      P::integer("model.layers", 4, 1, 64, "Decoder layers of the policy transformer"),
      P::integer("model.heads", 4, 1, 64, "Attention heads per layer (must divide model.d_model)"),
      P::integer("model.context", 160, 16, 16384,
                 "Longest sequence (prompt + completion) in tokens the model accepts"),
      P::folder("model.hf_path", "",
              "Train a Hugging Face Llama / Qwen2 checkpoint from this local folder (config.json, *.safetensors, "
              "tokenizer.json) instead of the built-in policy; empty = built-in. The built-in model.* shape "
              "settings then do not apply (docs/HF_CHECKPOINTS.md)"),
      P::choice("model.hf_chat", "auto", {"auto", "on", "off"},
                "Prompts of an HF policy as one user turn in its chat template (auto: when the tokenizer has one)"),
      P::choice("model.device", "cpu", {"cpu", "cuda"},
                "Device of an HF policy; each rank of a distributed run takes GPU LOCAL_RANK (mod the GPUs)"),
      P::choice("model.dtype", "auto", {"auto", "float32", "bfloat16", "float16"},
                "Weights of an HF policy; auto = bfloat16 on CUDA, float32 on the CPU"),
      P::integer("model.lora_rank", 8, 0, 4096,
                 "LoRA rank of an HF policy (only the adapters train; the frozen base is the reference); "
                 "0 = train every weight"),
      P::real("model.lora_alpha", 16.0, 0.0, 1e6, "LoRA alpha (the adapter is scaled by alpha / rank)"),
      P::text("model.lora_targets", "q_proj,k_proj,v_proj,o_proj",
              "Comma-separated projections that carry LoRA adapters (q_proj, k_proj, v_proj, o_proj, gate_proj, "
              "up_proj, down_proj, lm_head)"),
      P::integer("rollout.prompts", 8, 1, 65536, "Prompts (problems) per iteration"),
      P::integer("rollout.group_size", 8, 1, 4096, "Completions sampled per prompt (G)"),
      P::real("rollout.temperature", 0.7, 0.01, 10.0,
              "Sampling temperature; log-probs for the loss use the same temperature (as verl). 0.7: "
              "small policies find too few correct answers at 1.0 for a learning signal"),
      P::real("rollout.top_p", 1.0, 0.01, 1.0, "Nucleus sampling mass; 1 = full distribution"),
      P::integer("rollout.max_new_tokens", 96, 1, 16384, "Completion length limit in tokens (L_max)"),
      P::real("train.lr", 1e-5, 0.0, 1.0,
              "AdamW learning rate of the policy update (1e-4 made every preset lose accuracy within 20 "
              "iterations of the default model; docs/ALGORITHMS.md)"),
      P::real("train.weight_decay", 0.0, 0.0, 10.0, "AdamW decoupled weight decay"),
      P::real("train.grad_clip", 1.0, 0.0, 1e6, "Clip the global gradient norm to this; 0 = off"),
      P::integer("train.epochs", 1, 1, 64, "Passes over each rollout batch (old policy kept for ratios)"),
      P::integer("train.minibatches", 1, 1, 4096, "Optimizer steps per pass over the rollout batch"),
      P::integer("train.micro_batch", 0, 0, 1000000,
                 "Rows per forward/backward pass of the update: the gradient is accumulated over micro-batches "
                 "(the same step with the activations of this many rows; one more forward pass without a graph "
                 "per optimiser step). 0 = the whole minibatch at once"),
      P::integer("train.warmup_iterations", 0, 0, 10000000, "Linear learning-rate warm-up, in iterations"),
      P::choice("train.lr_schedule", "constant", {"constant", "cosine"},
                "After the warm-up: constant, or cosine decay to a tenth of train.lr at the last iteration"),
      P::integer("warmstart.demonstrations", 1000, 0, 1000000,
                 "Training problems whose solver solutions form the supervised warm start; 0 = no warm start"),
      P::integer("warmstart.steps", 1000, 0, 10000000, "Supervised fine-tuning steps of the warm start"),
      P::integer("warmstart.batch", 32, 1, 65536, "Demonstrations per supervised step"),
      P::real("warmstart.lr", 1e-3, 0.0, 1.0, "Peak AdamW learning rate of the warm start (cosine decay to a tenth)"),
      P::file("warmstart.checkpoint", "", "Model files (*.pt)",
              "Start from this model file instead of fine-tuning (e.g. another run's reference.pt, so several "
              "algorithms share one warm start); empty = fine-tune"),
      P::integer("eval.every", 10, 0, 10000000,
                 "Evaluate on the test split every N iterations (and at the end); 0 = never"),
      P::integer("eval.problems", 50, 1, 1000000, "Test problems per evaluation"),
      P::integer("eval.samples", 8, 1, 4096, "Completions per test problem (n of pass@k)"),
      P::integer("eval.k", 8, 1, 4096, "k of the logged eval/pass@k (unbiased estimator, k <= eval.samples)"),
      P::real("eval.temperature", 0.6, 0.01, 10.0, "Sampling temperature during evaluation"),
  };
}

}  // namespace tb

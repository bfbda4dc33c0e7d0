// thoughtbench-cli: the workbench's engine, headless. Dispatches to app/cli/*Command.cpp.
#include <cstdio>
#include <cstring>
#include <string>

#include "app/cli/Commands.h"
#include "core/Error.h"
#include "core/ProcessMemory.h"

namespace {

const char* kUsage = R"(usage: thoughtbench-cli COMMAND [options]

  run --task T --algorithm A [--iterations N] [--seed S] [--set key=value]... [--config F] [--name N] [--db PATH]
      [--nproc N]                    train across N local processes (c10d/Gloo); under torchrun or srun
                                     (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) each process is one rank
  resume RUN                         continue an interrupted or cancelled run from its last checkpoint
  list tasks|algorithms|runs|params [--task T --algorithm A] [--json]
  show RUN [--json]                  a run's status, latest metrics and config
  metrics RUN [--json|--csv] [--name METRIC]
  samples RUN [--iteration N] [--limit N] [--json]
  task show NAME [--n K] [--difficulty LEVEL] [--set task.key=value]... [--json]
  task check NAME --file F.jsonl [--json]   verify {"problem": ..., "completion": "..."} records
  search --task T --problem ID [--method mcts|beam|bfs|dfs|best_of_n|samples] [--checkpoint RUN|FILE.pt]
         [--simulations N --depth D --branching B --value verifier|rollout|value_model --samples N]
         [--set search.key=value]... [--seed S] --out tree.json [--format thoughtbench|llm-reasoners] [--json]
  trees RUN [--iteration N] [--json]           reasoning trees stored with a run
  export tree --run RUN [--iteration N] [--index K] | --tree ID  --out tree.json [--format F]
  import tree FILE [--out F --format F]        check a tree file (ours or llm-reasoners') and summarise it
  export tensorboard --runs ID,ID,... --out DIR  every metric of the runs as TensorBoard event files
  export model --run RUN --out DIR [--adapter]   a Hugging Face run's trained policy: merged weights, or its PEFT adapter
  attention --sample ID [--run RUN] [--layers 0,1] --out FILE.json|.png|.svg
                                               the attention behind a stored sample, with its token metrics
  report --runs ID,ID,... --out FILE.html|.pdf|.md|.csv|.json [--metrics a,b] [--group-by KEY] [--title T]
                                               compare runs across algorithms and seeds (docs/REPORTS.md)
  experiment seed-comparison [--task game24] [--algorithms grpo,dr_grpo,...] [--seeds 3] [--iterations 16]
             [--set key=value]... [--out FILE.html] [--dry-run]   the built-in experiment, ending with its report (~15 min)
  model info --model DIR [--json]              check a Hugging Face checkpoint folder (Llama / Qwen2):
                                               configuration, parameters, every tensor present with its shape
  model tokenize --model DIR --text "..." [--chat] [--no-special] [--json]   token ids from tokenizer.json
  model logits --model DIR (--text "..." | --ids 1,2,3) [--chat] [--top 10] [--device cpu|cuda[:N]]
               [--dtype float32|bfloat16|float16] [--json]   the last position's logits (--json: all of them)
  model generate --model DIR --text "..." [--chat] [--max-new-tokens 64] [--temperature 1.0] [--top-p 1.0]
                 [--samples N] [--seed S] [--device cpu|cuda[:N]] [--dtype ...] [--json]
                                               sample completions (KV cache, stops at eos / end of turn): text,
                                               length, mean log-prob, finished or truncated, tokens/s
  bench rollout|train-step [--vocab 64 --d-model 256 --layers 4 --heads 8 --batch 64
                            --prompt-len 16 --new-tokens 48 --threads N --repeats 5]
                           [--eos-id K [--keep-finished]]   rows may end (and leave the decode batch)
                           train-step: [--micro-batch M]   gradient accumulation over M-row micro-batches
  bench grpo-iteration [--d-model 128 --layers 4 --heads 4 --prompts 8 --group-size 8 --new-tokens 80
                        --iterations 4 --warm-start-steps 0 --threads N]   whole iterations, share of each phase
  bench hf-model [--hidden 896 --intermediate 4864 --layers 24 --heads 14 --kv-heads 2 --vocab 151936
                  --batch 1 --prompt-len 128 --new-tokens 32 --device cpu|cuda[:N] --dtype float32|bfloat16]
                                               a Qwen2.5-0.5B-shaped model (random weights): prefill and decode tokens/s
  bench hf-update [the sizes of hf-model] [--lora-rank 8] [--micro-batch M]
                                               one update step of that model (LoRA on q/k/v/o or every weight),
                                               whole or in M-row micro-batches: seconds, peak CPU tensor bytes
  bench mcts [--simulations 64 --branching 4 --problems 4 --threads N --checkpoint FILE.pt]
  bench tree-layout [--nodes 10000 --repeats 5]
  bench compare-view [--runs 100 --points 10000 --plots 4 --repeats 5]   redraw time of the compare view
  bench logprobs [--rows 1024 --vocab 151936 --repeats 3 --threads N] [--forward-only] [--fused-only]
                                               fused log-probs/entropies against the plain composition

Default workspace: $THOUGHTBENCH_WORKSPACE or ~/.local/share/thoughtbench/workspace.sqlite (--db overrides).
Parameters: `thoughtbench-cli list params` shows every key with its default, range and help.
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace tb::cli;
  tb::configureProcessMemory();
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  try {
    CliArguments args(argc, argv, 2, {"json", "csv", "quiet", "dry-run", "forward-only", "fused-only", "chat", "no-special", "keep-finished", "adapter"});
    if (command == "run") return runCommand(args);
    if (command == "resume") return resumeCommand(args);
    if (command == "run-rank") return runRankCommand(args);
    if (command == "list") return listCommand(args);
    if (command == "show") return showCommand(args);
    if (command == "metrics") return metricsCommand(args);
    if (command == "samples") return samplesCommand(args);
    if (command == "bench") return benchCommand(args);
    if (command == "task") return taskCommand(args);
    if (command == "search") return searchCommand(args);
    if (command == "trees") return treesCommand(args);
    if (command == "export") return exportCommand(args);
    if (command == "import") return importCommand(args);
    if (command == "attention") return attentionCommand(args);
    if (command == "report") return reportCommand(args);
    if (command == "experiment") return experimentCommand(args);
    if (command == "model") return modelCommand(args);
    std::fprintf(stderr, "thoughtbench-cli: unknown command '%s'\n%s", command.c_str(), kUsage);
    return 2;
  } catch (const tb::InputError& e) {
    std::fprintf(stderr, "thoughtbench-cli %s: %s\n", command.c_str(), e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "thoughtbench-cli %s: internal error: %s\n", command.c_str(), e.what());
    return 3;
  }
}

#pragma once
// The search space of one problem as a policy sees it: a state is the prompt plus the steps taken
// so far (each followed by '\n', the Task step convention), and the candidate next steps are lines
// the policy samples from that state (KV-cached, batched over states; a line ends at a token
// holding '\n' or at the end token, which makes it the final step). A candidate's log-prob is the
// sum of its tokens' log-probs with its terminator, under the sampling temperature. The policy is
// the built-in GPT or a Hugging Face checkpoint (PolicyModel): with a BPE vocabulary the step is the
// text before the newline of its last token (what follows the newline in that token is dropped),
// and a state's tokens are its steps encoded one by one.
//
// Values of non-terminal states (SearchSpace::evaluate), by `value`:
//   verifier     0: the search trusts the verifier's +-1 at terminal states alone;
//   rollout      +1 / -1 by whether one sampled continuation of the state is verified correct;
//   value_model  2 V - 1 clamped to [-1, 1], V the value model's estimate at the state's last token
//                (ReST-MCTS*'s process reward model, trained on inferred targets in [0, 1]).
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "core/model/ValueModel.h"
#include "core/rollout/PolicyModel.h"
#include "core/search/SearchSpace.h"
#include "core/tasks/Task.h"
#include "core/text/PolicyTokenizer.h"

namespace tb {

struct PolicySearchOptions {
  double temperature = 1.0;
  int stepTokens = 48;          // longest step, in tokens (terminator included)
  int draws = 2;                // sampled lines per wanted candidate; duplicates are merged
  std::string value = "verifier";  // verifier | rollout | value_model
  int rolloutTokens = 96;       // rollout value: longest continuation
  bool stepLevel = false;       // the task's isTerminal decides terminal states too
};

// The prompt as the model reads it, then every step followed by '\n': the tokens a policy
// conditions on at a state.
std::vector<int> stateTokens(const PolicyTokenizer& tokenizer, const std::string& prompt,
                             const std::vector<std::string>& steps);

class PolicySearchSpace : public SearchSpace {
 public:
  // `verifiable` maps a completion to what the verifier judges (Algorithm::verifiable); `valueModel`
  // is required when options.value == "value_model" (the built-in policy's trunk; InputError for
  // another policy).
  PolicySearchSpace(PolicyModel& policy, const PolicyTokenizer& tokenizer, const Task& task, const Problem& problem,
                    PolicySearchOptions options, torch::Generator& generator, ValueModel* valueModel = nullptr,
                    std::function<std::string(const std::string&)> verifiable = {});

  std::vector<StepCandidate> expand(const std::vector<std::string>& steps, int count) override;
  std::vector<std::vector<StepCandidate>> expandMany(const std::vector<std::vector<std::string>>& states,
                                                     int count) override;
  bool isTerminal(const std::vector<std::string>& steps, bool lastStepFinal) override;
  StateVerdict verdict(const std::vector<std::string>& steps) override;
  std::vector<double> evaluate(const std::vector<std::vector<std::string>>& states) override;
  std::string describe(const std::vector<std::string>& steps) override;
  std::string answer(const std::vector<std::string>& steps) override;

  // Prompt tokens followed by every step and its '\n'.
  std::vector<int> stateTokens(const std::vector<std::string>& steps) const;
  // The completion text of a state: its steps joined by '\n'.
  static std::string completionText(const std::vector<std::string>& steps);
  int64_t tokensGenerated() const { return tokensGenerated_; }

 private:
  PolicyModel& policy_;
  const PolicyTokenizer& tokenizer_;
  std::vector<int> lineEnds_;  // tokenizer_.lineEndIds()
  const Task& task_;
  const Problem& problem_;
  PolicySearchOptions options_;
  torch::Generator& generator_;
  ValueModel* valueModel_;
  std::function<std::string(const std::string&)> verifiable_;
  int64_t tokensGenerated_ = 0;
};

}  // namespace tb

#pragma once
// What a tree search needs from a problem: candidate next steps with the policy's log-probs, a
// value for a state, and a verdict for a finished one. A state is the list of steps taken so far.
// The policy-backed space (core/search/PolicySearchSpace.h) samples candidate lines from a
// GptPolicy; tests use hand-made spaces with known values.
#include <string>
#include <vector>

namespace tb {

struct StepCandidate {
  std::string step;       // one line of a completion (no '\n')
  double logProb = 0;     // the policy's summed token log-prob of the step (its terminator included)
  int tokens = 1;         // tokens the log-prob is summed over (>= 1)
  bool final = false;     // the policy ended the completion after this step (<eos>)
};

struct StateVerdict {
  bool correct = false;
  double reward = 0;      // the task's reward of the completion
  std::string reason;
};

class SearchSpace {
 public:
  virtual ~SearchSpace() = default;
  // Up to `count` distinct candidate steps from the state reached by `steps` (fewer if the policy
  // keeps proposing the same step, none if the state has no continuation).
  virtual std::vector<StepCandidate> expand(const std::vector<std::string>& steps, int count) = 0;
  // Candidate expansions of several states at once (a policy space batches them); the default calls
  // expand() for each.
  virtual std::vector<std::vector<StepCandidate>> expandMany(const std::vector<std::vector<std::string>>& states,
                                                             int count) {
    std::vector<std::vector<StepCandidate>> out;
    for (const auto& s : states) out.push_back(expand(s, count));
    return out;
  }
  // Whether the state ends the episode when its last step was `final` (the policy stopped) or the
  // task says so (a step-level task's terminal state).
  virtual bool isTerminal(const std::vector<std::string>& steps, bool lastStepFinal) = 0;
  // The verifier's judgement of the completion made of `steps`.
  virtual StateVerdict verdict(const std::vector<std::string>& steps) = 0;
  // Value estimates in [-1, 1] of non-terminal states (a value model, a rollout, a process reward,
  // or 0 when the search trusts the verifier alone). Batched.
  virtual std::vector<double> evaluate(const std::vector<std::vector<std::string>>& states) = 0;
  // A readable description of the state for the tree view.
  virtual std::string describe(const std::vector<std::string>& steps) = 0;
  // The final answer of a completion, for majority voting (Task::finalAnswer).
  virtual std::string answer(const std::vector<std::string>& steps) = 0;
};

}  // namespace tb

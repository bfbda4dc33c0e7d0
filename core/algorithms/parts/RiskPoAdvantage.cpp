// advantage/riskpo: bundled Mixed-VaR advantages with tracked quantiles (see RiskPoAdvantage.h).
#include "core/algorithms/parts/RiskPoAdvantage.h"

#include <algorithm>
#include <cmath>

#include "core/algorithms/Parts.h"
#include "core/algorithms/parts/PartUtil.h"

namespace tb {

double mvarAdvantage(double s, double qa, double qb, double alpha, double beta, double w) {
  auto pos = [](double x) { return std::max(0.0, x); };
  const double rvar = (pos(s - qa) - pos(s - qb) + (qa - qb)) / (beta - alpha);
  const double cvar = -pos(qa - s) / alpha;
  return (w * cvar + rvar) / (w + 1);
}

void QuantileTracker::initialise(std::vector<double> scores) {
  if (scores.empty()) return;
  std::sort(scores.begin(), scores.end());
  value = scores[std::min(scores.size() - 1, static_cast<size_t>(level * scores.size()))];
  initialised = true;
}

void QuantileTracker::update(const std::vector<double>& scores) {
  if (scores.empty()) return;
  double below = 0;
  for (double s : scores) below += s < value;
  value += lr * (level - below / scores.size());
}

namespace {

class RiskPoAdvantage : public AdvantageEstimator {
 public:
  explicit RiskPoAdvantage(const RunConfig& c)
      : bundle_(static_cast<int>(c.getInt("algo.bundle_size"))), alpha_(c.getFloat("algo.risk_alpha")),
        beta_(c.getFloat("algo.risk_beta")), weight_(c.getFloat("algo.cvar_weight")),
        center_(c.getBool("algo.risk_center")) {
    qa_.level = alpha_;
    qb_.level = beta_;
    qa_.lr = qb_.lr = c.getFloat("algo.quantile_lr");
  }

  torch::Tensor estimate(TrainingContext& ctx, const Rollout& rollout, const UpdateBatch&) override {
    std::vector<double> out(rollout.rows.size(), 0.0);
    const auto groups = rollout.groupRows();
    // Bundles of consecutive groups; papers need the same number of responses per question.
    struct Paper { double score; std::vector<int> rows; };
    std::vector<std::vector<Paper>> bundles;
    std::vector<double> allScores;
    for (size_t start = 0; start < groups.size(); start += bundle_) {
      const size_t end = std::min(groups.size(), start + bundle_);
      size_t responses = groups[start].size();
      for (size_t g = start; g < end; ++g) responses = std::min(responses, groups[g].size());
      std::vector<Paper> papers(responses);
      for (size_t j = 0; j < responses; ++j)
        for (size_t g = start; g < end; ++g) {
          papers[j].score += rollout.rows[groups[g][j]].reward;
          papers[j].rows.push_back(groups[g][j]);
        }
      for (const auto& p : papers) allScores.push_back(p.score);
      bundles.push_back(std::move(papers));
    }
    if (!qa_.initialised) {
      qa_.initialise(allScores);
      qb_.initialise(allScores);
    }
    // Per-question reward std (the credit of a response).
    std::vector<double> questionStd(rollout.rows.size(), 0.0);
    for (const auto& rows : groups) {
      std::vector<double> r;
      for (int i : rows) r.push_back(rollout.rows[i].reward);
      const double sd = meanStd(r).std;
      for (int i : rows) questionStd[i] = sd;
    }
    for (const auto& papers : bundles) {
      std::vector<double> scores;
      for (const auto& p : papers) scores.push_back(p.score);
      const double bundleStd = meanStd(scores).std + 1e-6;
      for (const auto& p : papers) {
        const double a = mvarAdvantage(p.score, qa_.value, qb_.value, alpha_, beta_, weight_) / bundleStd;
        for (int i : p.rows) out[i] = questionStd[i] > 0 ? a / questionStd[i] : 0.0;
      }
    }
    ctx.metric("riskpo/q_alpha", qa_.value);
    ctx.metric("riskpo/q_beta", qb_.value);
    qa_.update(allScores);
    qb_.update(allScores);
    // Mixed-VaR advantages are not centred; with algo.risk_center (a decision, off in the paper's
    // formula) they are centred per question so responses of one question are compared.
    for (const auto& rows : center_ ? groups : std::vector<std::vector<int>>{}) {
      double mean = 0;
      for (int i : rows) mean += out[i];
      mean /= rows.size();
      for (int i : rows) out[i] -= mean;
    }
    return sequenceAdvantages(out);
  }

  nlohmann::json state() const override {
    return {{"q_alpha", qa_.value}, {"q_beta", qb_.value}, {"initialised", qa_.initialised}};
  }
  void restore(const nlohmann::json& s) override {
    qa_.value = s.at("q_alpha");
    qb_.value = s.at("q_beta");
    qa_.initialised = qb_.initialised = s.at("initialised").get<bool>();
  }

 private:
  int bundle_;
  double alpha_, beta_, weight_;
  bool center_;
  QuantileTracker qa_, qb_;
};

void validateRisk(const RunConfig& c) {
  if (c.getFloat("algo.risk_alpha") >= c.getFloat("algo.risk_beta"))
    failInput("algo.risk_alpha = ", c.getFloat("algo.risk_alpha"), " must be below algo.risk_beta = ",
              c.getFloat("algo.risk_beta"), " (the risk band is [alpha, beta])");
}

TB_REGISTER_PART(riskPoPart, AdvantageEstimator,
                 PartInfo{.name = "riskpo", .title = "RiskPO Mixed-VaR bundles",
                          .help = "Bundled scores S, tracked quantiles q_alpha/q_beta, A = (w A_CVaR + A_RVaR)/(w + 1), "
                                  "credited per response by its question's reward std.",
                          .params = {ParamSpec::integer("algo.bundle_size", 4, 1, 64,
                                                        "B: questions per bundle (the paper uses 5)"),
                                     ParamSpec::real("algo.risk_alpha", 0.2, 0.0, 1.0, "alpha: lower quantile level"),
                                     ParamSpec::real("algo.risk_beta", 0.9, 0.0, 1.0, "beta: upper quantile level"),
                                     ParamSpec::real("algo.cvar_weight", 1.5, 0.0, 100.0,
                                                     "w: weight of the CVaR term against the RVaR term"),
                                     ParamSpec::real("algo.quantile_lr", 0.1, 0.0, 10.0,
                                                     "Step size of the quantile tracker"),
                                     ParamSpec::boolean("algo.risk_center", true,
                                                        "Centre the credited advantages per question (a decision: the "
                                                        "paper's formula leaves them uncentred)")},
                          .validate = validateRisk},
                 [](const RunConfig& c) { return std::make_unique<RiskPoAdvantage>(c); });

}  // namespace
}  // namespace tb

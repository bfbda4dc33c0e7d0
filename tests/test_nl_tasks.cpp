// Unit and golden tests of the natural-language tasks: PrOntoQA (the sentence parser, every
// bundled gold chain of thought, corrupted chains, the generator and solver, the step-level
// interface, rewards), GSM8K (every reference solution and annotation, answer extraction,
// numbers, annotation errors, the loader's messages) and the user JSONL task (each verifier, the
// loader's messages), plus splits, problemFromData round trips, alphabets and registration.
#include <QtTest>

#include "tests/TestSupport.h"

#include <algorithm>
#include <fstream>
#include <set>

#include "core/Error.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/config/RunConfig.h"
#include "core/tasks/Gsm8k.h"
#include "core/tasks/Gsm8kTask.h"
#include "core/tasks/JsonlTask.h"
#include "core/tasks/ProntoQa.h"
#include "core/tasks/ProntoQaTask.h"
#include "core/text/CharTokenizer.h"

// A schema needs an algorithm; the real ones live in tb_core (LibTorch), which this test avoids.
TB_REGISTER_ALGORITHM(nlTasksTestAlgorithm, tb::AlgorithmInfo{
    "nl-tasks-test-algo", "Test algorithm", "none", "nothing", {}, {}, nullptr});

namespace {

std::string joinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// "Alex is a cat." -> "Alex is not a cat."
std::string negated(const std::string& fact) {
  const size_t is = fact.find(" is ");
  return fact.substr(0, is + 4) + "not " + fact.substr(is + 4);
}

// Writes `text` to a file in `dir` and returns its path.
std::string writeFile(const QTemporaryDir& dir, const char* name, const std::string& text) {
  const std::string path = dir.filePath(name).toStdString();
  std::ofstream(path) << text;
  return path;
}

std::vector<tb::ProntoQaExample> bundledProntoQa() { return tb::loadProntoQaJson(tb::bundledProntoQaJson()); }

void checkSplits(const tb::Task& a, const tb::Task& b, const tb::Task& other, size_t total) {
  QCOMPARE(idsOf(a.problems(tb::Split::Test)), idsOf(b.problems(tb::Split::Test)));
  QCOMPARE(idsOf(a.problems(tb::Split::Train)), idsOf(b.problems(tb::Split::Train)));
  QVERIFY(idsOf(a.problems(tb::Split::Test)) != idsOf(other.problems(tb::Split::Test)));
  std::set<std::string> all = idsOf(a.problems(tb::Split::Test));
  for (const auto& id : idsOf(a.problems(tb::Split::Train))) QVERIFY2(all.insert(id).second, id.c_str());
  QCOMPARE(all.size(), total);
}

// Prompts and demonstrations of every problem stay within the task's alphabet, and every
// problem round-trips through its data form.
void checkAlphabetAndRoundTrip(const tb::Task& task) {
  const tb::CharTokenizer tokenizer(task.alphabet());
  std::mt19937_64 rng(0);
  for (auto split : {tb::Split::Train, tb::Split::Test}) {
    for (const auto& p : task.problems(split)) {
      for (char c : p.prompt) QVERIFY2(task.alphabet().find(c) != std::string::npos, (p.id + ": prompt").c_str());
      tokenizer.encodePrompt(p.prompt);
      if (const auto demo = task.demonstration(p, rng)) {
        for (char c : *demo) QVERIFY2(task.alphabet().find(c) != std::string::npos, (p.id + ": demo").c_str());
      }
      QCOMPARE(task.problemFromData(p.data).prompt, p.prompt);
    }
  }
}

const char* kHandContext =
    "Every cat is a feline. Each feline is a carnivore. Carnivores are not herbivorous. "
    "Painted ladies are butterflies. Butterflies are lepidopterans. Sheep are herbivorous. "
    "Each spider is not six-legged. Mammals are furry. Every mammal is warm-blooded. "
    "Wumpuses are nervous. Every rompus is a wumpus. Alex is a cat. Fae is a painted lady. "
    "Rex is a rompus.";

}  // namespace

class TestNlTasks : public QObject {
  Q_OBJECT

 private slots:
  // ----------------------------------------------------------------------------- PrOntoQA

  void prontoQaParsesTheSentenceForms() {
    const tb::ProntoQaContext c(kHandContext, "True or false: Alex is not herbivorous.");
    QCOMPARE(c.sentences().size(), size_t(14));
    QCOMPARE(c.truth(), std::optional<bool>(true));
    QCOMPARE(c.solve(), (std::vector<std::string>{"Alex is a cat.", "Every cat is a feline.", "Alex is a feline.",
                                                  "Each feline is a carnivore.", "Alex is a carnivore.",
                                                  "Carnivores are not herbivorous.", "Alex is not herbivorous."}));
    QCOMPARE(c.hops(), 3);
    // Irregular plurals resolve to the singular the context uses, and any rule form restates.
    const std::vector<std::string> fae = {"Fae is a painted lady.", "Fae is a butterfly.", "Every butterfly is a lepidopteran.",
                                          "Fae is a lepidopteran", "Rex is a wumpus.", "Rex is nervous.",
                                          "The answer is True."};
    const tb::ProntoQaContext f(kHandContext, "True or false: Rex is nervous.");
    QCOMPARE(f.check(fae, true).reason, std::string("correct"));
    QCOMPARE(c.render({"Alex", "painted lady", false}), std::string("Alex is a painted lady."));
    QCOMPARE(c.render({"Alex", "six-legged", true}), std::string("Alex is not six-legged."));
    QCOMPARE(c.render({"Alex", "wumpus", false}), std::string("Alex is a wumpus."));

    QCOMPARE(tb::parseProntoQaAnswerLine("The answer is True."), std::optional<bool>(true));
    QCOMPARE(tb::parseProntoQaAnswerLine("false"), std::optional<bool>(false));
    QCOMPARE(tb::parseProntoQaAnswerLine("The answer is maybe."), std::optional<bool>());

    QCOMPARE(inputErrorOf([] { tb::ProntoQaContext("Every cat is a feline. Cats purr loudly. Alex is a cat.", "True or false: Alex is a cat."); }),
             QString("sentence 2 'Cats purr loudly.': expected a fact ('Alex is a cat.', 'Alex is not bony.') or a "
                     "rule ('Every cat is a feline.', 'Cats are felines.')"));
    QVERIFY(inputErrorOf([] { tb::ProntoQaContext("Alex is a cat.", "Is Alex a cat?"); }).startsWith("query 'Is Alex a cat?'"));
  }

  void prontoQaEveryBundledGoldChainVerifies() {
    const auto examples = bundledProntoQa();
    QCOMPARE(examples.size(), size_t(900));  // 100 test examples and 8 in-context examples each
    std::map<int, int> byHops;
    for (const auto& ex : examples) {
      const tb::ProntoQaContext c(ex.question, ex.query);
      QVERIFY2(ex.answer.has_value(), ex.key.c_str());
      QCOMPARE(c.truth(), ex.answer);
      // The solver finds exactly the gold derivation.
      QVERIFY2(c.solve() == ex.chainOfThought, ex.key.c_str());
      ++byHops[c.hops()];
      // Each gold step is a legal step where it is taken, and the whole chain is correct.
      std::vector<std::string> steps;
      for (const auto& step : ex.chainOfThought) {
        QVERIFY2(!c.isTerminal(steps), (ex.key + ": terminal before " + step).c_str());
        const auto legal = c.legalSteps(steps);
        QVERIFY2(std::find(legal.begin(), legal.end(), step) != legal.end(), (ex.key + ": " + step).c_str());
        steps.push_back(step);
      }
      steps.push_back(tb::prontoQaAnswerLine(*ex.answer));
      const auto check = c.check(steps, *ex.answer);
      QVERIFY2(check.correct, (ex.key + ": " + check.reason).c_str());
      QCOMPARE(check.derivedSteps, c.hops());
      QVERIFY(c.isTerminal(steps));
    }
    QCOMPARE(byHops.size(), size_t(3));  // 3, 4 and 5 hops
    QVERIFY(byHops.count(3) && byHops.count(4) && byHops.count(5));
  }

  void prontoQaRejectsCorruptedChainsNamingTheStep() {
    int checked = 0;
    for (const auto& ex : bundledProntoQa()) {
      const tb::ProntoQaContext c(ex.question, ex.query);
      std::vector<std::string> gold = ex.chainOfThought;
      gold.push_back(tb::prontoQaAnswerLine(*ex.answer));
      // A derived step removed in the middle: the next derived step no longer follows.
      auto removed = gold;
      removed.erase(removed.begin() + 2);
      auto check = c.check(removed, *ex.answer);
      QVERIFY(!check.correct);
      QVERIFY2(check.reason.rfind("step 4: '" + gold[4] + "' does not follow", 0) == 0, check.reason.c_str());
      // A derived step negated.
      auto flipped = gold;
      flipped[2] = negated(gold[2]);
      check = c.check(flipped, *ex.answer);
      QVERIFY(!check.correct);
      QCOMPARE(check.reason, "step 3: '" + flipped[2] + "' does not follow: the rules give '" + gold[2] + "' from the facts so far");
      // The answer flipped.
      auto wrong = gold;
      wrong.back() = tb::prontoQaAnswerLine(!*ex.answer);
      check = c.check(wrong, *ex.answer);
      QVERIFY(!check.correct);
      QVERIFY2(check.reason.rfind("wrong answer", 0) == 0, check.reason.c_str());
      QCOMPARE(check.validSteps, int(gold.size()));
      ++checked;
    }
    QCOMPARE(checked, 900);

    const auto ex = bundledProntoQa().front();  // "Alex is a butterfly." ... "Alex is six-legged."
    const tb::ProntoQaContext c(ex.question, ex.query);
    auto steps = ex.chainOfThought;
    steps[2] = "Alex is a wumpus.";
    QCOMPARE(c.check(steps, true).reason,
             std::string("step 3: 'Alex is a wumpus.' does not follow: no rule derives wumpus from the facts so far"));
    QCOMPARE(c.check({"Every butterfly is a spider."}, true).reason,
             std::string("step 1: 'Every butterfly is a spider.' is not a rule of the context"));
    QVERIFY(c.check({"Alex flies."}, true).reason.rfind("step 1: cannot read 'Alex flies.'", 0) == 0);
    QVERIFY(c.check({"The answer is True."}, true).reason.rfind("the chain never establishes 'Alex is six-legged.'", 0) == 0);
    QVERIFY(c.check(ex.chainOfThought, true).reason.rfind("no answer line", 0) == 0);
    QVERIFY(c.check({"The answer is True.", "Alex is a butterfly."}, true).reason.rfind("step 1: the answer", 0) == 0);
    QVERIFY(c.check({}, true).reason.rfind("empty completion", 0) == 0);
    QVERIFY(c.legalSteps({"Alex flies."}).empty());
    QVERIFY(c.isTerminal({"Alex flies."}));
  }

  void prontoQaGeneratorIsDeterministicAndItsDerivationsVerify() {
    for (int hops = 1; hops <= 8; ++hops) {
      for (int distractors = 0; distractors <= 8; ++distractors) {
        for (std::uint64_t seed = 0; seed < 3; ++seed) {
          std::mt19937_64 a(seed * 1000 + static_cast<std::uint64_t>(hops * 10 + distractors));
          std::mt19937_64 b = a;
          const auto ex = tb::generateProntoQa(hops, distractors, a);
          QCOMPARE(ex.toJson().dump(), tb::generateProntoQa(hops, distractors, b).toJson().dump());
          const tb::ProntoQaContext c(ex.question, ex.query);
          QCOMPARE(c.hops(), hops);
          QCOMPARE(ex.chainOfThought.size(), size_t(2 * hops + 1));
          auto steps = ex.chainOfThought;
          for (size_t i = 0; i < steps.size(); ++i) {
            const auto legal = c.legalSteps({steps.begin(), steps.begin() + static_cast<long>(i)});
            QVERIFY2(std::find(legal.begin(), legal.end(), steps[i]) != legal.end(), steps[i].c_str());
          }
          steps.push_back(tb::prontoQaAnswerLine(*ex.answer));
          const auto check = c.check(steps, *ex.answer);
          QVERIFY2(check.correct, (check.reason + "\n" + ex.question).c_str());
          QVERIFY(!c.check(steps, !*ex.answer).correct);
        }
      }
    }
    // Different seeds give different ontologies; both answers occur.
    std::set<std::string> questions;
    std::set<bool> answers;
    std::mt19937_64 rng(5);
    for (int i = 0; i < 40; ++i) {
      const auto ex = tb::generateProntoQa(3, 2, rng);
      questions.insert(ex.question);
      answers.insert(*ex.answer);
    }
    QCOMPARE(questions.size(), size_t(40));
    QCOMPARE(answers.size(), size_t(2));
  }

  void prontoQaTaskBundled() {
    const tb::ProntoQaTask task({});
    QCOMPARE(task.problems(tb::Split::Test).size(), size_t(100));
    QCOMPARE(task.problems(tb::Split::Train).size(), size_t(800));
    tb::ProntoQaTask::Options seed1;
    seed1.splitSeed = 1;
    checkSplits(task, tb::ProntoQaTask({}), tb::ProntoQaTask(seed1), 900);
    checkAlphabetAndRoundTrip(task);

    std::mt19937_64 rng(0);
    for (auto split : {tb::Split::Train, tb::Split::Test}) {
      for (const auto& p : task.problems(split)) {
        QVERIFY(p.level >= 2 && p.level <= 4);  // 3-5 hops
        QCOMPARE(p.difficulty, double(p.level + 1));
        const auto demo = task.demonstration(p, rng);
        QVERIFY(demo.has_value());
        const auto verdict = task.verify(p, *demo);
        QVERIFY2(verdict.correct, (p.id + ": " + verdict.reason).c_str());
        QCOMPARE(verdict.reward, 1.0);
        QCOMPARE(tb::splitSteps(*demo).back(), p.reference);
      }
    }
    const tb::Problem& p = task.problems(tb::Split::Test).front();
    const auto demo = *task.demonstration(p, rng);
    QVERIFY(!task.verify(p, "The answer is True.\n").correct);
    QVERIFY(task.describeState(p, {}).find("Known facts:") != std::string::npos);

    // problemFromData takes the test_example object or the file's whole example entry.
    const auto ex = bundledProntoQa().front();
    nlohmann::json entry{{"test_example", ex.toJson()}};
    QCOMPARE(task.problemFromData(entry).prompt, tb::prontoQaPrompt(ex));
    nlohmann::json bare = ex.toJson();
    bare.erase("chain_of_thought");
    bare.erase("answer");
    const tb::Problem fromData = task.problemFromData(bare);
    QCOMPARE(fromData.reference, tb::prontoQaAnswerLine(*ex.answer));  // answered by the solver
    QVERIFY(task.verify(fromData, joinLines(ex.chainOfThought) + tb::prontoQaAnswerLine(*ex.answer)).correct);
    nlohmann::json contradicting = ex.toJson();
    contradicting["answer"] = *ex.answer ? "False" : "True";
    QVERIFY(inputErrorOf([&] { task.problemFromData(contradicting); }).startsWith("problem: field 'answer':"));
    nlohmann::json noQuery = ex.toJson();
    noQuery.erase("query");
    QCOMPARE(inputErrorOf([&] { task.problemFromData(noQuery); }),
             QString("problem: field 'query': missing (expected a string)"));
    QVERIFY(inputErrorOf([&] { task.problemFromData("Alex is a cat."); }).startsWith("expected a PrOntoQA example object"));
  }

  void prontoQaTaskGeneratedAndRewards() {
    tb::ProntoQaTask::Options o;
    o.source = "generated";
    o.generated = 200;
    o.testSize = 40;
    o.hops = 4;
    o.distractors = 3;
    const tb::ProntoQaTask task(o);
    tb::ProntoQaTask::Options other = o;
    other.splitSeed = 9;
    checkSplits(task, tb::ProntoQaTask(o), tb::ProntoQaTask(other), 200);
    checkAlphabetAndRoundTrip(task);
    std::set<int> levels;
    std::mt19937_64 rng(0);
    for (auto split : {tb::Split::Train, tb::Split::Test})
      for (const auto& p : task.problems(split)) {
        levels.insert(p.level);
        QVERIFY2(task.verify(p, *task.demonstration(p, rng)).correct, p.id.c_str());
      }
    QCOMPARE(levels, (std::set<int>{0, 1, 2, 3}));

    // Flow of Reasoning's reward: 100 per valid rule application and for a correct end.
    o.reward = "for";
    const tb::ProntoQaTask forTask(o);
    for (const auto& p : forTask.problems(tb::Split::Test)) {
      if (p.level < 2) continue;
      const auto steps = tb::splitSteps(*forTask.demonstration(p, rng));
      QCOMPARE(forTask.verify(p, joinLines(steps)).reward, 100.0);
      // Two valid rule applications, then an invalid step: (100 + 100 + 1e-5 + 1e-5) / 4.
      std::vector<std::string> bad(steps.begin(), steps.begin() + 5);
      bad.push_back("Rex is a zebra.");
      const auto v = forTask.verify(p, joinLines(bad));
      QVERIFY(!v.correct);
      QVERIFY(std::abs(v.reward - (200.0 + 2e-5) / 4.0) < 1e-9);
      QCOMPARE(forTask.verify(p, "").reward, 1e-5);
      break;
    }

    QVERIFY(inputErrorOf([] { tb::ProntoQaTask::Options b; b.testSize = 900; tb::ProntoQaTask t(b); }).contains("task.test_size"));
    QVERIFY(inputErrorOf([] { tb::ProntoQaTask::Options b; b.source = "web"; tb::ProntoQaTask t(b); }).contains("task.source"));
    QVERIFY(inputErrorOf([] { tb::ProntoQaTask::Options b; b.reward = "x"; tb::ProntoQaTask t(b); }).contains("task.reward"));
    QVERIFY(inputErrorOf([] {
              tb::ProntoQaTask::Options b;
              b.source = "generated";
              b.hops = 9;
              tb::ProntoQaTask t(b);
            }).contains("task.hops"));
  }

  void prontoQaLoaderNamesFileExampleAndField() {
    QTemporaryDir dir;
    const std::string good = "{\"question\": \"Every cat is a feline. Alex is a cat.\", \"query\": \"True or false: Alex is a feline.\", \"chain_of_thought\": [], \"answer\": \"True\"}";
    auto load = [&](const std::string& text) {
      const std::string path = writeFile(dir, "p.json", text);
      return inputErrorOf([&] { tb::ProntoQaTask::Options o; o.dataFile = path; o.testSize = 1; tb::ProntoQaTask t(o); });
    };
    const QString path = dir.filePath("p.json");
    QCOMPARE(load("{\"example1\": {\"test_example\": " + good + "}, \"example2\": {\"test_example\": {\"question\": \"Alex is a cat.\", \"query\": 5}}}"),
             path + ": example2.test_example: field 'query': expected a string, got 5");
    QCOMPARE(load("{\"example1\": {\"test_example\": {\"question\": \"Alex is a cat.\", \"query\": \"True or false: Alex is a cat.\", \"answer\": \"Yes\"}}}"),
             path + ": example1.test_example: field 'answer': expected \"True\" or \"False\", got \"Yes\"");
    QCOMPARE(load("{\"example1\": {\"in_context_example0\": {\"question\": \"Alex is a cat. Cats purr.\", \"query\": \"True or false: Alex is a cat.\"}, \"test_example\": " + good + "}}"),
             path + ": example1/in_context_example0: field 'question': sentence 2 'Cats purr.': expected a fact "
                    "('Alex is a cat.', 'Alex is not bony.') or a rule ('Every cat is a feline.', 'Cats are felines.')");
    QCOMPARE(load("{\"example1\": {\"test_example\": {\"question\": \"Alex is a cat.\", \"query\": \"True or false: Alex is a dog.\", \"answer\": \"True\"}}}"),
             path + ": example1: field 'query': neither 'Alex is a dog.' nor its negation follows from the question");
    QCOMPARE(load("{\"example1\": {\"tests\": 1}}"), path + ": example1: expected an object with a field 'test_example'");
    QVERIFY(load("{\"example1\": ").startsWith(path + ": malformed JSON"));
    QCOMPARE(load(""), path + ": empty file (expected a JSON object of examples)");
    QCOMPARE(inputErrorOf([] { tb::loadProntoQaJson("/nonexistent/p.json"); }),
             QString("cannot open PrOntoQA dataset '/nonexistent/p.json'"));
  }

  // ----------------------------------------------------------------------------- GSM8K

  void gsm8kEveryReferenceSolutionVerifies() {
    const auto examples = tb::loadGsm8kJsonl(tb::bundledGsm8kJsonl());
    QCOMPARE(examples.size(), size_t(1319));
    int annotations = 0;
    for (const auto& ex : examples) {
      const std::string solution = tb::asciiText(ex.solution);
      const auto check = tb::checkGsm8k(ex.answer, solution, true);
      QVERIFY2(check.correct, (std::to_string(ex.line) + ": " + check.reason).c_str());
      QCOMPARE(check.reason, std::string("correct"));
      const auto a = tb::checkAnnotations(solution);
      QVERIFY2(a.wrong == 0, a.firstProblem.c_str());
      QCOMPARE(a.count, tb::annotationCount(ex.solution));
      annotations += a.count;
    }
    QCOMPARE(annotations, 4282);

    const tb::Gsm8kTask task("", 200, 0, true);
    QCOMPARE(task.problems(tb::Split::Test).size(), size_t(200));
    checkSplits(task, tb::Gsm8kTask("", 200, 0, true), tb::Gsm8kTask("", 200, 1, true), 1319);
    checkAlphabetAndRoundTrip(task);
    std::mt19937_64 rng(0);
    std::set<int> levels;
    for (auto split : {tb::Split::Train, tb::Split::Test})
      for (const auto& p : task.problems(split)) {
        const auto v = task.verify(p, *task.demonstration(p, rng));
        QVERIFY2(v.correct && v.reward == 1.0, (p.id + ": " + v.reason).c_str());
        levels.insert(p.level);
      }
    QCOMPARE(levels.size(), size_t(6));
  }

  void gsm8kRejectsWrongAnswersAndAnnotations() {
    const tb::Gsm8kTask task("", 200, 0, true);
    const tb::Gsm8kTask lenient("", 200, 0, false);
    const tb::Problem p = task.problemFromData(
        {{"question", "Janet\u2019s ducks lay 16 eggs per day. She eats 3 and bakes with 4. She sells the rest for $2 each. How much does she make?"},
         {"answer", "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18"}});
    QVERIFY(p.prompt.rfind("Janet's ducks", 0) == 0);  // typographic apostrophe mapped to ASCII
    QCOMPARE(p.level, 1);
    QCOMPARE(p.reference, std::string("18"));
    auto v = task.verify(p, "16-3-4=<<16-3-4=9>>9\n9*2=<<9*2=18>>18\n#### 17");
    QVERIFY(!v.correct);
    QCOMPARE(v.reward, 0.0);
    QCOMPARE(v.reason, std::string("wrong answer 17 (from '####'), expected 18"));
    v = task.verify(p, "16-3-4=<<16-3-4=8>>8\n9*2=<<9*2=18>>18\n#### 18");
    QVERIFY(!v.correct);
    QCOMPARE(v.reason, std::string("right answer 18 but annotation 1 <<16-3-4=8>>: 16-3-4 is 9, not 8"));
    v = lenient.verify(p, "16-3-4=<<16-3-4=8>>8\n9*2=<<9*2=18>>18\n#### 18");
    QVERIFY(v.correct);
    QVERIFY(v.reason.find("not counted") != std::string::npos);
    v = task.verify(p, "She makes <<9*2=18 dollars\n#### 18");
    QVERIFY(!v.correct);
    QVERIFY2(v.reason.find("not closed") != std::string::npos, v.reason.c_str());
    v = task.verify(p, "<<9/0=1>>\n#### 18");
    QVERIFY(v.reason.find("division by zero") != std::string::npos);
    v = task.verify(p, "She makes 18 dollars a day.");
    QVERIFY(v.correct);
    QCOMPARE(v.reason, std::string("correct (no final-answer form: took the last number in the text, 18)"));
    QCOMPARE(task.verify(p, "The answer is $18.").reason, std::string("correct"));
    QVERIFY(!task.verify(p, "no idea").correct);
    QVERIFY(!task.verify(p, std::string(5000, '9')).correct);
    // A record with a bare number as its answer has no demonstration but verifies.
    const tb::Problem bare = task.problemFromData({{"question", "What is 6*7?"}, {"answer", 42}});
    std::mt19937_64 rng(0);
    QVERIFY(!task.demonstration(bare, rng).has_value());
    QVERIFY(task.verify(bare, "#### 42").correct);
  }

  void gsm8kExtractsAnswersAndComparesNumbers() {
    auto extract = [](const std::string& text) {
      const auto a = tb::extractFinalAnswer(text);
      return a ? QString::fromStdString(a->value.text + " [" + a->form + "]") : QString("none");
    };
    QCOMPARE(extract("The answer is $1,234."), QString("1234 [the answer is]"));
    QCOMPARE(extract("so the loss is\n#### -5"), QString("-5 [####]"));
    QCOMPARE(extract("3/4"), QString("3/4 [last number]"));
    QCOMPARE(extract("Answer: 2.50"), QString("2.50 [answer:]"));
    QCOMPARE(extract("ANSWER: 7\nThe answer is 8"), QString("8 [the answer is]"));
    QCOMPARE(extract("\\boxed{42}"), QString("42 [\\boxed]"));
    QCOMPARE(extract("16-3 = 13 apples"), QString("13 [last number]"));
    QCOMPARE(extract("we lost -$3 today"), QString("-3 [last number]"));
    QCOMPARE(extract("#### 1,450,000"), QString("1450000 [####]"));
    QCOMPARE(extract("nothing here"), QString("none"));

    const auto threeQuarters = *tb::parseNumber("3/4");
    QCOMPARE(threeQuarters.exact, std::optional<tb::Rational>(tb::Rational(3, 4)));
    QVERIFY(tb::sameNumber(threeQuarters, *tb::parseNumber("0.75")));
    QVERIFY(tb::sameNumber(*tb::parseNumber("1,234"), *tb::parseNumber("1234.0")));
    QVERIFY(tb::sameNumber(*tb::parseNumber("$-5"), *tb::parseNumber("-5")));
    QVERIFY(tb::sameNumber(*tb::parseNumber("12%"), *tb::parseNumber("12")));
    QVERIFY(!tb::sameNumber(*tb::parseNumber("0.3333333333"), *tb::parseNumber("1/3")));
    QVERIFY(!tb::parseNumber("12 apples"));
    QVERIFY(!tb::parseNumber(""));
    // Beyond 64-bit rationals: 1e-9 relative.
    const auto big = *tb::parseNumber("123456789012345678901234");
    QVERIFY(!big.exact);
    QVERIFY(tb::sameNumber(big, *tb::parseNumber("123456789012345678901235")));
    QVERIFY(!tb::sameNumber(big, *tb::parseNumber("123456790012345678901234")));

    std::string error;
    QCOMPARE(tb::formatNumber(*tb::evaluateArithmetic("80,000*1.5", &error)), std::string("120000"));
    QCOMPARE(tb::evaluateArithmetic("(2+3)*.5", &error)->exact, std::optional<tb::Rational>(tb::Rational(5, 2)));
    QCOMPARE(tb::evaluateArithmetic("-3--2", &error)->exact, std::optional<tb::Rational>(tb::Rational(-1)));
    QCOMPARE(tb::evaluateArithmetic("50%*8", &error)->exact, std::optional<tb::Rational>(tb::Rational(4)));
    QVERIFY(!tb::evaluateArithmetic("1/(2-2)", &error));
    QCOMPARE(error, std::string("division by zero"));
    QVERIFY(!tb::evaluateArithmetic("(2", &error));
    QCOMPARE(error, std::string("missing ')'"));
    QVERIFY(!tb::evaluateArithmetic("2 x 3", &error));

    // Rounded results are accepted to the decimals they show, not beyond.
    QCOMPARE(tb::checkAnnotations("<<10/3=3.33>> <<2/3=0.67>>").wrong, 0);
    QCOMPARE(tb::checkAnnotations("<<10/3=3>>").firstProblem, std::string("annotation 1 <<10/3=3>>: 10/3 is 3.33333333333, not 3"));
    QCOMPARE(tb::checkAnnotations("<<1+1=2=2>>").firstProblem, std::string("annotation 1 <<1+1=2=2>>: expected <<expression=result>>"));

    QCOMPARE(tb::asciiText("Janet\u2019s \u20ac5 \u00be x\u00d7y\u00f7z\tw\u200b \u201cq\u201d \u2013 \u2212"),
             std::string("Janet's EUR5 3/4 x*y/z w \"q\" - -"));
    QCOMPARE(tb::asciiText("\xff ok"), std::string("? ok"));
  }

  void gsm8kLoaderNamesFileAndLine() {
    QTemporaryDir dir;
    auto load = [&](const std::string& text) {
      const std::string path = writeFile(dir, "g.jsonl", text);
      return inputErrorOf([&] { tb::loadGsm8kJsonl(path); });
    };
    const QString path = dir.filePath("g.jsonl");
    const std::string good = "{\"question\": \"What is 1+1?\", \"answer\": \"1+1=<<1+1=2>>2\\n#### 2\"}";
    QVERIFY(load(good + "\n{\"question\": \n").startsWith(path + ":2: malformed JSON (expected an object {\"question\": ..., \"answer\": ...}): "));
    QCOMPARE(load(good + "\n\n" + "{\"question\": \"Q?\"}"), path + ":3: field 'answer': missing (expected a solution ending '#### <number>')");
    QCOMPARE(load("{\"question\": \"Q?\", \"answer\": \"so #### many\"}"),
             path + ":1: field 'answer': expected a solution ending '#### <number>' or a number, got 'many'");
    QCOMPARE(load("{\"answer\": \"#### 2\"}"), path + ":1: field 'question': expected a non-empty string");
    QCOMPARE(load("[1, 2]"), path + ":1: expected a JSON object {\"question\": ..., \"answer\": ...}");
    QCOMPARE(load("\n\n"), path + ": no records (expected one JSON object {\"question\", \"answer\"} per line)");
    QCOMPARE(inputErrorOf([] { tb::loadGsm8kJsonl("/nonexistent/g.jsonl"); }), QString("cannot open GSM8K dataset '/nonexistent/g.jsonl'"));
    QVERIFY(inputErrorOf([] { tb::Gsm8kTask("", 1319, 0, true); }).contains("task.test_size"));
  }

  // ----------------------------------------------------------------------------- JSONL

  void jsonlBundledExampleWorksOutOfTheBox() {
    const tb::JsonlTask task("", "exact", 1e-6, 2, 0);
    QCOMPARE(task.problems(tb::Split::Test).size(), size_t(2));
    QCOMPARE(task.problems(tb::Split::Train).size(), size_t(8));
    checkSplits(task, tb::JsonlTask("", "exact", 1e-6, 2, 0), tb::JsonlTask("", "exact", 1e-6, 2, 3), 10);
    checkAlphabetAndRoundTrip(task);
    const tb::JsonlTask numeric("", "numeric", 1e-6, 2, 0);
    std::mt19937_64 rng(0);
    for (const tb::Task* t : {static_cast<const tb::Task*>(&task), static_cast<const tb::Task*>(&numeric)})
      for (auto split : {tb::Split::Train, tb::Split::Test})
        for (const auto& p : t->problems(split)) {
          QVERIFY(p.id.rfind("jsonl/", 0) == 0);
          QVERIFY(p.level >= 0 && p.level <= 2);
          QVERIFY(p.prompt.rfind("What is ", 0) == 0 && p.prompt.back() == '\n');
          const auto v = t->verify(p, *t->demonstration(p, rng));
          QVERIFY2(v.correct, v.reason.c_str());
        }
  }

  void jsonlVerifiers() {
    QTemporaryDir dir;
    const std::string path = writeFile(dir, "d.jsonl",
                                       "{\"id\": \"q1\", \"prompt\": \"Capital of France?\", \"answer\": \"Paris\"}" "\n"
                                       "{\"id\": 2, \"prompt\": \"Pi?\", \"answer\": 3.14159, \"level\": 3}" "\n"
                                       "{\"prompt\": \"Which is a prime? (A) 4 (B) 6 (C) 7\", \"answer\": \"C\"}" "\n");
    const tb::JsonlTask exact(path, "exact", 0, 1, 0);
    const tb::Problem paris = exact.problemFromData({{"prompt", "Capital of France?"}, {"answer", " Paris "}});
    QVERIFY(exact.verify(paris, "Paris").correct);
    QVERIFY(exact.verify(paris, "Let me think.\n  Paris  \n").correct);
    QCOMPARE(exact.verify(paris, "paris").reason, std::string("expected 'Paris', got 'paris'"));
    QVERIFY(!exact.verify(paris, "Paris, France").correct);

    const std::string numbers = writeFile(dir, "n.jsonl", "{\"prompt\": \"Pi?\", \"answer\": \"3.14159\"}" "\n"
                                                          "{\"prompt\": \"Half?\", \"answer\": \"1/2\"}" "\n");
    const tb::JsonlTask numeric(numbers, "numeric", 1e-3, 1, 0);
    const tb::Problem pi = numeric.problemFromData({{"prompt", "Pi?"}, {"answer", "3.14159"}});
    QVERIFY(numeric.verify(pi, "The answer is 3.1416.").correct);
    QVERIFY(numeric.verify(pi, "#### 3.142").correct);
    QCOMPARE(numeric.verify(pi, "#### 3.2").reason, std::string("wrong answer 3.2 (from '####'), expected 3.14159"));
    QCOMPARE(numeric.verify(pi, "about 3.14159 I think").reason,
             std::string("correct (no final-answer form: took the last number in the text, 3.14159)"));
    QCOMPARE(numeric.verify(pi, "no idea").reason, std::string("no number in the completion"));
    const tb::Problem half = numeric.problemFromData({{"prompt", "Half?"}, {"answer", "1/2"}});
    QVERIFY(numeric.verify(half, "Answer: 0.5").correct);
    const tb::JsonlTask strict(numbers, "numeric", 0, 1, 0);
    QVERIFY(!strict.verify(pi, "#### 3.1416").correct);
    QVERIFY(strict.verify(half, "#### 1/2").correct);

    const std::string patterns = writeFile(dir, "r.jsonl", "{\"prompt\": \"A colour?\", \"answer\": \"(red|green|blue)\"}\n"
                                                           "{\"prompt\": \"Say 42\", \"answer\": \"42\"}" "\n");
    const tb::JsonlTask regex(patterns, "regex", 0, 1, 0);
    const tb::Problem colour = regex.problemFromData({{"prompt", "A colour?"}, {"answer", "(red|green|blue)"}});
    QVERIFY(regex.verify(colour, "I pick\ngreen").correct);
    QCOMPARE(regex.verify(colour, "green\nyellow").reason, std::string("the last line 'yellow' does not match /(red|green|blue)/"));
    QVERIFY(!regex.verify(colour, "greenish").correct);  // the whole line must match
    std::mt19937_64 rng(0);
    QVERIFY(!regex.demonstration(colour, rng).has_value());  // a pattern is no demonstration
    const tb::Problem fortyTwo = regex.problemFromData({{"prompt", "Say 42"}, {"answer", "42"}});
    QCOMPARE(regex.demonstration(fortyTwo, rng), std::optional<std::string>("42"));

    const std::string choices = writeFile(dir, "c.jsonl", "{\"prompt\": \"Which is a prime? (A) 4 (B) 6 (C) 7\", \"answer\": \"C\"}" "\n"
                                                          "{\"prompt\": \"Which is even? (A) 3 (B) 8\", \"answer\": \"(b)\", \"demonstration\": \"8 is even.\\nThe answer is (B).\"}\n");
    const tb::JsonlTask choice(choices, "choice", 0, 1, 0);
    const tb::Problem prime = choice.problemFromData({{"prompt", "Which is a prime? (A) 4 (B) 6 (C) 7"}, {"answer", "C"}});
    for (const char* good : {"The answer is C.", "7 is prime, so the answer is (C)", "Answer: c", "C", "(C)", "C) 7",
                             "I choose (C) because 7 is prime."})
      QVERIFY2(choice.verify(prime, good).correct, good);
    QCOMPARE(choice.verify(prime, "The answer is B.").reason, std::string("chose B, expected C"));
    QCOMPARE(choice.verify(prime, "the answer is a mystery").reason, std::string("no choice letter A-E in the completion"));
    QCOMPARE(choice.demonstration(prime, rng), std::optional<std::string>("C"));
    const tb::Problem even = choice.problemFromData(
        {{"prompt", "Which is even? (A) 3 (B) 8"}, {"answer", "(b)"}, {"demonstration", "8 is even.\nThe answer is (B)."}});
    QVERIFY(choice.verify(even, *choice.demonstration(even, rng)).correct);

    QVERIFY(inputErrorOf([&] { tb::JsonlTask(path, "fuzzy", 0, 1, 0); }).startsWith("task.verifier = 'fuzzy'"));
    QVERIFY(inputErrorOf([&] { tb::JsonlTask(path, "exact", -1, 1, 0); }).startsWith("task.tolerance"));
    QVERIFY(inputErrorOf([&] { tb::JsonlTask(path, "exact", 0, 3, 0); }).startsWith("task.test_size = 3"));
  }

  void jsonlLoaderNamesFileLineAndExpectation() {
    QTemporaryDir dir;
    auto load = [&](const std::string& text, const std::string& verifier = "exact") {
      const std::string path = writeFile(dir, "u.jsonl", text);
      return inputErrorOf([&] { tb::JsonlTask(path, verifier, 0, 1, 0); });
    };
    const QString path = dir.filePath("u.jsonl");
    const std::string good = "{\"prompt\": \"1+1?\", \"answer\": \"2\"}" "\n";
    QVERIFY(load(good + "{\"prompt\": \"2+2?\", \"answer\": 4\n").startsWith(
        path + ":2: malformed JSON (expected an object {\"prompt\": ..., \"answer\": ...}): "));
    QCOMPARE(load(good + "\n" + "{\"question\": \"2+2?\", \"answer\": \"4\"}"), path + ":3: field 'prompt': expected a non-empty string");
    QCOMPARE(load(good + "{\"prompt\": \"2+2?\"}"), path + ":2: field 'answer': expected a string or a number");
    QCOMPARE(load(good + "{\"prompt\": \"2+2?\", \"answer\": \"4\", \"level\": 12}"),
             path + ":2: field 'level': expected an integer in 0..9, got 12");
    QCOMPARE(load("{\"id\": \"a\", \"prompt\": \"1?\", \"answer\": \"1\"}" "\n" "{\"id\": \"a\", \"prompt\": \"2?\", \"answer\": \"2\"}"),
             path + ":2: field 'id': duplicate id 'a' (also on line 1)");
    QCOMPARE(load(good + "{\"prompt\": \"2+2?\", \"answer\": \"four\"}", "numeric"),
             path + ":2: field 'answer': expected a number for task.verifier = numeric, got 'four'");
    QVERIFY(load(good + "{\"prompt\": \"2+2?\", \"answer\": \"(4\"}", "regex").startsWith(
        path + ":2: field 'answer': not a valid regular expression for task.verifier = regex"));
    QCOMPARE(load(good + "{\"prompt\": \"2+2?\", \"answer\": \"F\"}", "choice"),
             path + ":1: field 'answer': expected a letter A-E for task.verifier = choice, got '2'");
    QCOMPARE(load(good + "[1]"), path + ":2: expected a JSON object {\"prompt\": ..., \"answer\": ...}, got [1]");
    QCOMPARE(load(" \n\n"), path + ": no records (expected one JSON object {\"prompt\": ..., \"answer\": ...} per line)");
    QCOMPARE(inputErrorOf([] { tb::JsonlTask("/nonexistent/u.jsonl", "exact", 0, 1, 0); }),
             QString("cannot open JSONL dataset '/nonexistent/u.jsonl' (task.data_file)"));
  }

  // ----------------------------------------------------------------------------- registry

  void registryListsTheThreeTasks() {
    struct Expected {
      const char* name;
      bool stepLevel;
      QStringList keys;
    };
    const std::vector<Expected> expected = {
        {"prontoqa", true,
         {"task.test_size", "task.split_seed", "task.source", "task.generated", "task.hops", "task.distractors", "task.reward"}},
        {"gsm8k", false, {"task.test_size", "task.split_seed", "task.check_annotations"}},
        {"jsonl", false, {"task.data_file", "task.verifier", "task.tolerance", "task.test_size", "task.split_seed"}}};
    for (const auto& e : expected) {
      const tb::TaskInfo& info = tb::TaskRegistry::instance().at(e.name, "task");
      QCOMPARE(info.stepLevel, e.stepLevel);
      QVERIFY(info.hasSolver);
      QVERIFY(!info.levels.empty());
      QVERIFY(!info.source.empty());
      QStringList keys;
      for (const auto& p : info.params) keys << QString::fromStdString(p.key);
      QCOMPARE(keys, e.keys);
      // Created from a run config with the defaults.
      const auto task = info.create(tb::RunConfig::defaults(e.name, "nl-tasks-test-algo"));
      QCOMPARE(QString::fromStdString(task->name()), QString(e.name));
      QVERIFY(!task->problems(tb::Split::Test).empty());
    }
    tb::RunConfig config = tb::RunConfig::defaults("prontoqa", "nl-tasks-test-algo");
    config.set("task.source", "generated");
    config.set("task.generated", 50);
    config.set("task.test_size", 10);
    const auto generated = tb::TaskRegistry::instance().at("prontoqa", "task").create(config);
    QCOMPARE(generated->problems(tb::Split::Train).size(), size_t(40));
  }
};

QTEST_APPLESS_MAIN(TestNlTasks)
#include "test_nl_tasks.moc"

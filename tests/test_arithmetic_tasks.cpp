// Unit tests of the arithmetic tasks besides game24 (which test_game24 covers): countdown (TinyZero-
// style generator, solver, exact checker, step-level interface) and arithmetic word problems
// (templates, generator, parser, "#### n" checker); and, for all three arithmetic tasks, the data
// round trip, the alphabet and robustness on bad input.
#include <QtTest>

#include "tests/TestSupport.h"

#include <algorithm>
#include <random>
#include <set>

#include "core/Error.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/config/RunConfig.h"
#include "core/tasks/ArithmeticTask.h"
#include "core/tasks/CountdownTask.h"
#include "core/tasks/Game24.h"
#include "core/text/CharTokenizer.h"

using nlohmann::json;

// A schema needs an algorithm; the real ones live in tb_core (LibTorch), which this test avoids.
TB_REGISTER_ALGORITHM(arithmeticTestAlgorithm, tb::AlgorithmInfo{
    "arithmetic-test-algo", "Test algorithm", "none", "nothing", {}, {}, nullptr});

namespace {

std::vector<std::string> orderedIdsOf(const std::vector<tb::Problem>& problems) {
  std::vector<std::string> ids;
  for (const auto& p : problems) ids.push_back(p.id);
  return ids;
}

std::unique_ptr<tb::Task> makeTask(const std::string& name) {
  return tb::TaskRegistry::instance().at(name, "task").create(tb::RunConfig::defaults(name, "arithmetic-test-algo"));
}

tb::CountdownOptions countdownWith(int numbers, int train, int test) {
  tb::CountdownOptions o;
  o.minNumbers = numbers;
  o.numbers = numbers;
  o.trainSize = train;
  o.testSize = test;
  return o;
}

// Walks a demonstration through the step-level interface: each step legal where it is taken,
// not terminal before the end, terminal after it.
void walkSteps(const tb::Task& task, const tb::Problem& problem, const std::string& completion) {
  std::vector<std::string> prefix;
  for (const auto& step : tb::splitSteps(completion)) {
    QVERIFY2(!task.isTerminal(problem, prefix), (problem.id + ": terminal before " + step).c_str());
    const auto legal = task.legalSteps(problem, prefix);
    QVERIFY2(std::find(legal.begin(), legal.end(), step) != legal.end(), (problem.id + ": " + step).c_str());
    prefix.push_back(step);
  }
  QVERIFY2(task.isTerminal(problem, prefix), problem.id.c_str());
}

}  // namespace

class TestArithmeticTasks : public QObject {
  Q_OBJECT

 private slots:
  // ---- Countdown ---------------------------------------------------------------------------------

  void countdownGeneratorGolden() {
    // mt19937_64 and rng() % n are fully specified, so this instance is the same everywhere.
    std::mt19937_64 rng(7);
    const auto instance = tb::generateCountdown(4, tb::CountdownOptions{}, rng);
    QVERIFY(instance.has_value());
    QCOMPARE(instance->numbers, (std::vector<int>{16, 47, 51, 79}));
    QCOMPARE(instance->target, 690);
    QCOMPARE(instance->walk, std::string("16*51=816 (left: 47 79 816)\n47+79=126 (left: 126 816)\n816-126=690 (left: 690)"));
    QVERIFY(tb::checkArithmeticSteps(instance->numbers, instance->walk, instance->target).correct);

    const tb::CountdownTask task(tb::CountdownOptions{});
    QCOMPARE(task.problems(tb::Split::Test)[0].id, std::string("countdown/31-47-63/141"));
    QCOMPARE(task.problems(tb::Split::Test)[0].prompt, std::string("31 47 63 -> 141\n"));
    QCOMPARE(task.problems(tb::Split::Test)[0].data, (json{{"numbers", {31, 47, 63}}, {"target", 141}}));
    QCOMPARE(task.problems(tb::Split::Test)[1].id, std::string("countdown/5-55-92/32"));
  }

  void countdownSplitsAreDeterministicSeededAndInRange() {
    tb::CountdownOptions options;
    const tb::CountdownTask task(options);
    const tb::CountdownTask again(options);
    QCOMPARE(task.problems(tb::Split::Train).size(), size_t(2000));
    QCOMPARE(task.problems(tb::Split::Test).size(), size_t(100));
    QCOMPARE(orderedIdsOf(task.problems(tb::Split::Train)), orderedIdsOf(again.problems(tb::Split::Train)));
    QCOMPARE(orderedIdsOf(task.problems(tb::Split::Test)), orderedIdsOf(again.problems(tb::Split::Test)));
    // The test set does not depend on the size of the training set.
    options.trainSize = 50;
    QCOMPARE(orderedIdsOf(tb::CountdownTask(options).problems(tb::Split::Test)), orderedIdsOf(task.problems(tb::Split::Test)));
    options.splitSeed = 1;
    QVERIFY(orderedIdsOf(tb::CountdownTask(options).problems(tb::Split::Test)) != orderedIdsOf(task.problems(tb::Split::Test)));

    std::set<std::string> ids;
    std::set<int> levels;
    for (const auto* split : {&task.problems(tb::Split::Test), &task.problems(tb::Split::Train)}) {
      for (const auto& p : *split) {
        QVERIFY2(ids.insert(p.id).second, p.id.c_str());  // disjoint and distinct
        const auto [numbers, target] = tb::CountdownTask::instanceOf(p);
        QVERIFY(numbers.size() >= 3 && numbers.size() <= 4);
        QCOMPARE(p.level, static_cast<int>(numbers.size()) - 2);
        QCOMPARE(p.difficulty, double(numbers.size()));
        levels.insert(p.level);
        for (int n : numbers) QVERIFY(n >= 1 && n <= 100);
        QVERIFY(target >= 10 && target <= 1000);
        QCOMPARE(p.prompt, tb::arithmeticPrompt(numbers, target));
        // The generator's walk is a correct solution made of legal steps.
        QVERIFY2(task.verify(p, p.reference).correct, (p.id + "\n" + p.reference).c_str());
      }
    }
    QCOMPARE(levels, (std::set<int>{1, 2}));
    // Easier (fewer numbers) first within a split.
    QVERIFY(std::is_sorted(task.problems(tb::Split::Train).begin(), task.problems(tb::Split::Train).end(),
                           [](const tb::Problem& a, const tb::Problem& b) { return a.difficulty < b.difficulty; }));
  }

  void countdownSolverSolvesGeneratedInstances() {
    QElapsedTimer timer;
    timer.start();
    std::mt19937_64 rng(11);
    for (int n = 2; n <= 6; ++n) {
      const tb::CountdownTask task(countdownWith(n, 20, 5));
      for (const auto* split : {&task.problems(tb::Split::Test), &task.problems(tb::Split::Train)}) {
        for (const auto& p : *split) {
          const auto [numbers, target] = tb::CountdownTask::instanceOf(p);
          QCOMPARE(numbers.size(), size_t(n));
          const auto found = tb::solveArithmetic(numbers, target, {.limit = 1, .integersOnly = true});
          QVERIFY2(!found.empty(), p.id.c_str());
          QVERIFY(tb::checkArithmeticSteps(numbers, found.front(), target).correct);
          const auto demo = task.demonstration(p, rng);
          QVERIFY2(demo.has_value(), p.id.c_str());
          QVERIFY2(demo->find("Answer") == std::string::npos, demo->c_str());
          const auto verdict = task.verify(p, *demo);
          QVERIFY2(verdict.correct, (p.id + "\n" + *demo + "\n-> " + verdict.reason).c_str());
          QCOMPARE(verdict.reward, 1.0);
          QCOMPARE(tb::splitSteps(*demo).size(), size_t(n - 1));
          walkSteps(task, p, *demo);
          walkSteps(task, p, p.reference);
          QCOMPARE(task.describeState(p, tb::splitSteps(*demo)), "left: " + std::to_string(target));
        }
      }
    }
    qInfo("generated and solved 125 instances of 2..6 numbers in %lld ms", static_cast<long long>(timer.elapsed()));
    QVERIFY(timer.elapsed() < 30000);
  }

  void countdownDemonstrationsVary() {
    const tb::CountdownTask task(countdownWith(4, 20, 5));
    const tb::Problem& p = task.problems(tb::Split::Train).front();
    std::mt19937_64 rng(1);
    std::set<std::string> demos;
    for (int i = 0; i < 30; ++i) demos.insert(*task.demonstration(p, rng));
    QVERIFY(demos.size() > 1);
  }

  void countdownCheckerRejectsWithReasons_data() {
    QTest::addColumn<QString>("completion");
    QTest::addColumn<QString>("reason");
    QTest::newRow("correct") << "31+63=94 (left: 47 94)\n47+94=141 (left: 141)" << "correct";
    QTest::newRow("wrong arithmetic") << "31+63=95 (left: 47 95)" << "step 1: 31+63 is 94, not 95";
    QTest::newRow("reused number") << "31+31=62 (left: 47 62 63)"
                                   << "step 1: 31 is used twice but appears once among the remaining numbers 31 47 63";
    QTest::newRow("number not in the puzzle") << "30+63=93 (left: 31 47 93)"
                                              << "step 1: 30 is not among the remaining numbers 31 47 63";
    QTest::newRow("number used up") << "31+63=94 (left: 47 94)\n31+110=141 (left: 141)"
                                    << "step 2: 31 is not among the remaining numbers 47 94";
    QTest::newRow("wrong final value") << "31+63=94 (left: 47 94)\n94-47=47 (left: 47)" << "step 2 leaves 47, not 141";
    QTest::newRow("numbers left over") << "31+63=94 (left: 47 94)" << "step 1 leaves 2 numbers, not just the target";
    QTest::newRow("wrong left list") << "31+63=94 (left: 94)" << "step 1: left list 94 should be 47 94";
    QTest::newRow("one number twice")
        << "63-63=0 (left: 0 31 47)" << "step 1: 63 is used twice but appears once among the remaining numbers 31 47 63";
    QTest::newRow("empty") << "" << "no steps and no Answer line";
    QTest::newRow("garbage") << "the answer is 141" << "step 1: missing the (left: ...) list in 'the answer is 141'";
  }
  void countdownCheckerRejectsWithReasons() {
    QFETCH(QString, completion);
    QFETCH(QString, reason);
    const tb::CountdownTask task(countdownWith(3, 5, 5));
    const tb::Problem p = task.problemFromData(json{{"numbers", {63, 31, 47}}, {"target", 141}});
    const auto verdict = task.verify(p, completion.toStdString());
    QCOMPARE(QString::fromStdString(verdict.reason), reason);
    QCOMPARE(verdict.correct, reason == "correct");
    QCOMPARE(verdict.reward, verdict.correct ? 1.0 : 0.0);
  }

  void countdownDivisionByZeroAndFractions() {
    const tb::CountdownTask task(countdownWith(3, 5, 5));
    const tb::Problem p = task.problemFromData(json{{"numbers", {0, 5, 7}}, {"target", 12}});
    QCOMPARE(task.verify(p, "5/0=0 (left: 0 7)").reason, std::string("step 1: division by zero"));
    QVERIFY(task.verify(p, "0+5=5 (left: 5 7)\n5+7=12 (left: 12)").correct);
    // Fractions are exact and legal steps: 3 4 8 -> 6 as 3/4*8.
    const tb::Problem q = task.problemFromData(json{{"numbers", {3, 4, 8}}, {"target", 6}});
    QVERIFY(task.verify(q, "3/4=3/4 (left: 3/4 8)\n3/4*8=6 (left: 6)").correct);
    walkSteps(task, q, "3/4=3/4 (left: 3/4 8)\n3/4*8=6 (left: 6)");
  }

  void countdownProblemFromData() {
    const tb::CountdownTask task(countdownWith(4, 30, 5));
    for (const auto* split : {&task.problems(tb::Split::Test), &task.problems(tb::Split::Train)})
      for (const auto& p : *split) {
        const tb::Problem again = task.problemFromData(p.data);
        QCOMPARE(again.id, p.id);
        QCOMPARE(again.prompt, p.prompt);
        QCOMPARE(again.reference, p.reference);
      }
    // A foreign instance: solved for its reference; order of the numbers does not matter.
    const tb::Problem p = task.problemFromData(json{{"numbers", {50, 25, 7, 3}}, {"target", 96}});
    QCOMPARE(p.id, std::string("countdown/3-7-25-50/96"));
    QCOMPARE(p.prompt, std::string("3 7 25 50 -> 96\n"));
    QCOMPARE(p.level, 2);
    QVERIFY2(task.verify(p, p.reference).correct, p.reference.c_str());
    // Unsolvable: no reference, no demonstration, every answer wrong.
    const tb::Problem none = task.problemFromData(json{{"numbers", {1, 1, 1}}, {"target", 100}});
    QVERIFY(none.reference.empty());
    std::mt19937_64 rng(0);
    QVERIFY(!task.demonstration(none, rng).has_value());
    QVERIFY(!task.verify(none, "1+1=2 (left: 1 2)\n1+2=3 (left: 3)").correct);
    QVERIFY_THROWS_EXCEPTION(tb::InternalError, task.verify(tb::Problem{"other/1", "", "", 0}, ""));
  }

  void countdownProblemFromDataRejectsBadData_data() {
    QTest::addColumn<QString>("data");
    QTest::newRow("string") << "\"3 7 25 50 -> 96\"";
    QTest::newRow("array") << "[3, 7, 25, 50]";
    QTest::newRow("no target") << "{\"numbers\": [3, 7]}";
    QTest::newRow("one number") << "{\"numbers\": [3], \"target\": 3}";
    QTest::newRow("seven numbers") << "{\"numbers\": [1,2,3,4,5,6,7], \"target\": 3}";
    QTest::newRow("negative") << "{\"numbers\": [3, -7], \"target\": 3}";
    QTest::newRow("fraction") << "{\"numbers\": [3, 7.5], \"target\": 3}";
    QTest::newRow("target text") << "{\"numbers\": [3, 7], \"target\": \"10\"}";
    QTest::newRow("unknown key") << "{\"numbers\": [3, 7], \"target\": 10, \"hint\": 1}";
    QTest::newRow("null") << "null";
  }
  void countdownProblemFromDataRejectsBadData() {
    QFETCH(QString, data);
    static const tb::CountdownTask task(countdownWith(3, 5, 5));
    const QString error = inputErrorOf([&] { task.problemFromData(json::parse(data.toStdString())); });
    QVERIFY2(error.startsWith("countdown problem "), qPrintable(error));
    QVERIFY2(error.contains("expected {\"numbers\""), qPrintable(error));
  }

  void countdownRewardsAndOptions() {
    tb::CountdownOptions options = countdownWith(3, 5, 5);
    options.reward = "for";
    const tb::CountdownTask task(options);
    const tb::Problem& p = task.problems(tb::Split::Test).front();
    QCOMPARE(task.verify(p, p.reference).reward, 100.0);
    QCOMPARE(task.verify(p, "").reward, 0.001);

    auto errorWith = [](const std::function<void(tb::CountdownOptions&)>& change) {
      tb::CountdownOptions o = countdownWith(3, 5, 5);
      change(o);
      return inputErrorOf([&] { tb::CountdownTask t(o); });
    };
    QVERIFY(errorWith([](auto& o) { o.numbers = 7; }).contains("task.numbers"));
    QVERIFY(errorWith([](auto& o) { o.minNumbers = 4; }).contains("task.min_numbers"));
    QVERIFY(errorWith([](auto& o) { o.minNumber = 50, o.maxNumber = 10; }).contains("task.min_number"));
    QVERIFY(errorWith([](auto& o) { o.minTarget = 50, o.maxTarget = 10; }).contains("task.min_target"));
    QVERIFY(errorWith([](auto& o) { o.reward = "gold"; }).contains("task.reward"));
    QVERIFY(errorWith([](auto& o) { o.trainSize = 0; }).contains("task.train_size"));
    // Ranges that cannot give enough distinct instances say so.
    const QString few = errorWith([](auto& o) {
      o.numbers = o.minNumbers = 2, o.minNumber = 1, o.maxNumber = 2, o.minTarget = 1, o.maxTarget = 4, o.trainSize = 100;
    });
    QVERIFY2(few.contains("task.train_size = 100: only"), qPrintable(few));
  }

  // ---- Arithmetic word problems ----------------------------------------------------------------

  void wordProblemGolden() {
    std::mt19937_64 rng(42);
    const tb::WordProblem w = tb::generateWordProblem(3, 100, rng);
    QCOMPARE(w.question, std::string("Sam has 33 pens. He triples them. He keeps a third. He buys 53 more. How many now?"));
    QCOMPARE(w.answer, 86LL);
    QCOMPARE(tb::wordProblemCompletion(w), std::string("33*3=99\n99/3=33\n33+53=86\n#### 86"));
    const tb::ArithmeticTask task(tb::ArithmeticOptions{});
    QCOMPARE(task.problems(tb::Split::Test)[0].prompt, std::string("Di has 92 eggs. She sells 3. How many now?\n"));
    QCOMPARE(task.problems(tb::Split::Test)[0].id, std::string("arithmetic/c222903c13b063a7"));
  }

  void wordProblemsParseBackToTheirComputation() {
    for (std::uint64_t seed = 0; seed < 300; ++seed) {
      std::mt19937_64 rng(seed);
      const int operations = 1 + static_cast<int>(seed % 6);
      const int maxValue = seed % 2 ? 100 : 1000;
      const tb::WordProblem w = tb::generateWordProblem(operations, maxValue, rng);
      QCOMPARE(w.steps.size(), size_t(operations));
      std::string error;
      const auto solved = tb::solveWordProblem(w.question, &error);
      QVERIFY2(solved.has_value(), (w.question + " -> " + error).c_str());
      QCOMPARE(solved->steps, w.steps);
      QCOMPARE(solved->answer, w.answer);
      QVERIFY(w.answer >= 1 && w.answer <= maxValue);
      const auto check = tb::checkWordProblemAnswer(tb::wordProblemCompletion(w), w.answer);
      QVERIFY2(check.correct, check.reason.c_str());
    }
  }

  void wordProblemParserRejects_data() {
    QTest::addColumn<QString>("question");
    QTest::addColumn<QString>("error");
    QTest::newRow("unknown verb") << "Bob has 10 cards. He eats 4. How many now?"
                                  << "sentence 2 'He eats 4.' matches no template";
    QTest::newRow("wrong pronoun") << "Bob has 10 cards. She loses 4. How many now?"
                                   << "sentence 2 'She loses 4.' matches no template";
    QTest::newRow("unknown name") << "Kim has 10 cards. She loses 4. How many now?"
                                  << "sentence 1 'Kim has 10 cards.' is not '<Name> has <n> <items>.' with a known name and item";
    QTest::newRow("no question") << "Bob has 10 cards. He loses 4. He loses 1."
                                 << "the question must end with 'How many now?'";
    QTest::newRow("not divisible") << "Bob has 10 cards. He keeps a third. How many now?"
                                   << "sentence 2 'He keeps a third.': 10 is not divisible by 3";
    QTest::newRow("negative") << "Bob has 10 cards. He loses 14. How many now?"
                              << "sentence 2 'He loses 14.': the count becomes -4";
    QTest::newRow("too short") << "How many now?"
                               << "expected '<Name> has <n> <items>.', operations and 'How many now?'";
    QTest::newRow("empty") << "" << "expected '<Name> has <n> <items>.', operations and 'How many now?'";
  }
  void wordProblemParserRejects() {
    QFETCH(QString, question);
    QFETCH(QString, error);
    std::string why;
    QVERIFY(!tb::solveWordProblem(question.toStdString(), &why).has_value());
    QCOMPARE(QString::fromStdString(why), error);
  }

  void wordProblemChecker_data() {
    QTest::addColumn<QString>("completion");
    QTest::addColumn<QString>("reason");
    QTest::newRow("steps and answer") << "12+5=17\n17-3=14\n14*2=28\n#### 28" << "correct";
    QTest::newRow("answer only") << "#### 28" << "correct";
    QTest::newRow("spaces, text after") << " 12 + 5 = 17 \n####28\nand more" << "correct";
    QTest::newRow("exact fraction") << "56/3=56/3\n#### 28" << "correct";
    QTest::newRow("wrong step") << "12+5=17\n17-3=13\n#### 26" << "line 2: 17-3 is 14, not 13";
    QTest::newRow("wrong answer") << "12+5=17\n#### 27" << "answer 27, expected 28";
    QTest::newRow("no answer line") << "12+5=17" << "no '#### n' answer line";
    QTest::newRow("empty") << "" << "empty completion";
    QTest::newRow("blank") << "\n \n" << "empty completion";
    QTest::newRow("division by zero") << "7/0=1\n#### 28" << "line 1: division by zero";
    QTest::newRow("words") << "I think 28" << "line 1: cannot parse 'I think 28' (expected 'a+b=c' or '#### n')";
    QTest::newRow("bad value") << "12+5=x\n#### 28" << "line 1: cannot parse '12+5=x'";
    QTest::newRow("letters") << "a+b=17" << "line 1: cannot parse 'a+b=17'";
    QTest::newRow("two equals") << "1=1=1" << "line 1: cannot parse '1=1=1' (expected 'a+b=c' or '#### n')";
    QTest::newRow("answer words") << "#### twenty" << "answer: cannot parse 'twenty' as a whole number";
    QTest::newRow("answer fraction") << "#### 28/3" << "answer: cannot parse '28/3' as a whole number";
    QTest::newRow("answer empty") << "####" << "answer: cannot parse '' as a whole number";
    QTest::newRow("huge") << "99999999999999999999*9=1" << "line 1: number too large";
  }
  void wordProblemChecker() {
    QFETCH(QString, completion);
    QFETCH(QString, reason);
    const auto check = tb::checkWordProblemAnswer(completion.toStdString(), 28);
    QCOMPARE(QString::fromStdString(check.reason), reason);
    QCOMPARE(check.correct, reason == "correct");
  }

  void arithmeticTaskSplitsLevelsAndLengths() {
    tb::ArithmeticOptions options;
    const tb::ArithmeticTask task(options);
    QCOMPARE(task.problems(tb::Split::Train).size(), size_t(2000));
    QCOMPARE(task.problems(tb::Split::Test).size(), size_t(100));
    QCOMPARE(orderedIdsOf(tb::ArithmeticTask(options).problems(tb::Split::Train)), orderedIdsOf(task.problems(tb::Split::Train)));
    options.trainSize = 10;
    QCOMPARE(orderedIdsOf(tb::ArithmeticTask(options).problems(tb::Split::Test)), orderedIdsOf(task.problems(tb::Split::Test)));
    options.splitSeed = 9;
    QVERIFY(orderedIdsOf(tb::ArithmeticTask(options).problems(tb::Split::Test)) != orderedIdsOf(task.problems(tb::Split::Test)));

    const tb::CharTokenizer tokenizer(task.alphabet());
    std::mt19937_64 rng(0);
    std::set<int> levels;
    std::set<std::string> ids;
    size_t longest = 0;
    for (const auto* split : {&task.problems(tb::Split::Test), &task.problems(tb::Split::Train)}) {
      for (const auto& p : *split) {
        QVERIFY2(ids.insert(p.id).second, p.id.c_str());
        const auto demo = task.demonstration(p, rng);
        QVERIFY(demo.has_value());
        QCOMPARE(*demo, p.reference);  // the generator's own computation
        const auto verdict = task.verify(p, *demo);
        QVERIFY2(verdict.correct, verdict.reason.c_str());
        QCOMPARE(verdict.reward, 1.0);
        // A wrong number is rejected.
        const long long answer = p.data["answer"].get<long long>();
        QVERIFY(!task.verify(p, "#### " + std::to_string(answer + 1)).correct);
        const int operations = static_cast<int>(std::count(demo->begin(), demo->end(), '\n'));
        QVERIFY(operations >= 1 && operations <= 3);
        QCOMPARE(p.level, operations - 1);
        levels.insert(p.level);
        // <bos> prompt, completion <eos>: within a 160-token context.
        longest = std::max(longest, tokenizer.encodePrompt(p.prompt).size() + tokenizer.encodeCompletion(*demo).size());
      }
    }
    QCOMPARE(levels, (std::set<int>{0, 1, 2}));
    QVERIFY2(longest <= 160, qPrintable(QString::number(longest)));
    qInfo("longest prompt + demonstration: %zu tokens", longest);
  }

  void arithmeticProblemFromData() {
    const tb::ArithmeticTask task(tb::ArithmeticOptions{.trainSize = 50, .testSize = 10});
    for (const auto& p : task.problems(tb::Split::Train)) {
      const tb::Problem again = task.problemFromData(p.data);
      QCOMPARE(again.id, p.id);
      QCOMPARE(again.prompt, p.prompt);
      QCOMPARE(again.level, p.level);
    }
    // A question of one's own, in the templates, with or without its answer.
    const std::string question = "Bob has 10 cards. He loses 4. He triples them. How many now?";
    const tb::Problem p = task.problemFromData(json{{"question", question}});
    QCOMPARE(p.prompt, question + "\n");
    QCOMPARE(p.data, (json{{"question", question}, {"answer", 18}}));
    QCOMPARE(p.level, 1);
    std::mt19937_64 rng(0);
    QCOMPARE(*task.demonstration(p, rng), std::string("10-4=6\n6*3=18\n#### 18"));
    QCOMPARE(task.problemFromData(json{{"question", question}, {"answer", 18}}).id, p.id);
    QCOMPARE(task.verify(p, "#### 17").reason, std::string("answer 17, expected 18"));

    QVERIFY(inputErrorOf([&] { task.problemFromData(json{{"question", question}, {"answer", 17}}); })
                .contains("the answer 17 does not match the question's 18"));
    QVERIFY(inputErrorOf([&] { task.problemFromData(json{{"question", "Bob has 10 cards. He eats 4. How many now?"}}); })
                .contains("sentence 2 'He eats 4.' matches no template"));
    QVERIFY(inputErrorOf([&] { task.problemFromData(json{{"question", question}, {"answer", "18"}}); })
                .contains("\"answer\" must be an integer"));
    QVERIFY(inputErrorOf([&] { task.problemFromData(json{{"question", question}, {"hint", 1}}); })
                .contains("unexpected key 'hint'"));
    QVERIFY(inputErrorOf([&] { task.problemFromData(json{{"answer", 18}}); }).contains("expected {\"question\""));
    QVERIFY(inputErrorOf([&] { task.problemFromData("Bob has 10 cards."); }).contains("expected {\"question\""));
    QVERIFY_THROWS_EXCEPTION(tb::InternalError, task.verify(tb::Problem{"other/1", "", "", 0}, ""));
  }

  void arithmeticRejectsBadOptions() {
    auto errorWith = [](const std::function<void(tb::ArithmeticOptions&)>& change) {
      tb::ArithmeticOptions o{.trainSize = 5, .testSize = 5};
      change(o);
      return inputErrorOf([&] { tb::ArithmeticTask t(o); });
    };
    QVERIFY(errorWith([](auto& o) { o.steps = 7; }).contains("task.steps"));
    QVERIFY(errorWith([](auto& o) { o.minSteps = 4; }).contains("task.min_steps"));
    QVERIFY(errorWith([](auto& o) { o.maxValue = 5; }).contains("task.max_value"));
    QVERIFY(errorWith([](auto& o) { o.testSize = 0; }).contains("task.test_size"));
    QVERIFY(errorWith([](auto&) {}).isEmpty());
    // Higher levels: more operations, all within max_value.
    tb::ArithmeticOptions deep{.minSteps = 5, .steps = 6, .maxValue = 30, .trainSize = 40, .testSize = 5};
    const tb::ArithmeticTask task(deep);
    for (const auto& p : task.problems(tb::Split::Train)) QVERIFY(p.level == 4 || p.level == 5);
  }

  // ---- All arithmetic tasks ----------------------------------------------------------------------

  void registration() {
    const auto& registry = tb::TaskRegistry::instance();
    const tb::TaskInfo& countdown = registry.at("countdown", "task");
    QVERIFY(countdown.stepLevel);
    QVERIFY(countdown.hasSolver);
    QCOMPARE(countdown.levels.size(), size_t(5));
    QStringList keys;
    for (const auto& p : countdown.params) keys << QString::fromStdString(p.key);
    QCOMPARE(keys, (QStringList{"task.numbers", "task.min_numbers", "task.min_number", "task.max_number",
                                "task.min_target", "task.max_target", "task.train_size", "task.test_size",
                                "task.split_seed", "task.reward"}));
    const tb::TaskInfo& arithmetic = registry.at("arithmetic", "task");
    QVERIFY(!arithmetic.stepLevel);
    QVERIFY(arithmetic.hasSolver);
    QCOMPARE(arithmetic.levels.size(), size_t(6));
    keys.clear();
    for (const auto& p : arithmetic.params) keys << QString::fromStdString(p.key);
    QCOMPARE(keys, (QStringList{"task.steps", "task.min_steps", "task.max_value", "task.train_size", "task.test_size",
                                "task.split_seed"}));

    auto config = tb::RunConfig::defaults("countdown", "arithmetic-test-algo");
    config.set("task.numbers", 5);
    config.set("task.min_numbers", 5);
    config.set("task.train_size", 30);
    config.set("task.test_size", 7);
    const auto task = registry.at("countdown", "task").create(config);
    QCOMPARE(task->problems(tb::Split::Test).size(), size_t(7));
    for (const auto& p : task->problems(tb::Split::Train)) QCOMPARE(p.level, 3);
    QVERIFY(inputErrorOf([&] { config.set("task.numbers", 7); }).contains("task.numbers"));
  }

  void everyTaskRoundTripsStaysInItsAlphabetAndSurvivesBadInput_data() {
    QTest::addColumn<QString>("name");
    for (const char* name : {"game24", "countdown", "arithmetic"}) QTest::newRow(name) << QString(name);
  }
  void everyTaskRoundTripsStaysInItsAlphabetAndSurvivesBadInput() {
    QFETCH(QString, name);
    const auto task = makeTask(name.toStdString());
    const tb::TaskInfo& info = tb::TaskRegistry::instance().at(name.toStdString(), "task");
    const std::string alphabet = task->alphabet();
    const tb::CharTokenizer tokenizer(alphabet);
    std::mt19937_64 rng(0);
    const std::vector<std::string> bad{"", " \n ", "xyz", "(((\n)))", std::string(5000, '9'), "1/0=1 (left: 1)",
                                       "#### ", "Answer: 1/0", "=\n=\n=", "\x01\xff\x80 binary", "-1-1=-2 (left: -2)"};
    for (const auto* split : {&task->problems(tb::Split::Test), &task->problems(tb::Split::Train)}) {
      for (size_t i = 0; i < split->size(); i += std::max<size_t>(1, split->size() / 40)) {
        const tb::Problem& p = (*split)[i];
        const tb::Problem again = task->problemFromData(p.data);
        QCOMPARE(again.prompt, p.prompt);
        QCOMPARE(again.id, p.id);
        const auto demo = task->demonstration(p, rng);
        QVERIFY2(demo.has_value(), p.id.c_str());
        for (char c : p.prompt + *demo)
          QVERIFY2(alphabet.find(c) != std::string::npos, (p.id + ": '" + std::string(1, c) + "'").c_str());
        tokenizer.encodePrompt(p.prompt);
        tokenizer.encodeCompletion(*demo);
        QVERIFY(task->verify(p, *demo).correct);
        if (info.stepLevel) walkSteps(*task, p, *demo);
        for (const auto& text : bad) {
          const auto verdict = task->verify(p, text);
          QVERIFY2(!verdict.correct, (p.id + ": accepted '" + text.substr(0, 20) + "'").c_str());
          QVERIFY2(!verdict.reason.empty(), p.id.c_str());
          if (info.stepLevel) {
            QVERIFY(task->legalSteps(p, tb::splitSteps(text)).empty() || tb::splitSteps(text).empty());
            QVERIFY(!task->describeState(p, tb::splitSteps(text)).empty());
          }
        }
      }
    }
    // Random text over the task's own alphabet never crashes the verifier.
    std::mt19937_64 fuzz(3);
    const tb::Problem& first = task->problems(tb::Split::Train).front();
    for (int i = 0; i < 500; ++i) {
      std::string text;
      const size_t length = fuzz() % 160;
      for (size_t j = 0; j < length; ++j) text.push_back(alphabet[fuzz() % alphabet.size()]);
      const auto verdict = task->verify(first, text);
      QVERIFY(!verdict.reason.empty());
      if (info.stepLevel) {
        task->legalSteps(first, tb::splitSteps(text));
        task->isTerminal(first, tb::splitSteps(text));
      }
    }
  }
};

QTEST_APPLESS_MAIN(TestArithmeticTasks)
#include "test_arithmetic_tasks.moc"

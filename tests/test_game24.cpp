// Unit tests of the Game of 24: exact rationals, the step checker's verdicts and reasons, the
// expression evaluator, the solver on every bundled puzzle, the CSV loader's error messages, the
// task's seeded split and its registration; canonical solutions and FoR's distinct-solution
// count, the generator for other targets and ranges, the step-level interface and the rewards.
#include <QtTest>

#include "tests/TestSupport.h"

#include <algorithm>
#include <fstream>
#include <random>
#include <set>

#include "core/Error.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/config/RunConfig.h"
#include "core/tasks/Game24.h"
#include "core/tasks/Game24Task.h"
#include "core/tasks/Rational.h"

using tb::Rational;

// A schema needs an algorithm; the real ones live in tb_core (LibTorch), which this test avoids.
TB_REGISTER_ALGORITHM(game24TestAlgorithm, tb::AlgorithmInfo{
    "game24-test-algo", "Test algorithm", "none", "nothing", {}, {}, nullptr});

namespace {

const char* kDocumentedExample =
    "13-9=4 (left: 4 4 10)\n"
    "10-4=6 (left: 4 6)\n"
    "4*6=24 (left: 24)\n"
    "Answer: (13-9)*(10-4)=24";

std::vector<int> numbersFrom(const QString& text) {
  std::vector<int> out;
  for (const QString& part : text.split(' ', Qt::SkipEmptyParts)) out.push_back(part.toInt());
  return out;
}

}  // namespace

class TestGame24 : public QObject {
  Q_OBJECT

 private slots:
  void rationalNormalisesAndComputesExactly() {
    const Rational half(2, -4);
    QCOMPARE(half.num(), -1LL);
    QCOMPARE(half.den(), 2LL);
    QVERIFY(!half.isInteger());
    QCOMPARE(Rational(6, 3), Rational(2));
    QVERIFY(Rational(6, 3).isInteger());
    QCOMPARE(Rational(0, -5).den(), 1LL);

    QCOMPARE(Rational(1, 3) + Rational(1, 6), Rational(1, 2));
    QCOMPARE(Rational(5) - Rational(1, 5), Rational(24, 5));
    QCOMPARE(Rational(24, 5) * Rational(5), Rational(24));
    QCOMPARE(*Rational(8).dividedBy(Rational(1, 3)), Rational(24));
    QVERIFY(!Rational(8).dividedBy(Rational(0)).has_value());
    QVERIFY(Rational(1, 3) < Rational(1, 2));
    QVERIFY(Rational(-1, 2) < Rational(0));
    QVERIFY(Rational(7, 2) > Rational(3));

    QVERIFY_THROWS_EXCEPTION(tb::InternalError, Rational(1, 0));
    // Overflow throws instead of wrapping; tryApply reports it as nullopt for untrusted input.
    const Rational big(LLONG_MAX);
    QVERIFY_THROWS_EXCEPTION(tb::InternalError, big * Rational(2));
    QVERIFY_THROWS_EXCEPTION(tb::InternalError, big + Rational(1));
    QVERIFY_THROWS_EXCEPTION(tb::InternalError, Rational(LLONG_MIN) - Rational(1));
    QVERIFY(!Rational::tryApply('*', big, big).has_value());
    QCOMPARE(*Rational::tryApply('-', big, big), Rational(0));
    // Large operands whose exact result fits are fine thanks to the 128-bit intermediates.
    QCOMPARE(Rational(LLONG_MAX, 3) * Rational(3, LLONG_MAX), Rational(1));
    QCOMPARE(*Rational::tryApply('/', Rational(3), Rational(-6)), Rational(-1, 2));
    QVERIFY(!Rational::tryApply('/', Rational(3), Rational(0)).has_value());
  }

  void rationalParseAndToString_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("printed");  // empty: must not parse
    QTest::newRow("integer") << "4" << "4";
    QTest::newRow("negative") << "-3" << "-3";
    QTest::newRow("fraction") << "24/5" << "24/5";
    QTest::newRow("negative fraction") << "-7/2" << "-7/2";
    QTest::newRow("zero") << "0" << "0";
    QTest::newRow("reduces") << "2/4" << "1/2";
    QTest::newRow("integral fraction") << "8/4" << "2";
    QTest::newRow("empty") << "" << "";
    QTest::newRow("sign only") << "-" << "";
    QTest::newRow("zero denominator") << "1/0" << "";
    QTest::newRow("missing denominator") << "1/" << "";
    QTest::newRow("decimal") << "1.5" << "";
    QTest::newRow("space") << " 1" << "";
    QTest::newRow("plus sign") << "+1" << "";
    QTest::newRow("letters") << "x" << "";
    QTest::newRow("too large") << "99999999999999999999" << "";
  }
  void rationalParseAndToString() {
    QFETCH(QString, text);
    QFETCH(QString, printed);
    const auto parsed = Rational::parse(text.toStdString());
    if (printed.isEmpty()) {
      QVERIFY(!parsed.has_value());
      return;
    }
    QVERIFY(parsed.has_value());
    QCOMPARE(QString::fromStdString(parsed->toString()), printed);
    QCOMPARE(Rational::parse(parsed->toString()), parsed);  // round trip
  }

  void checkerAccepts_data() {
    QTest::addColumn<QString>("numbers");
    QTest::addColumn<QString>("completion");
    QTest::addColumn<int>("target");
    QTest::addColumn<int>("validSteps");
    QTest::newRow("documented example") << "4 9 10 13" << kDocumentedExample << 24 << 3;
    QTest::newRow("spaces")
        << "4 9 10 13"
        << "  13 - 9 = 4   (left:  4 4 10 )\n10 -4= 6 (left: 4 6)\n 4 * 6 = 24 (left: 24)\n"
           "Answer:  ( 13 - 9 ) * ( 10 - 4 ) = 24 " << 24 << 3;
    QTest::newRow("fractions") << "1 5 5 5"
                               << "1/5=1/5 (left: 1/5 5 5)\n5-1/5=24/5 (left: 24/5 5)\n"
                                  "24/5*5=24 (left: 24)\nAnswer: 5*(5-1/5)=24" << 24 << 3;
    QTest::newRow("left list in any order")
        << "4 9 10 13" << "13-9=4 (left: 10 4 4)\n10-4=6 (left: 6 4)\n6*4=24 (left: 24)" << 24 << 3;
    QTest::newRow("answer only") << "4 9 10 13" << "Answer: (13-9)*(10-4)=24" << 24 << 0;
    QTest::newRow("answer without =24") << "4 9 10 13" << "Answer: (10-4)*(13-9)" << 24 << 0;
    QTest::newRow("blank lines, CRLF, text after answer")
        << "4 9 10 13"
        << "\n13-9=4 (left: 4 4 10)\r\n\n10-4=6 (left: 4 6)\r\n4*6=24 (left: 24)\r\n"
           "Answer: (13-9)*(10-4)=24\nthis is ignored 1+1=3" << 24 << 3;
    QTest::newRow("negative intermediate")
        << "1 2 3 8" << "1-2=-1 (left: -1 3 8)\n3--1=4 (left: 4 8)\n8*4=32 (left: 32)" << 32 << 3;
    // "3/2/1" can only be (3/2)/1 here, "3/3/2" only 3/(3/2): the checker tries both readings.
    QTest::newRow("ambiguous fraction steps")
        << "1 2 3 3" << "3/2=3/2 (left: 1 3/2 3)\n3/2/1=3/2 (left: 3/2 3)\n3/3/2=2 (left: 2)" << 2 << 3;
  }
  void checkerAccepts() {
    QFETCH(QString, numbers);
    QFETCH(QString, completion);
    QFETCH(int, target);
    QFETCH(int, validSteps);
    const auto check = tb::checkGame24(numbersFrom(numbers), completion.toStdString(), target);
    QCOMPARE(QString::fromStdString(check.reason), QString("correct"));
    QVERIFY(check.correct);
    QCOMPARE(check.validSteps, validSteps);
  }

  void checkerRejectsWithReason_data() {
    QTest::addColumn<QString>("numbers");
    QTest::addColumn<QString>("completion");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<int>("validSteps");
    QTest::newRow("wrong arithmetic")
        << "4 9 10 13" << "13-9=4 (left: 4 4 10)\n10-4=5 (left: 4 5)\n4*5=20 (left: 20)"
        << "step 2: 10-4 is 6, not 5" << 1;
    QTest::newRow("unavailable number")
        << "1 2 3 4" << "7*3=21 (left: 1 2 21)" << "step 1: 7 is not among the remaining numbers 1 2 3 4" << 0;
    QTest::newRow("number used up")
        << "4 9 10 13" << "13-9=4 (left: 4 4 10)\n10-4=6 (left: 4 6)\n13+11=24 (left: 24)"
        << "step 3: 13 is not among the remaining numbers 4 6" << 2;
    QTest::newRow("same number twice")
        << "1 2 3 4" << "4*4=16 (left: 1 2 3 16)"
        << "step 1: 4 is used twice but appears once among the remaining numbers 1 2 3 4" << 0;
    QTest::newRow("wrong left list")
        << "4 9 10 13" << "13-9=4 (left: 4 4 10)\n10-4=6 (left: 4 6)\n4*6=24 (left: 4 6)"
        << "step 3: left list 4 6 should be 24" << 2;
    QTest::newRow("missing left list")
        << "4 9 10 13" << "13-9=4\n"
        << "step 1: missing the (left: ...) list in '13-9=4'" << 0;
    QTest::newRow("not reaching 24")
        << "4 9 10 13" << "13-9=4 (left: 4 4 10)\n10-4=6 (left: 4 6)"
        << "step 2 leaves 2 numbers, not just the target" << 2;
    QTest::newRow("reaching another number")
        << "4 9 10 13" << "13-9=4 (left: 4 4 10)\n10-4=6 (left: 4 6)\n4+6=10 (left: 10)"
        << "step 3 leaves 10, not 24" << 3;
    QTest::newRow("answer reuses a number")
        << "1 4 4 13" << "Answer: (4-1)*(4+4)=24" << "Answer: uses 1 4 4 4, expected 1 4 4 13" << 0;
    QTest::newRow("answer replaces a number")
        << "1 4 4 13" << "Answer: (1+3)*(4+4)=24" << "Answer: uses 1 3 4 4, expected 1 4 4 13" << 0;
    QTest::newRow("answer misses a number")
        << "1 4 4 13" << "Answer: 13+4+4=21" << "Answer: uses 4 4 13, expected 1 4 4 13" << 0;
    QTest::newRow("answer value")
        << "2 4 4 13" << "Answer: 13+4+4+2=24" << "Answer: equals 23, not 24" << 0;
    QTest::newRow("answer claims another value")
        << "4 9 10 13" << "Answer: (13-9)*(10-4)=25" << "Answer: equals 24 but says 25" << 0;
    QTest::newRow("answer division by zero")
        << "4 4 9 10" << "Answer: 10/(4-4)*9=24" << "Answer: division by zero" << 0;
    QTest::newRow("steps right, answer wrong")
        << "4 9 10 13" << QString(kDocumentedExample).replace("(13-9)*(10-4)", "(13-9)*10-4")
        << "Answer: equals 36, not 24" << 3;
    QTest::newRow("step division by zero")
        << "0 1 2 3" << "3/0=0 (left: 0 1 2)" << "step 1: division by zero" << 0;
    QTest::newRow("digits split by a space")
        << "4 9 10 13" << "1 3-9=4 (left: 4 4 10)" << "step 1: cannot parse '1 3-9=4 (left: 4 4 10)'" << 0;
    QTest::newRow("bad left list")
        << "4 9 10 13" << "13-9=4 (left: 4 four 10)" << "step 1: cannot parse the left list '4 four 10'" << 0;
    QTest::newRow("garbage") << "4 9 10 13" << "I think the answer is 24!"
                             << "step 1: missing the (left: ...) list in 'I think the answer is 24!'" << 0;
    QTest::newRow("garbage with parenthesis")
        << "4 9 10 13" << "hmm (left: 4)" << "step 1: cannot parse 'hmm (left: 4)'" << 0;
    QTest::newRow("empty") << "4 9 10 13" << "" << "no steps and no Answer line" << 0;
    QTest::newRow("blank") << "4 9 10 13" << " \n\n \n" << "no steps and no Answer line" << 0;
    QTest::newRow("answer garbage")
        << "4 9 10 13" << "Answer: twenty-four" << "Answer: cannot parse 'twenty-four'" << 0;
    QTest::newRow("huge numbers")
        << "4 9 10 13" << "Answer: 99999999999*99999999999*99999999999=24" << "Answer: number too large" << 0;
  }
  void checkerRejectsWithReason() {
    QFETCH(QString, numbers);
    QFETCH(QString, completion);
    QFETCH(QString, reason);
    QFETCH(int, validSteps);
    const auto check = tb::checkGame24(numbersFrom(numbers), completion.toStdString());
    QVERIFY(!check.correct);
    QCOMPARE(QString::fromStdString(check.reason), reason);
    QCOMPARE(check.validSteps, validSteps);
  }

  void evaluatesExpressions_data() {
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("value");  // empty: nullopt
    QTest::addColumn<QString>("used");
    QTest::newRow("precedence") << "2+3*4" << "14" << "2 3 4";
    QTest::newRow("parentheses") << "(2+3)*4" << "20" << "2 3 4";
    QTest::newRow("left associative -") << "10-4-3" << "3" << "10 4 3";
    QTest::newRow("left associative /") << "8/4/2" << "1" << "8 4 2";
    QTest::newRow("exact fraction") << "8/(3-8/3)" << "24" << "8 3 8 3";
    QTest::newRow("fraction result") << "1/3+1/6" << "1/2" << "1 3 1 6";
    QTest::newRow("negative result") << "3-5" << "-2" << "3 5";
    QTest::newRow("spaces") << " ( 13 - 9 ) * ( 10 - 4 ) " << "24" << "13 9 10 4";
    QTest::newRow("nested") << "((((24))))" << "24" << "24";
    QTest::newRow("division by zero") << "4/(2-2)" << "" << "";
    QTest::newRow("unbalanced") << "(1+2" << "" << "";
    QTest::newRow("trailing operator") << "1+" << "" << "";
    QTest::newRow("unary minus") << "-1+25" << "" << "";
    QTest::newRow("trailing text") << "1+2 x" << "" << "";
    QTest::newRow("empty") << "" << "" << "";
    QTest::newRow("huge literal") << "123456789012345678901234567890" << "" << "";
  }
  void evaluatesExpressions() {
    QFETCH(QString, expression);
    QFETCH(QString, value);
    QFETCH(QString, used);
    std::vector<long long> literals;
    const auto result = tb::evaluateExpression(expression.toStdString(), &literals);
    if (value.isEmpty()) {
      QVERIFY(!result.has_value());
      return;
    }
    QVERIFY(result.has_value());
    QCOMPARE(QString::fromStdString(result->toString()), value);
    QStringList printed;
    for (long long v : literals) printed << QString::number(v);
    QCOMPARE(printed.join(' '), used);
    QVERIFY(tb::evaluateExpression(expression.toStdString(), nullptr).has_value());
  }

  void solverFindsTheDocumentedSolution() {
    const auto solutions = tb::solveGame24({4, 9, 10, 13});
    QVERIFY(!solutions.empty());
    QVERIFY(std::find(solutions.begin(), solutions.end(), std::string(kDocumentedExample)) != solutions.end());
    QCOMPARE(solutions, tb::solveGame24({13, 10, 9, 4}));  // deterministic, input order irrelevant
    QCOMPARE(std::set<std::string>(solutions.begin(), solutions.end()).size(), solutions.size());
    for (const auto& s : solutions) {
      const auto check = tb::checkGame24({4, 9, 10, 13}, s);
      QVERIFY2(check.correct, (s + "\n-> " + check.reason).c_str());
      QCOMPARE(check.validSteps, 3);
    }
    // 3 3 8 8 needs fractions: 8/(3-8/3); 1 5 5 5 needs the smaller operand first: 5*(5-1/5).
    const auto fractional = tb::solveGame24({3, 3, 8, 8});
    QCOMPARE(fractional.size(), size_t(1));
    QCOMPARE(fractional.front(),
             std::string("8/3=8/3 (left: 8/3 3 8)\n3-8/3=1/3 (left: 1/3 8)\n8/1/3=24 (left: 24)\n"
                         "Answer: 8/(3-8/3)=24"));
    const auto smallFirst = tb::solveGame24({1, 5, 5, 5});
    QVERIFY(!smallFirst.empty());
    QCOMPARE(smallFirst.front().substr(0, smallFirst.front().find('\n')), std::string("1/5=1/5 (left: 1/5 5 5)"));
    for (const auto& s : smallFirst) QVERIFY2(tb::checkGame24({1, 5, 5, 5}, s).correct, s.c_str());
  }

  void solverReturnsNothingWhenUnsolvable() {
    QVERIFY(tb::solveGame24({1, 1, 1, 1}).empty());
    QVERIFY(tb::solveGame24({1, 1, 1, 2}).empty());
    QVERIFY(tb::solveGame24({}).empty());
    QVERIFY(!tb::solveGame24({24}).empty());
  }

  void solverSolvesEveryBundledPuzzle() {
    const auto puzzles = tb::loadGame24Csv(tb::bundledGame24Csv());
    QCOMPARE(puzzles.size(), size_t(1362));
    QElapsedTimer timer;
    timer.start();
    std::vector<std::vector<std::string>> all;
    all.reserve(puzzles.size());
    size_t total = 0;
    for (const auto& p : puzzles) {
      all.push_back(tb::solveGame24({p.numbers.begin(), p.numbers.end()}));
      total += all.back().size();
    }
    const qint64 solveMs = timer.elapsed();
    for (size_t i = 0; i < puzzles.size(); ++i) {
      const std::vector<int> numbers(puzzles[i].numbers.begin(), puzzles[i].numbers.end());
      QVERIFY2(!all[i].empty(), qPrintable(QString("no solution for rank %1").arg(puzzles[i].rank)));
      for (const auto& s : all[i]) {
        const auto check = tb::checkGame24(numbers, s);
        if (!check.correct) QFAIL(qPrintable(QString::fromStdString(s + "\n-> " + check.reason)));
      }
    }
    qInfo("solved %zu puzzles (%zu solutions) in %lld ms; checked all in %lld ms total", puzzles.size(),
          total, static_cast<long long>(solveMs), static_cast<long long>(timer.elapsed()));
  }

  void loaderReadsTheBundledCsv() {
    const auto puzzles = tb::loadGame24Csv(tb::bundledGame24Csv());
    QCOMPARE(puzzles.front().rank, 1);
    QCOMPARE(puzzles.front().numbers, (std::array<int, 4>{1, 1, 4, 6}));
    QCOMPARE(puzzles.front().solvedRate, 0.992);
    QCOMPARE(puzzles.back().rank, 1362);
    for (const auto& p : puzzles) QVERIFY(std::is_sorted(p.numbers.begin(), p.numbers.end()));
    QCOMPARE(QString::fromStdString(tb::game24Prompt({4, 9, 10, 13})), QString("4 9 10 13\n"));
  }

  void loaderNamesFileLineAndField_data() {
    QTest::addColumn<QString>("row");
    QTest::addColumn<QString>("message");  // after "<path>:3: "
    QTest::newRow("puzzle") << "17,1 2 x,1,99.00%,1,1" << "field Puzzles: expected 4 integers in 1..13, got '1 2 x'";
    QTest::newRow("three numbers") << "17,1 2 3,1,99.00%,1,1" << "field Puzzles: expected 4 integers in 1..13, got '1 2 3'";
    QTest::newRow("out of range") << "17,1 2 3 14,1,99.00%,1,1" << "field Puzzles: expected 4 integers in 1..13, got '1 2 3 14'";
    QTest::newRow("rank") << "x,1 2 3 4,1,99.00%,1,1" << "field Rank: expected a positive integer, got 'x'";
    QTest::newRow("duplicate rank") << "1,1 2 3 4,1,99.00%,1,1" << "field Rank: duplicate rank 1 (also on line 2)";
    QTest::newRow("rate") << "17,1 2 3 4,1,high,1,1" << "field Solved rate: expected a percentage like 99.20%, got 'high'";
    QTest::newRow("fields") << "17,1 2 3 4" << "expected 6 fields, got 2";
  }
  void loaderNamesFileLineAndField() {
    QFETCH(QString, row);
    QFETCH(QString, message);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath("24.csv").toStdString();
    {
      std::ofstream out(path);
      out << "Rank,Puzzles,AMT (s),Solved rate,1-sigma Mean (s),1-sigma STD (s)\n"
          << "1,1 1 4 6,4.4,99.20%,4.67,1.48\n"
          << row.toStdString();
    }
    QCOMPARE(inputErrorOf([&] { tb::loadGame24Csv(path); }), QString::fromStdString(path + ":3: ") + message);
  }

  void loaderReportsMissingFile() {
    QCOMPARE(inputErrorOf([] { tb::loadGame24Csv("/nonexistent/24.csv"); }),
             QString("cannot open Game of 24 dataset '/nonexistent/24.csv'"));
  }

  void taskSplitIsDeterministicDisjointAndSeeded() {
    const tb::Game24Task a("", 100, 0, 1362);
    const tb::Game24Task b("", 100, 0, 1362);
    const tb::Game24Task other("", 100, 1, 1362);
    const auto& test = a.problems(tb::Split::Test);
    const auto& train = a.problems(tb::Split::Train);
    QCOMPARE(test.size(), size_t(100));
    QCOMPARE(train.size(), size_t(1262));
    QCOMPARE(idsOf(test), idsOf(b.problems(tb::Split::Test)));
    QCOMPARE(idsOf(train), idsOf(b.problems(tb::Split::Train)));
    QVERIFY(idsOf(test) != idsOf(other.problems(tb::Split::Test)));

    std::set<std::string> all = idsOf(test);
    for (const auto& id : idsOf(train)) QVERIFY2(all.insert(id).second, id.c_str());  // disjoint
    std::set<std::string> expected;
    for (int rank = 1; rank <= 1362; ++rank) expected.insert("game24/" + std::to_string(rank));
    QCOMPARE(all, expected);

    // max_rank keeps only the easiest puzzles.
    const tb::Game24Task easy("", 3, 7, 10);
    QCOMPARE(easy.problems(tb::Split::Test).size(), size_t(3));
    QCOMPARE(easy.problems(tb::Split::Train).size(), size_t(7));
    for (const auto* split : {&easy.problems(tb::Split::Test), &easy.problems(tb::Split::Train)})
      for (const auto& p : *split) QVERIFY(p.difficulty <= 10);
  }

  void taskSplitIsPinned() {
    // mt19937_64 and Fisher-Yates with rng() % n are fully specified by the standard and the code,
    // so these sets must be the same with every compiler and standard library.
    QCOMPARE(idsOf(tb::Game24Task("", 3, 7, 10).problems(tb::Split::Test)),
             (std::set<std::string>{"game24/1", "game24/8", "game24/5"}));
    const auto test = idsOf(tb::Game24Task("", 100, 0, 1362).problems(tb::Split::Test));
    for (const char* id : {"game24/1005", "game24/468", "game24/262", "game24/1079", "game24/827"})
      QVERIFY2(test.count(id), id);
  }

  void taskRejectsBadParameters() {
    QVERIFY(inputErrorOf([] { tb::Game24Task("", 1362, 0, 1362); }).contains("task.test_size"));
    QVERIFY(inputErrorOf([] { tb::Game24Task("", 10, 0, 10); }).contains("task.test_size"));
    QVERIFY(inputErrorOf([] { tb::Game24Task("", 0, 0, 1362); }).contains("task.test_size"));
    QVERIFY(inputErrorOf([] { tb::Game24Task("/nonexistent.csv", 10, 0, 1362); }).contains("/nonexistent.csv"));
  }

  void taskVerifiesAndDemonstrates() {
    const tb::Game24Task task("", 100, 0, 1362);
    QCOMPARE(QString::fromStdString(task.name()), QString("game24"));
    std::mt19937_64 rng(1);
    const std::string alphabet = task.alphabet();
    for (const auto* split : {&task.problems(tb::Split::Test), &task.problems(tb::Split::Train)}) {
      for (const auto& problem : *split) {
        const auto& puzzle = task.puzzle(problem);
        QCOMPARE(problem.id, "game24/" + std::to_string(puzzle.rank));
        QCOMPARE(problem.prompt, tb::game24Prompt(puzzle.numbers));
        QCOMPARE(problem.difficulty, double(puzzle.rank));
        QVERIFY2(problem.reference.rfind("Answer: ", 0) == 0, problem.reference.c_str());
        QVERIFY(task.verify(problem, problem.reference).correct);
      }
    }
    const auto& problem = task.problems(tb::Split::Test).front();
    std::set<std::string> demos;
    for (int i = 0; i < 20; ++i) {
      const auto demo = task.demonstration(problem, rng);
      QVERIFY(demo.has_value());
      const auto verdict = task.verify(problem, *demo);
      QVERIFY2(verdict.correct, verdict.reason.c_str());
      QCOMPARE(verdict.reward, 1.0);
      QCOMPARE(QString::fromStdString(verdict.reason), QString("correct"));
      for (char c : *demo + problem.prompt)
        QVERIFY2(alphabet.find(c) != std::string::npos, std::string(1, c).c_str());
      demos.insert(*demo);
    }
    QVERIFY(demos.size() > 1);  // the rng picks among solutions
    const auto wrong = task.verify(problem, "Answer: 1+1=24");
    QVERIFY(!wrong.correct);
    QCOMPARE(wrong.reward, 0.0);
    QVERIFY(!wrong.reason.empty());
    QVERIFY_THROWS_EXCEPTION(tb::InternalError, task.verify(tb::Problem{"other/1", "", "", 0}, ""));
  }

  void registryListsGame24() {
    const auto names = tb::TaskRegistry::instance().names();
    QVERIFY(std::find(names.begin(), names.end(), "game24") != names.end());
    const tb::TaskInfo& info = tb::TaskRegistry::instance().at("game24", "task");
    QCOMPARE(QString::fromStdString(info.title), QString("Game of 24"));
    QVERIFY(info.stepLevel);
    QVERIFY(info.hasSolver);
    QVERIFY(info.create);
    QStringList keys;
    for (const auto& p : info.params) {
      QVERIFY(p.key.rfind("task.", 0) == 0);
      keys << QString::fromStdString(p.key);
    }
    QCOMPARE(keys, (QStringList{"task.test_size", "task.split_seed", "task.max_rank", "task.data_file",
                                "task.answer_line", "task.source", "task.target", "task.min_number",
                                "task.max_number", "task.generated", "task.reward"}));
    QCOMPARE(info.levels.size(), size_t(5));
    QVERIFY(!info.source.empty());
    QCOMPARE(info.params[0].defaultValue.get<long long>(), 100LL);
    QCOMPARE(info.params[2].defaultValue.get<long long>(), 1362LL);
  }

  void demonstrationsWithAndWithoutAnswerLine() {
    tb::Game24Task stepsOnly("", 100, 0, 1362, /*answerLine=*/false);
    tb::Game24Task withAnswer("", 100, 0, 1362, /*answerLine=*/true);
    std::mt19937_64 rng(7);
    for (const auto& problem : stepsOnly.problems(tb::Split::Train)) {
      auto demo = stepsOnly.demonstration(problem, rng);
      QVERIFY(demo.has_value());
      QVERIFY2(demo->find("Answer:") == std::string::npos, demo->c_str());
      QVERIFY2(stepsOnly.verify(problem, *demo).correct, demo->c_str());
      auto full = withAnswer.demonstration(problem, rng);
      QVERIFY(full.has_value() && full->find("\nAnswer: ") != std::string::npos);
      QVERIFY2(withAnswer.verify(problem, *full).correct, full->c_str());
    }
  }

  void factoryReadsTheConfig() {
    auto config = tb::RunConfig::defaults("game24", "game24-test-algo");
    config.set("task.test_size", 50);
    config.set("task.split_seed", 3);
    config.set("task.max_rank", 700);
    const auto task = tb::TaskRegistry::instance().at("game24", "task").create(config);
    QCOMPARE(QString::fromStdString(task->name()), QString("game24"));
    const tb::Game24Task direct("", 50, 3, 700);
    QCOMPARE(idsOf(task->problems(tb::Split::Test)), idsOf(direct.problems(tb::Split::Test)));
    QCOMPARE(task->problems(tb::Split::Train).size(), size_t(650));
    // The schema enforces the documented ranges before the factory runs.
    QVERIFY(inputErrorOf([&] { config.set("task.test_size", 0); }).contains("task.test_size"));
    QVERIFY(inputErrorOf([&] { config.set("task.max_rank", 1363); }).contains("task.max_rank"));
  }

  // ---- Canonical solutions and distinct solutions (FoR) ----------------------------------------

  void canonicalFormIgnoresCommutedOperandsAndStepOrder() {
    // Swapped operands of * and +.
    QCOMPARE(tb::canonicalSolution({4, 6}, "4*6=24 (left: 24)"), std::string("4*6=24"));
    QCOMPARE(tb::canonicalSolution({4, 6}, "6*4=24 (left: 24)"), std::string("4*6=24"));
    QCOMPARE(tb::canonicalSolution({4, 20}, "20+4=24 (left: 24)"), tb::canonicalSolution({4, 20}, "4+20=24 (left: 24)"));
    // - and / are not commutative: 6-4 stays 6-4.
    QCOMPARE(tb::canonicalSolution({4, 6}, "6-4=2 (left: 2)"), std::string("6-4=2"));
    // Two independent first steps in either order, with the last step's operands swapped too.
    const std::string first = "13-9=4 (left: 4 4 10)\n10-4=6 (left: 4 6)\n4*6=24 (left: 24)";
    const std::string swapped = "10-4=6 (left: 6 9 13)\n13-9=4 (left: 4 6)\n6*4=24 (left: 24)";
    const std::string golden = "10-4=6; 13-9=4; 4*6=24";
    QCOMPARE(tb::canonicalSolution({4, 9, 10, 13}, first), golden);
    QCOMPARE(tb::canonicalSolution({4, 9, 10, 13}, swapped), golden);
    QCOMPARE(tb::canonicalSolution({4, 9, 10, 13}, kDocumentedExample), golden);  // the Answer line is not read
    // An Answer-only completion is read as the steps of its expression.
    QCOMPARE(tb::canonicalSolution({4, 9, 10, 13}, "Answer: (10-4)*(13-9)=24"), golden);
    // Genuinely different solutions differ.
    QCOMPARE(tb::canonicalSolution({4, 9, 10, 13}, "9+10=19 (left: 4 13 19)\n19-13=6 (left: 4 6)\n4*6=24 (left: 24)"),
             std::string("19-13=6; 4*6=24; 9+10=19"));
    QVERIFY(tb::canonicalSolution({1, 1, 4, 6}, "1*1=1 (left: 1 4 6)\n1*4=4 (left: 4 6)\n4*6=24 (left: 24)") !=
            tb::canonicalSolution({1, 1, 4, 6}, "1*1=1 (left: 1 4 6)\n4/1=4 (left: 4 6)\n4*6=24 (left: 24)"));
    // Fractions are bracketed so that two readings of "8/1/3" cannot print alike.
    QCOMPARE(tb::canonicalSolution({3, 3, 8, 8}, tb::solveGame24({3, 3, 8, 8}).front()),
             std::string("3-(8/3)=(1/3); 8/(1/3)=24; 8/3=(8/3)"));
  }

  void canonicalFormOfInvalidCompletionsIsEmpty() {
    QCOMPARE(tb::canonicalSolution({4, 9, 10, 13}, ""), std::string());
    QCOMPARE(tb::canonicalSolution({4, 9, 10, 13}, "garbage"), std::string());
    QCOMPARE(tb::canonicalSolution({4, 9, 10, 13}, "13-9=5 (left: 4 5 10)"), std::string());
    QCOMPARE(tb::canonicalSolution({4, 9, 10, 13}, "Answer: (13-9)*(10-4)*1=24"), std::string());
    QCOMPARE(tb::canonicalSolution({4, 9, 10, 13}, "Answer: 10/(13-13)"), std::string());
  }

  void distinctCorrectSolutionsCountsCanonicalForms() {
    const std::vector<int> numbers{4, 9, 10, 13};
    const std::vector<std::string> completions{
        kDocumentedExample,
        "10-4=6 (left: 6 9 13)\n13-9=4 (left: 4 6)\n6*4=24 (left: 24)",    // same, reordered
        "Answer: (10-4)*(13-9)=24",                                          // same, as an expression
        "9+10=19 (left: 4 13 19)\n19-13=6 (left: 4 6)\n4*6=24 (left: 24)",  // different
        "13-10=3 (left: 3 4 9)\n9-3=6 (left: 4 6)\n6*4=24 (left: 24)",      // different
        "13-9=4 (left: 4 4 10)\n10-4=6 (left: 4 6)",                         // unfinished
        "13-9=4 (left: 4 4 10)\n10-4=6 (left: 4 6)\n4+6=10 (left: 10)",     // wrong value
        "",
        "nonsense"};
    QCOMPARE(tb::distinctCorrectSolutions(numbers, completions), 3);
    QCOMPARE(tb::distinctCorrectSolutions(numbers, {}), 0);
    // The solver's 5 solutions of 4 9 10 13 are 3 distinct ones.
    QCOMPARE(tb::solveGame24(numbers).size(), size_t(5));
    QCOMPARE(tb::distinctCorrectSolutions(numbers, tb::solveGame24(numbers)), 3);
    // Another target counts against that target.
    QCOMPARE(tb::distinctCorrectSolutions({4, 6}, {"4+6=10 (left: 10)", "6+4=10 (left: 10)"}, 10), 1);
    QCOMPARE(tb::distinctCorrectSolutions({4, 6}, {"4+6=10 (left: 10)"}), 0);
  }

  // ---- General solver ------------------------------------------------------------------------

  void solveArithmeticOptions() {
    // More numbers, another target; every solution checks.
    const auto solutions = tb::solveArithmetic({17, 39, 46, 59}, 69);
    QVERIFY(!solutions.empty());
    for (const auto& s : solutions) QVERIFY2(tb::checkArithmeticSteps({17, 39, 46, 59}, s, 69).correct, s.c_str());
    // A limit stops early; without an rng the first solutions are those of the full list.
    const auto two = tb::solveArithmetic({17, 39, 46, 59}, 69, {.limit = 2});
    QCOMPARE(two.size(), size_t(2));
    QCOMPARE(two[0], solutions[0]);
    QCOMPARE(two[1], solutions[1]);
    // Integers only: no fractional intermediate (3 3 8 8 has only 8/(3-8/3)).
    QVERIFY(tb::solveArithmetic({3, 3, 8, 8}, 24, {.integersOnly = true}).empty());
    QVERIFY(tb::isSolvable({3, 3, 8, 8}, 24));
    QVERIFY(!tb::isSolvable({3, 3, 8, 8}, 24, /*integersOnly=*/true));
    QVERIFY(!tb::isSolvable({1, 1, 1, 1}, 24));
    QVERIFY(!tb::isSolvable({}, 0));
    // An rng shuffles the search: same seed, same answer.
    std::mt19937_64 a(5), b(5);
    QCOMPARE(tb::solveArithmetic({1, 2, 3, 5, 7, 11}, 100, {.limit = 1, .rng = &a}),
             tb::solveArithmetic({1, 2, 3, 5, 7, 11}, 100, {.limit = 1, .rng = &b}));
    // Six numbers stay fast, solvable or not.
    QElapsedTimer timer;
    timer.start();
    QVERIFY(!tb::solveArithmetic({1, 2, 3, 5, 7, 11}, 100, {.limit = 1}).empty());
    QVERIFY(!tb::isSolvable({1, 2, 3, 5, 7, 11}, 99991));
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
    QVERIFY_THROWS_EXCEPTION(tb::InternalError, tb::solveArithmetic({-1, 2}, 1));
    QCOMPARE(tb::withoutAnswerLine(kDocumentedExample),
             std::string("13-9=4 (left: 4 4 10)\n10-4=6 (left: 4 6)\n4*6=24 (left: 24)"));
    QCOMPARE(tb::arithmeticPrompt({3, 7, 25, 50}, 107), std::string("3 7 25 50 -> 107\n"));
  }

  void checkerOnOtherTargetsAndCounts() {
    const std::string steps = "50+25=75 (left: 3 7 75)\n7*3=21 (left: 21 75)\n75+21=96 (left: 96)";
    QVERIFY(tb::checkArithmeticSteps({3, 7, 25, 50}, steps, 96).correct);
    QCOMPARE(tb::checkArithmeticSteps({3, 7, 25, 50}, steps, 107).reason,
             std::string("step 3 leaves 96, not 107"));
    QCOMPARE(tb::checkArithmeticSteps({2, 2}, "2+2=4 (left: 4)", 4).reason, std::string("correct"));
    QCOMPARE(tb::checkArithmeticSteps({5}, "Answer: 5", 5).reason, std::string("correct"));
  }

  // ---- Step-level interface ------------------------------------------------------------------

  void legalStepsFromTheFirstPuzzle() {
    const tb::Game24Task task("", 100, 0, 1362);
    const tb::Problem problem = task.problemFromData("1 1 4 6");
    QCOMPARE(problem.id, std::string("game24/1"));
    const auto legal = task.legalSteps(problem, {});
    // Pairs {1,1}: + - * / (1/1 once); {1,4}, {1,6}, {4,6}: + - * and / both ways = 4 + 3 * 5.
    QCOMPARE(legal.size(), size_t(19));
    QCOMPARE(std::set<std::string>(legal.begin(), legal.end()).size(), legal.size());
    for (const char* step : {"1+1=2 (left: 2 4 6)", "1-1=0 (left: 0 4 6)", "1*1=1 (left: 1 4 6)", "1/1=1 (left: 1 4 6)",
                             "1/4=1/4 (left: 1/4 1 6)", "6-1=5 (left: 1 4 5)", "4*6=24 (left: 1 1 24)",
                             "6/4=3/2 (left: 1 1 3/2)", "4/6=2/3 (left: 2/3 1 1)"})
      QVERIFY2(std::find(legal.begin(), legal.end(), step) != legal.end(), step);
    QVERIFY(std::find(legal.begin(), legal.end(), "1-4=-3 (left: -3 1 6)") == legal.end());
    QCOMPARE(task.describeState(problem, {}), std::string("left: 1 1 4 6"));
    QVERIFY(!task.isTerminal(problem, {}));

    // Every legal step is accepted by the checker as a first step.
    for (const auto& step : legal) {
      const auto state = tb::replayArithmeticSteps({1, 1, 4, 6}, {step});
      QVERIFY2(state.valid, (step + ": " + state.reason).c_str());
    }
    // After "4*6=24": three numbers; after two more steps one number, terminal.
    const std::vector<std::string> path{"4*6=24 (left: 1 1 24)", "1*1=1 (left: 1 24)", "1*24=24 (left: 24)"};
    QCOMPARE(task.describeState(problem, {path[0]}), std::string("left: 1 1 24"));
    QCOMPARE(task.legalSteps(problem, {path[0]}).size(), size_t(4 + 5));  // {1,1}: 4, {1,24}: 5
    QVERIFY(!task.isTerminal(problem, {path[0], path[1]}));
    QVERIFY(task.isTerminal(problem, path));
    QVERIFY(task.legalSteps(problem, path).empty());
    QVERIFY(task.verify(problem, path[0] + "\n" + path[1] + "\n" + path[2]).correct);
    // An invalid step ends the episode with no legal step and says why.
    const std::vector<std::string> bad{"4*6=25 (left: 1 1 25)"};
    QVERIFY(task.legalSteps(problem, bad).empty());
    QVERIFY(task.isTerminal(problem, bad));
    QCOMPARE(task.describeState(problem, bad), std::string("invalid: step 1: 4*6 is 24, not 25"));
    QVERIFY(task.isTerminal(problem, {"Answer: 4*6*1*1=24"}));
  }

  void demonstrationsWalkThroughLegalSteps() {
    const tb::Game24Task task("", 100, 0, 1362);
    std::mt19937_64 rng(3);
    int walked = 0;
    for (const auto* split : {&task.problems(tb::Split::Test), &task.problems(tb::Split::Train)}) {
      for (size_t i = 0; i < split->size(); i += 7) {
        const tb::Problem& problem = (*split)[i];
        const auto demo = task.demonstration(problem, rng);
        QVERIFY(demo.has_value());
        std::vector<std::string> prefix;
        for (const auto& step : tb::splitSteps(*demo)) {
          QVERIFY(!task.isTerminal(problem, prefix));
          const auto legal = task.legalSteps(problem, prefix);
          QVERIFY2(std::find(legal.begin(), legal.end(), step) != legal.end(), (problem.id + ": " + step).c_str());
          prefix.push_back(step);
        }
        QCOMPARE(prefix.size(), size_t(3));
        QVERIFY(task.isTerminal(problem, prefix));
        QCOMPARE(task.describeState(problem, prefix), std::string("left: 24"));
        ++walked;
      }
    }
    QVERIFY(walked > 150);
  }

  // ---- Data form, verification from data, rewards ----------------------------------------------

  void problemFromDataAcceptsAnyFourNumbers() {
    const tb::Game24Task task("", 10, 0, 100);  // only ranks 1..100
    // A puzzle of the task comes back as itself.
    for (const auto* split : {&task.problems(tb::Split::Test), &task.problems(tb::Split::Train)})
      for (const auto& p : *split) {
        const tb::Problem again = task.problemFromData(p.data);
        QCOMPARE(again.id, p.id);
        QCOMPARE(again.prompt, p.prompt);
        QCOMPARE(again.level, p.level);
      }
    // The same numbers in another form or order.
    QCOMPARE(task.problemFromData(nlohmann::json::array({6, 4, 1, 1})).id, std::string("game24/1"));
    QCOMPARE(task.problemFromData(nlohmann::json{{"numbers", {6, 1, 4, 1}}, {"target", 24}}).id, std::string("game24/1"));
    // In 24.csv but beyond task.max_rank: its rank is kept.
    const tb::Problem hard = task.problemFromData("4 9 10 13");
    QVERIFY(hard.id.rfind("game24/", 0) == 0 && hard.id != "game24/t24/4-9-10-13");
    QVERIFY(hard.difficulty > 100);
    QVERIFY(task.verify(hard, kDocumentedExample).correct);
    std::mt19937_64 rng(1);
    QVERIFY(task.verify(hard, *task.demonstration(hard, rng)).correct);
    // Not in 24.csv at all (unsolvable): still checkable, from its data alone.
    const tb::Problem none = task.problemFromData("1 1 1 1");
    QCOMPARE(none.id, std::string("game24/t24/1-1-1-1"));
    QCOMPARE(none.prompt, std::string("1 1 1 1\n"));
    QCOMPARE(none.level, 4);
    QVERIFY(!task.demonstration(none, rng).has_value());
    const auto verdict = task.verify(none, "1+1=2 (left: 1 1 2)\n1+1=2 (left: 2 2)\n2+2=4 (left: 4)");
    QVERIFY(!verdict.correct);
    QCOMPARE(verdict.reason, std::string("step 3 leaves 4, not 24"));
    // Another target: prompt and data name it.
    const tb::Problem ten = task.problemFromData(nlohmann::json{{"numbers", {1, 2, 3, 4}}, {"target", 10}});
    QCOMPARE(ten.prompt, std::string("1 2 3 4 -> 10\n"));
    QCOMPARE(ten.data, (nlohmann::json{{"numbers", {1, 2, 3, 4}}, {"target", 10}}));
    QCOMPARE(task.problemFromData(ten.data).prompt, ten.prompt);
    QVERIFY(task.verify(ten, "1+2=3 (left: 3 3 4)\n3+3=6 (left: 4 6)\n4+6=10 (left: 10)").correct);
    // A Problem built by hand from its data alone verifies the same way.
    tb::Problem bare;
    bare.data = "4 9 10 13";
    QVERIFY(task.verify(bare, kDocumentedExample).correct);
    QCOMPARE(task.legalSteps(bare, {}).size(), tb::legalArithmeticSteps({4, 9, 10, 13}).size());
  }

  void problemFromDataRejectsBadData_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("message");
    QTest::newRow("three numbers") << "\"1 2 3\"" << "expected four integers from 0 to 999";
    QTest::newRow("five numbers") << "[1,2,3,4,5]" << "expected four integers from 0 to 999";
    QTest::newRow("word") << "\"1 2 x 4\"" << "'x' is not an integer";
    QTest::newRow("decimal") << "\"1 2 3.5 4\"" << "'3.5' is not an integer";
    QTest::newRow("negative") << "[1,2,3,-4]" << "expected four integers from 0 to 999";
    QTest::newRow("too large") << "[1,2,3,1000]" << "expected four integers from 0 to 999";
    QTest::newRow("strings in array") << "[\"1\",2,3,4]" << "expected integers";
    QTest::newRow("number") << "24" << "expected four numbers";
    QTest::newRow("null") << "null" << "expected four numbers";
    QTest::newRow("unknown key") << "{\"numbers\":[1,2,3,4],\"goal\":5}" << "unexpected key 'goal'";
    QTest::newRow("no numbers") << "{\"target\":5}" << "missing \"numbers\" array";
    QTest::newRow("bad target") << "{\"numbers\":[1,2,3,4],\"target\":\"5\"}" << "\"target\" must be an integer";
    QTest::newRow("target range") << "{\"numbers\":[1,2,3,4],\"target\":100000}" << "target must be from 0 to 99999";
  }
  void problemFromDataRejectsBadData() {
    QFETCH(QString, json);
    QFETCH(QString, message);
    static const tb::Game24Task task("", 10, 0, 100);
    const QString error = inputErrorOf([&] { task.problemFromData(nlohmann::json::parse(json.toStdString())); });
    QVERIFY2(error.startsWith("game24 problem "), qPrintable(error));
    QVERIFY2(error.contains(message), qPrintable(error));
  }

  void badCompletionsAreIncorrectWithReason() {
    const tb::Game24Task task("", 10, 0, 100);
    const tb::Problem problem = task.problemFromData("1 1 4 6");
    for (const std::string& bad :
         {std::string(), std::string("\n\n"), std::string("xyz"), std::string("(((\n)))"), std::string(5000, '9'),
          std::string("6/0=0 (left: 0 1 1 4)"), std::string("Answer: 6/(1-1)*4=24"), std::string("7*4=28 (left: 1 1 6 28)"),
          std::string("4*6=24 (left: 1 1 24)\n1-1=0 (left: 0 24)\n24/0=0 (left: 0)"), std::string("=\n(left:)\n+ (left: 1)")}) {
      const auto verdict = task.verify(problem, bad);
      QVERIFY2(!verdict.correct, bad.c_str());
      QVERIFY2(!verdict.reason.empty(), bad.c_str());
      QCOMPARE(verdict.reward, 0.0);
      task.legalSteps(problem, tb::splitSteps(bad));
      task.describeState(problem, tb::splitSteps(bad));
    }
    QCOMPARE(task.verify(problem, "6/0=0 (left: 0 1 1 4)").reason,
             std::string("step 1: 0 is not among the remaining numbers 1 1 4 6"));
    QCOMPARE(task.verify(problem, "Answer: 6/(1-1)*4=24").reason, std::string("Answer: division by zero"));
    QCOMPARE(task.verify(problem, "7*4=28 (left: 1 1 6 28)").reason,
             std::string("step 1: 7 is not among the remaining numbers 1 1 4 6"));
    QCOMPARE(task.verify(problem, "4*6=24 (left: 1 1 24)\n1-1=0 (left: 0 24)\n24/0=0 (left: 0)").reason,
             std::string("step 3: division by zero"));
  }

  void forRewards() {
    tb::Game24Options options;
    options.reward = "for";
    options.testSize = 10;
    options.maxRank = 100;
    const tb::Game24Task task(options);
    const tb::Problem problem = task.problemFromData("1 1 4 6");
    QCOMPARE(task.verify(problem, "Answer: 4*6*1*1=24").reward, 100.0);
    QCOMPARE(task.verify(problem, "Answer: 4*6*1+1=25").reward, 0.001);
    QCOMPARE(task.verify(problem, "").reward, 0.001);
    options.reward = "maybe";
    QVERIFY(inputErrorOf([&] { tb::Game24Task bad(options); }).contains("task.reward"));
  }

  // ---- Generated puzzles -----------------------------------------------------------------------

  void generatorForAnotherTargetAndRange() {
    tb::Game24Options options;
    options.source = "generated";
    options.target = 10;
    options.minNumber = 1;
    options.maxNumber = 9;
    options.generated = 120;
    options.testSize = 20;
    options.splitSeed = 4;
    const tb::Game24Task task(options);
    const tb::Game24Task again(options);
    options.splitSeed = 5;
    const tb::Game24Task other(options);
    QCOMPARE(task.problems(tb::Split::Test).size(), size_t(20));
    QCOMPARE(task.problems(tb::Split::Train).size(), size_t(100));
    QCOMPARE(idsOf(task.problems(tb::Split::Test)), idsOf(again.problems(tb::Split::Test)));
    QCOMPARE(idsOf(task.problems(tb::Split::Train)), idsOf(again.problems(tb::Split::Train)));
    QVERIFY(idsOf(task.problems(tb::Split::Test)) != idsOf(other.problems(tb::Split::Test)));
    const std::string alphabet = task.alphabet();
    QVERIFY(alphabet.find('>') != std::string::npos);
    std::mt19937_64 rng(2);
    std::set<std::string> ids;
    std::set<int> levels;
    for (const auto* split : {&task.problems(tb::Split::Test), &task.problems(tb::Split::Train)}) {
      for (const auto& p : *split) {
        QVERIFY2(ids.insert(p.id).second, p.id.c_str());
        const auto instance = tb::Game24Task::instanceOf(p);
        QCOMPARE(instance.target, 10);
        QCOMPARE(instance.numbers.size(), size_t(4));
        for (int n : instance.numbers) QVERIFY(n >= 1 && n <= 9);
        QVERIFY(std::is_sorted(instance.numbers.begin(), instance.numbers.end()));
        QCOMPARE(p.id, "game24/t10/" + std::to_string(instance.numbers[0]) + "-" + std::to_string(instance.numbers[1]) +
                           "-" + std::to_string(instance.numbers[2]) + "-" + std::to_string(instance.numbers[3]));
        QVERIFY2(p.prompt.size() > 6 && p.prompt.substr(p.prompt.size() - 7) == " -> 10\n", p.prompt.c_str());
        // Solvable: the demonstration and the reference both verify.
        const auto demo = task.demonstration(p, rng);
        QVERIFY2(demo.has_value(), p.id.c_str());
        QVERIFY2(task.verify(p, *demo).correct, (p.id + "\n" + *demo).c_str());
        QVERIFY2(task.verify(p, p.reference).correct, p.reference.c_str());
        // Level by distinct solutions.
        const int distinct = tb::distinctCorrectSolutions(instance.numbers, tb::solveArithmetic(instance.numbers, 10), 10);
        QCOMPARE(p.level, tb::game24LevelOfSolutionCount(distinct));
        QCOMPARE(p.difficulty, 100.0 / distinct);
        levels.insert(p.level);
        // The data form round-trips.
        QCOMPARE(task.problemFromData(p.data).id, p.id);
        QCOMPARE(task.problemFromData(p.data).prompt, p.prompt);
        for (char c : p.prompt + *demo) QVERIFY2(alphabet.find(c) != std::string::npos, std::string(1, c).c_str());
      }
    }
    QVERIFY(levels.size() >= 3);
    QCOMPARE(tb::game24LevelOfSolutionCount(1), 4);
    QCOMPARE(tb::game24LevelOfSolutionCount(2), 3);
    QCOMPARE(tb::game24LevelOfSolutionCount(6), 2);
    QCOMPARE(tb::game24LevelOfSolutionCount(12), 1);
    QCOMPARE(tb::game24LevelOfSolutionCount(13), 0);
  }

  void generatorSamplesWideRanges() {
    tb::Game24Options options;
    options.source = "generated";
    options.target = 100;
    options.minNumber = 1;
    options.maxNumber = 100;  // 4.6 million multisets: drawn, not enumerated
    options.generated = 50;
    options.testSize = 5;
    const tb::Game24Task task(options);
    const tb::Game24Task again(options);
    QCOMPARE(idsOf(task.problems(tb::Split::Train)), idsOf(again.problems(tb::Split::Train)));
    std::mt19937_64 rng(0);
    for (const auto& p : task.problems(tb::Split::Train)) QVERIFY(task.verify(p, *task.demonstration(p, rng)).correct);
  }

  void generatorReportsImpossibleRequests() {
    tb::Game24Options options;
    options.source = "generated";
    options.target = 10;
    options.minNumber = 1;
    options.maxNumber = 9;
    options.generated = 1000;  // only 447 such puzzles have a solution
    QCOMPARE(inputErrorOf([&] { tb::Game24Task t(options); }),
             QString("task.generated = 1000 but only 447 puzzles with numbers 1..9 reach 10; lower "
                     "task.generated or widen the range"));
    options.generated = 100;
    options.minNumber = 10;
    QVERIFY(inputErrorOf([&] { tb::Game24Task t(options); }).contains("task.min_number"));
    options.minNumber = 1;
    options.testSize = 100;
    QVERIFY(inputErrorOf([&] { tb::Game24Task t(options); }).contains("task.test_size"));
    options.testSize = 10;
    options.source = "somewhere";
    QVERIFY(inputErrorOf([&] { tb::Game24Task t(options); }).contains("task.source"));
    options.source = "bundled";  // the bundled puzzles are for 24
    QVERIFY(inputErrorOf([&] { tb::Game24Task t(options); }).contains("task.target = 10"));
  }

  void factoryReadsGeneratedOptions() {
    auto config = tb::RunConfig::defaults("game24", "game24-test-algo");
    config.set("task.source", "generated");
    config.set("task.target", 12);
    config.set("task.min_number", 1);
    config.set("task.max_number", 6);
    config.set("task.generated", 40);
    config.set("task.test_size", 8);
    config.set("task.reward", "for");
    const auto task = tb::TaskRegistry::instance().at("game24", "task").create(config);
    QCOMPARE(task->problems(tb::Split::Test).size(), size_t(8));
    QCOMPARE(task->problems(tb::Split::Train).size(), size_t(32));
    const auto& p = task->problems(tb::Split::Train).front();
    QVERIFY(p.prompt.find(" -> 12\n") != std::string::npos);
    std::mt19937_64 rng(0);
    QCOMPARE(task->verify(p, *task->demonstration(p, rng)).reward, 100.0);
  }
};

QTEST_APPLESS_MAIN(TestGame24)
#include "test_game24.moc"

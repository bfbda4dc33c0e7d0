// TensorBoard event files (core/export/TensorBoardWriter.h) read back with an independent reader of
// the format: TFRecord framing (length, masked CRC-32C of the length, data, masked CRC-32C of the
// data) and the protobuf wire format of Event / Summary / Value, CRC-32C against its published check
// value, and a failed write that leaves no partial file.
#include <QtTest>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/Error.h"
#include "core/export/TensorBoardWriter.h"
#include "tests/TestSupport.h"

using namespace tb;

namespace {

struct Reader {
  const std::string& s;
  size_t at = 0;
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      const auto b = static_cast<unsigned char>(s.at(at++));
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
  }
  template <typename T>
  T fixed() {
    T v;
    std::memcpy(&v, s.data() + at, sizeof(T));
    at += sizeof(T);
    return v;
  }
  std::string bytes() {
    const auto n = varint();
    std::string out = s.substr(at, n);
    at += n;
    return out;
  }
  bool done() const { return at >= s.size(); }
};

struct DecodedEvent {
  double wallTime = 0;
  std::int64_t step = 0;
  std::string fileVersion, tag;
  float value = 0;
  bool wellFormed = true;  // only the fields TensorBoard's scalars need, with the right wire types
};

DecodedEvent decodeEvent(const std::string& data) {
  DecodedEvent e;
  Reader r{data};
  while (!r.done()) {
    const auto k = r.varint();
    switch (k >> 3) {
      case 1: e.wallTime = r.fixed<double>(); break;
      case 2: e.step = static_cast<std::int64_t>(r.varint()); break;
      case 3: e.fileVersion = r.bytes(); break;
      case 5: {
        const std::string summary = r.bytes();
        Reader rs{summary};
        if (rs.varint() != std::uint64_t(1 << 3 | 2)) e.wellFormed = false;  // Summary.value
        const std::string value = rs.bytes();
        Reader rv{value};
        while (!rv.done()) {
          const auto vk = rv.varint();
          if ((vk >> 3) == 1) e.tag = rv.bytes();
          else if ((vk >> 3) == 2 && (vk & 7) == 5) e.value = rv.fixed<float>();
          else e.wellFormed = false;
        }
        break;
      }
      default: e.wellFormed = false; return e;
    }
  }
  return e;
}

// Splits a file into records, checking both CRCs of each.
std::vector<std::string> records(const std::string& file) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < file.size()) {
    const std::string length = file.substr(at, 8);
    std::uint64_t n = 0;
    std::memcpy(&n, length.data(), 8);
    std::uint32_t lengthCrc = 0, dataCrc = 0;
    std::memcpy(&lengthCrc, file.data() + at + 8, 4);
    const std::string data = file.substr(at + 12, n);
    std::memcpy(&dataCrc, file.data() + at + 12 + n, 4);
    if (lengthCrc != maskedCrc32c(length) || dataCrc != maskedCrc32c(data)) return {};
    out.push_back(data);
    at += 12 + n + 4;
  }
  return out;
}

}  // namespace

class TestExport : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void crc32cCheckValue() {
    QCOMPARE(crc32c("123456789"), std::uint32_t(0xe3069283));  // the published CRC-32C check value
    QCOMPARE(crc32c(""), std::uint32_t(0));
    const std::uint32_t c = crc32c("abc");
    QCOMPARE(maskedCrc32c("abc"), ((c >> 15) | (c << 17)) + 0xa282ead8u);
  }

  void eventFileReadsBack() {
    const std::string folder = dir_.filePath("run-1").toStdString();
    const std::vector<ScalarEvent> events = {{"reward/mean", 1, 0.25, 1000.5},
                                             {"entropy", 0, 1.5, 1000.0},
                                             {"reward/mean", 0, 0.125, 1000.0},
                                             {"eval/pass@k", 300, 0.75, 2000.0}};
    const std::string path = writeTensorBoardEvents(folder, events, 999.0);
    QVERIFY(std::filesystem::path(path).filename().string().rfind("events.out.tfevents.999.", 0) == 0);
    std::ifstream in(path, std::ios::binary);
    const std::string file{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const auto recs = records(file);
    QCOMPARE(recs.size(), size_t(5));
    const DecodedEvent header = decodeEvent(recs[0]);
    QCOMPARE(header.fileVersion, std::string("brain.Event:2"));
    for (const auto& r : recs) QVERIFY(decodeEvent(r).wellFormed);
    QCOMPARE(header.wallTime, 999.0);
    // Sorted by step, then tag.
    const DecodedEvent first = decodeEvent(recs[1]), second = decodeEvent(recs[2]), last = decodeEvent(recs[4]);
    QCOMPARE(first.tag, std::string("entropy"));
    QCOMPARE(first.step, std::int64_t(0));
    QCOMPARE(first.value, 1.5f);
    QCOMPARE(second.tag, std::string("reward/mean"));
    QCOMPARE(second.value, 0.125f);
    QCOMPARE(decodeEvent(recs[3]).wallTime, 1000.5);
    QCOMPARE(last.tag, std::string("eval/pass@k"));
    QCOMPARE(last.step, std::int64_t(300));  // a multi-byte varint
    QCOMPARE(last.value, 0.75f);
    // A flipped byte is caught by the framing's CRC.
    std::string damaged = file;
    damaged[file.size() - 10] ^= 1;
    QVERIFY(records(damaged).empty());
  }

  void unwritableFolderLeavesNothing() {
    const std::string blocker = dir_.filePath("blocker").toStdString();
    std::ofstream(blocker) << "a file where a folder should be";
    const QString error = inputErrorOf([&] { writeTensorBoardEvents(blocker + "/sub", {{"x", 0, 1.0, 0}}, 0); });
    QVERIFY2(error.contains("blocker"), qPrintable(error));
    QVERIFY(!std::filesystem::exists(blocker + "/sub"));
  }
};

QTEST_APPLESS_MAIN(TestExport)
#include "test_export.moc"

#include "core/export/TensorBoardWriter.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/Error.h"
#include "core/store/RunStore.h"

namespace tb {

namespace {

const std::array<std::uint32_t, 256>& crcTable() {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;  // reflected Castagnoli
      t[i] = c;
    }
    return t;
  }();
  return table;
}

void varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void key(std::string& out, int field, int wireType) { varint(out, static_cast<std::uint64_t>(field) << 3 | wireType); }

void lengthDelimited(std::string& out, int field, const std::string& bytes) {
  key(out, field, 2);
  varint(out, bytes.size());
  out += bytes;
}

template <typename T>
void littleEndian(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // x86-64 and aarch64 are little endian, as the format is
  out.append(bytes, sizeof(T));
}

}  // namespace

std::uint32_t crc32c(const std::string& bytes) {
  std::uint32_t c = 0xffffffffu;
  for (unsigned char b : bytes) c = crcTable()[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

std::uint32_t maskedCrc32c(const std::string& bytes) {
  const std::uint32_t c = crc32c(bytes);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

std::string tfRecord(const std::string& data) {
  std::string length;
  littleEndian<std::uint64_t>(length, data.size());
  std::string out = length;
  littleEndian<std::uint32_t>(out, maskedCrc32c(length));
  out += data;
  littleEndian<std::uint32_t>(out, maskedCrc32c(data));
  return out;
}

std::string fileVersionEvent(double wallTime) {
  std::string event;
  key(event, 1, 1);
  littleEndian<double>(event, wallTime);
  lengthDelimited(event, 3, "brain.Event:2");
  return event;
}

std::string scalarEvent(const ScalarEvent& s) {
  std::string value;
  lengthDelimited(value, 1, s.tag);
  key(value, 2, 5);
  littleEndian<float>(value, static_cast<float>(s.value));
  std::string summary;
  lengthDelimited(summary, 1, value);
  std::string event;
  key(event, 1, 1);
  littleEndian<double>(event, s.wallTime);
  key(event, 2, 0);
  varint(event, static_cast<std::uint64_t>(s.step));
  lengthDelimited(event, 5, summary);
  return event;
}

std::string writeTensorBoardEvents(const std::string& directory, std::vector<ScalarEvent> events, double createdAt) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) failInput("cannot create folder '", directory, "': ", ec.message());
  std::stable_sort(events.begin(), events.end(), [](const ScalarEvent& a, const ScalarEvent& b) {
    return a.step != b.step ? a.step < b.step : a.tag < b.tag;
  });
  const std::string path = (fs::path(directory) / ("events.out.tfevents." + std::to_string(static_cast<long long>(createdAt)) +
                                                  "." + RunStore::currentHost()))
                               .string();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) failInput("cannot write in folder '", directory, "'");
    out << tfRecord(fileVersionEvent(createdAt));
    for (const auto& e : events) out << tfRecord(scalarEvent(e));
    out.flush();
    if (!out) {
      fs::remove(tmp, ec);
      failInput("cannot write '", path, "'");
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    failInput("cannot write '", path, "'");
  }
  return path;
}

std::string writeRunTensorBoard(const RunStore& store, const RunRecord& run, const std::string& directory) {
  // The folder: the run's id and name, letters, digits, '-', '_' and '.' kept.
  std::string folder = std::to_string(run.id);
  if (!run.name.empty()) folder += "-";
  for (char c : run.name)
    folder += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  std::vector<ScalarEvent> events;
  const double start = run.startedAt > 0 ? run.startedAt : run.createdAt;
  for (const auto& [name, points] : store.metrics(run.id))
    for (const auto& p : points)
      if (std::isfinite(p.value)) events.push_back({name, p.iteration, p.value, start + p.wallTime});
  return writeTensorBoardEvents(directory + "/" + folder, std::move(events), start);
}

}  // namespace tb

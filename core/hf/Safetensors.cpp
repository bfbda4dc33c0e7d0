#include "core/hf/Safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/Error.h"

namespace tb {

namespace {

uint64_t fileSize(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) failInput("cannot read safetensors file '", path, "': ", ec.message());
  return size;
}

}  // namespace

int64_t SafetensorInfo::elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int safetensorsDtypeSize(const std::string& dtype) {
  static const std::map<std::string, int> kSizes = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},
                                                    {"I32", 4}, {"I16", 2}, {"I8", 1},  {"U8", 1},   {"BOOL", 1}};
  const auto it = kSizes.find(dtype);
  return it == kSizes.end() ? 0 : it->second;
}

float bf16ToFloat(uint16_t bits) {
  const uint32_t word = static_cast<uint32_t>(bits) << 16;
  float out;
  std::memcpy(&out, &word, 4);
  return out;
}

uint16_t floatToBf16(float value) {
  uint32_t word;
  std::memcpy(&word, &value, 4);
  if (std::isnan(value)) return 0x7fc0;
  word += 0x7fff + ((word >> 16) & 1);  // round to nearest, ties to even
  return static_cast<uint16_t>(word >> 16);
}

float f16ToFloat(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  uint32_t word;
  if (exponent == 0) {
    if (mantissa == 0) {
      word = sign;
    } else {  // subnormal: normalise
      int e = -1;
      uint32_t m = mantissa;
      do {
        ++e;
        m <<= 1;
      } while ((m & 0x400) == 0);
      word = sign | ((127 - 15 - e) << 23) | ((m & 0x3ff) << 13);
    }
  } else if (exponent == 31) {
    word = sign | 0x7f800000u | (mantissa << 13);
  } else {
    word = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float out;
  std::memcpy(&out, &word, 4);
  return out;
}

uint16_t floatToF16(float value) {
  uint32_t word;
  std::memcpy(&word, &value, 4);
  const uint16_t sign = static_cast<uint16_t>((word >> 16) & 0x8000);
  if (std::isnan(value)) return sign | 0x7e00;
  const float a = std::fabs(value);
  if (a >= 65520.0f) return sign | 0x7c00;  // overflow to infinity
  if (a < 6.103515625e-05f) {               // subnormal half: multiples of 2^-24, nearest even
    return sign | static_cast<uint16_t>(std::nearbyint(a * 16777216.0f));
  }
  const uint32_t bits = word & 0x7fffffff;
  uint32_t half = ((bits >> 23) - 127 + 15) << 10 | ((bits >> 13) & 0x3ff);
  const uint32_t rest = bits & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;  // nearest, ties to even
  return sign | static_cast<uint16_t>(half);
}

SafetensorsFile::SafetensorsFile(std::string path) : path_(std::move(path)) {
  const uint64_t size = fileSize(path_);
  std::ifstream in(path_, std::ios::binary);
  if (!in) failInput("cannot open safetensors file '", path_, "'");
  if (size < 8) failInput("safetensors file '", path_, "': ", size, " bytes, too short for the 8-byte header length");
  unsigned char lengthBytes[8];
  in.read(reinterpret_cast<char*>(lengthBytes), 8);
  uint64_t headerLength = 0;
  for (int i = 7; i >= 0; --i) headerLength = (headerLength << 8) | lengthBytes[i];
  if (headerLength > size - 8)
    failInput("safetensors file '", path_, "': header length ", headerLength, " exceeds the file (", size, " bytes)");
  std::string header(headerLength, '\0');
  in.read(header.data(), static_cast<std::streamsize>(headerLength));
  dataStart_ = 8 + headerLength;
  const uint64_t bufferSize = size - dataStart_;
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(header);
  } catch (const nlohmann::json::parse_error& e) {
    failInput("safetensors file '", path_, "': the header is not valid JSON (", e.what(), ")");
  }
  if (!json.is_object()) failInput("safetensors file '", path_, "': the header must be a JSON object");
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, entry] : json.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) failInput("safetensors file '", path_, "': __metadata__ must be an object of strings");
      for (const auto& [k, v] : entry.items())
        metadata_[k] = v.is_string() ? v.get<std::string>() : v.dump();
      continue;
    }
    auto bad = [&](const std::string& what) {
      failInput("safetensors file '", path_, "': tensor '", name, "': ", what);
    };
    if (!entry.is_object()) bad("expected an object with dtype, shape and data_offsets");
    SafetensorInfo info;
    info.name = name;
    if (!entry.contains("dtype") || !entry["dtype"].is_string()) bad("missing dtype");
    info.dtype = entry["dtype"].get<std::string>();
    const int elementSize = safetensorsDtypeSize(info.dtype);
    if (elementSize == 0) bad("unknown dtype '" + info.dtype + "'");
    if (!entry.contains("shape") || !entry["shape"].is_array()) bad("missing shape");
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) bad("shape must hold non-negative integers");
      info.shape.push_back(d.get<int64_t>());
    }
    const auto& offsets = entry.contains("data_offsets") ? entry["data_offsets"] : nlohmann::json();
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
      bad("data_offsets must be [begin, end]");
    info.begin = offsets[0].get<uint64_t>();
    info.end = offsets[1].get<uint64_t>();
    if (info.begin > info.end || info.end > bufferSize)
      bad("data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) + "] outside the " +
          std::to_string(bufferSize) + "-byte data buffer");
    const uint64_t expected = static_cast<uint64_t>(info.elements()) * static_cast<uint64_t>(elementSize);
    if (info.end - info.begin != expected)
      bad(std::to_string(info.end - info.begin) + " bytes of data, but its shape and dtype need " + std::to_string(expected));
    ranges.emplace_back(info.begin, info.end);
    tensors_[name] = std::move(info);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second)
      failInput("safetensors file '", path_, "': two tensors overlap at byte ", ranges[i].first, " of the data buffer");
}

const SafetensorInfo& SafetensorsFile::info(const std::string& name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) failInput("safetensors file '", path_, "' has no tensor '", name, "'");
  return it->second;
}

std::vector<char> SafetensorsFile::readBytes(const std::string& name) const {
  const SafetensorInfo& t = info(name);
  std::ifstream in(path_, std::ios::binary);
  if (!in) failInput("cannot open safetensors file '", path_, "'");
  std::vector<char> bytes(t.end - t.begin);
  in.seekg(static_cast<std::streamoff>(dataStart_ + t.begin));
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!in) failInput("safetensors file '", path_, "': cannot read tensor '", name, "' (file truncated?)");
  return bytes;
}

std::vector<float> SafetensorsFile::readFloats(const std::string& name) const {
  const SafetensorInfo& t = info(name);
  const std::vector<char> bytes = readBytes(name);
  const size_t n = static_cast<size_t>(t.elements());
  std::vector<float> out(n);
  if (t.dtype == "F32") {
    std::memcpy(out.data(), bytes.data(), n * 4);
  } else if (t.dtype == "F64") {
    for (size_t i = 0; i < n; ++i) {
      double v;
      std::memcpy(&v, bytes.data() + 8 * i, 8);
      out[i] = static_cast<float>(v);
    }
  } else if (t.dtype == "BF16" || t.dtype == "F16") {
    const bool bf = t.dtype == "BF16";
    for (size_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, bytes.data() + 2 * i, 2);
      out[i] = bf ? bf16ToFloat(h) : f16ToFloat(h);
    }
  } else {
    failInput("safetensors file '", path_, "': tensor '", name, "' has dtype ", t.dtype, ", expected F32, F16, BF16 or F64");
  }
  return out;
}

SafetensorsCheckpoint::SafetensorsCheckpoint(const std::string& folder) : folder_(folder) {
  namespace fs = std::filesystem;
  const fs::path dir(folder);
  const fs::path index = dir / "model.safetensors.index.json", single = dir / "model.safetensors";
  std::vector<std::string> shardNames;
  std::map<std::string, std::string> weightMap;
  if (fs::exists(index)) {
    std::ifstream in(index);
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
      failInput("'", index.string(), "' is not valid JSON: ", e.what());
    }
    if (!json.is_object() || !json.contains("weight_map") || !json["weight_map"].is_object())
      failInput("'", index.string(), "': expected {\"weight_map\": {\"tensor\": \"shard file\"}}");
    for (const auto& [tensor, shard] : json["weight_map"].items()) {
      if (!shard.is_string()) failInput("'", index.string(), "': weight_map['", tensor, "'] must be a file name");
      weightMap[tensor] = shard.get<std::string>();
      if (std::find(shardNames.begin(), shardNames.end(), shard.get<std::string>()) == shardNames.end())
        shardNames.push_back(shard.get<std::string>());
    }
  } else if (fs::exists(single)) {
    shardNames.push_back("model.safetensors");
  } else {
    failInput("checkpoint folder '", folder, "' has neither model.safetensors nor model.safetensors.index.json");
  }
  for (const auto& shard : shardNames) {
    if (!fs::exists(dir / shard)) failInput("checkpoint folder '", folder, "': shard '", shard, "' is missing");
    files_.emplace_back((dir / shard).string());
    for (const auto& [name, _] : files_.back().tensors()) where_[name] = files_.size() - 1;
  }
  for (const auto& [tensor, shard] : weightMap) {
    const auto it = where_.find(tensor);
    if (it == where_.end() || files_[it->second].path() != (dir / shard).string())
      failInput("checkpoint folder '", folder, "': the index puts tensor '", tensor, "' in '", shard,
                "', which does not hold it");
  }
}

std::vector<std::string> SafetensorsCheckpoint::names() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : where_) out.push_back(name);
  return out;
}

const SafetensorInfo& SafetensorsCheckpoint::info(const std::string& name) const {
  const auto it = where_.find(name);
  if (it == where_.end()) failInput("checkpoint folder '", folder_, "' has no tensor '", name, "'");
  return files_[it->second].info(name);
}

std::vector<float> SafetensorsCheckpoint::readFloats(const std::string& name) const {
  const auto it = where_.find(name);
  if (it == where_.end()) failInput("checkpoint folder '", folder_, "' has no tensor '", name, "'");
  return files_[it->second].readFloats(name);
}

void writeSafetensors(const std::string& path, const std::vector<SafetensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string data;
  for (const auto& t : tensors) {
    const int size = safetensorsDtypeSize(t.dtype);
    if (t.dtype != "F32" && t.dtype != "BF16" && t.dtype != "F16")
      failInput("writeSafetensors: tensor '", t.name, "': dtype ", t.dtype, " (expected F32, BF16 or F16)");
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    if (n != static_cast<int64_t>(t.values.size()))
      failInput("writeSafetensors: tensor '", t.name, "' has ", t.values.size(), " values for shape of ", n);
    const uint64_t begin = data.size();
    for (float v : t.values) {
      if (size == 4) {
        data.append(reinterpret_cast<const char*>(&v), 4);
      } else {
        const uint16_t h = t.dtype == "BF16" ? floatToBf16(v) : floatToF16(v);
        data.append(reinterpret_cast<const char*>(&h), 2);
      }
    }
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {begin, data.size()}}};
  }
  std::string text = header.dump();
  while ((text.size() + 8) % 8 != 0) text += ' ';  // the format pads the header with spaces
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) failInput("cannot write '", path, "'");
  uint64_t length = text.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((length >> (8 * i)) & 0xff));
  out << text << data;
  if (!out) failInput("cannot write '", path, "'");
}

}  // namespace tb

#pragma once
// Reading Hugging Face `safetensors` checkpoints (torch-free): one file, or a sharded checkpoint
// whose `model.safetensors.index.json` maps each tensor to its shard.
//
// Format (https://huggingface.co/docs/safetensors): an 8-byte little-endian unsigned header
// length N, then N bytes of JSON: {"NAME": {"dtype": "F32"|"BF16"|"F16"|..., "shape": [..],
// "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}}, then the data buffer; offsets
// are relative to the buffer's start. Checked on open, each refusal naming the file and the tensor
// or field: the header length fits the file, the JSON parses, every entry has a known dtype, a
// shape of non-negative integers and offsets with begin <= end inside the buffer, end - begin =
// product(shape) x dtype size, and no two tensors overlap.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tb {

struct SafetensorInfo {
  std::string name;
  std::string dtype;            // "F32", "BF16", "F16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte offsets in the data buffer
  int64_t elements() const;
};

// Bytes per element of a safetensors dtype; 0 for an unknown one.
int safetensorsDtypeSize(const std::string& dtype);

class SafetensorsFile {
 public:
  // Reads and checks the header (not the data). InputError naming the file and what is wrong.
  explicit SafetensorsFile(std::string path);

  const std::string& path() const { return path_; }
  const std::map<std::string, SafetensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool has(const std::string& name) const { return tensors_.count(name) > 0; }
  const SafetensorInfo& info(const std::string& name) const;  // InputError naming a missing tensor

  // The tensor's values converted to float (F32, F16, BF16 and F64; InputError for other dtypes).
  std::vector<float> readFloats(const std::string& name) const;
  // The raw little-endian bytes of the tensor.
  std::vector<char> readBytes(const std::string& name) const;

 private:
  std::string path_;
  uint64_t dataStart_ = 0;
  std::map<std::string, SafetensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// A checkpoint folder: model.safetensors, or the shards named by model.safetensors.index.json
// ({"weight_map": {"tensor": "shard file"}}). InputError naming the folder or file when neither
// exists, the index is malformed, a shard is missing, or the index names a tensor its shard lacks.
class SafetensorsCheckpoint {
 public:
  explicit SafetensorsCheckpoint(const std::string& folder);
  std::vector<std::string> names() const;  // sorted
  bool has(const std::string& name) const { return where_.count(name) > 0; }
  const SafetensorInfo& info(const std::string& name) const;
  std::vector<float> readFloats(const std::string& name) const;
  size_t shardCount() const { return files_.size(); }

 private:
  std::string folder_;
  std::vector<SafetensorsFile> files_;
  std::map<std::string, size_t> where_;  // tensor -> index into files_
};

// Writes a safetensors file (for tests and exports): tensors as F32, or BF16 / F16 when `dtype`
// says so (rounded to nearest even). InputError naming the path when it cannot be written.
struct SafetensorToWrite {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
  std::string dtype = "F32";
};
void writeSafetensors(const std::string& path, const std::vector<SafetensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Half-precision conversions used by the reader and the writer.
float bf16ToFloat(uint16_t bits);
float f16ToFloat(uint16_t bits);
uint16_t floatToBf16(float value);
uint16_t floatToF16(float value);

}  // namespace tb

#pragma once
// TensorBoard event files, so a run's metric series open in TensorBoard (and anything reading its
// format: tbparse, tensorboard's EventAccumulator). Torch-free, no protobuf dependency: the few
// messages needed are written by hand in protobuf's wire format.
//
// File: TFRecord framing, each record = uint64 length (little endian), uint32 masked CRC-32C of
// the length bytes, the data, uint32 masked CRC-32C of the data; masked(c) = ((c >> 15) | (c << 17))
// + 0xa282ead8. Data = an Event message: wall_time (1, double), step (2, int64), and either
// file_version (3, string, "brain.Event:2", the first record) or summary (5, Summary{ value (1):
// Value{ tag (1, string), simple_value (2, float) } }).
#include <cstdint>
#include <string>
#include <vector>

#include "core/store/RunStore.h"

namespace tb {

// CRC-32C (Castagnoli), as TFRecord uses it; crc32c("123456789") = 0xe3069283.
std::uint32_t crc32c(const std::string& bytes);
std::uint32_t maskedCrc32c(const std::string& bytes);

struct ScalarEvent {
  std::string tag;       // "reward/mean"
  std::int64_t step = 0;
  double value = 0;      // stored as float32, TensorBoard's simple_value
  double wallTime = 0;   // unix seconds
};

// The TFRecord-framed bytes of one Event message.
std::string tfRecord(const std::string& data);
// The Event message bytes of the file-version header and of one scalar.
std::string fileVersionEvent(double wallTime);
std::string scalarEvent(const ScalarEvent& scalar);

// Writes `events` (any order; written by step, then tag) to DIR/events.out.tfevents.<time>.<host>
// (the name TensorBoard looks for) and returns its path. Writes to a temporary name first and
// renames, so a failure leaves no partial file; InputError names the folder on failure.
std::string writeTensorBoardEvents(const std::string& directory, std::vector<ScalarEvent> events, double createdAt);

// Writes one run's metric series (all of them; NaN points left out) to
// DIR/<id>-<name>/events.out.tfevents...: step = iteration, wall time = the run's start + the point's
// time. Returns the file written; InputError as writeTensorBoardEvents.
std::string writeRunTensorBoard(const RunStore& store, const RunRecord& run, const std::string& directory);

}  // namespace tb

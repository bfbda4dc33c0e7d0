#pragma once
// SampleRow: one scored rollout as shown by SamplesView (plain Qt data, no engine types).
#include <QString>
#include <QtGlobal>

namespace tb {

struct SampleRow {
  int iteration = 0;
  QString problemId;
  QString prompt;
  QString completion;
  double reward = 0.0;
  bool correct = false;
  QString reason;  // why the verifier accepted or rejected the completion
  qint64 id = 0;   // the store's sample id (0 for a live row not read back yet)
  qint64 runId = 0;
};

}  // namespace tb

#pragma once
// SamplesView: browses scored rollouts. A table (iteration, problem, reward, verdict, reason),
// newest first, with an all/correct/wrong filter, over a monospace pane showing the selected
// sample's prompt and completion in full. Live runs prepend batches; the table keeps at most
// cap() rows. The first row is selected when data arrives and nothing is selected.
#include "widgets/SampleRow.h"

#include <QVector>
#include <QWidget>

#include <optional>

class QComboBox;
class QPushButton;
class QLabel;
class QModelIndex;
class QSplitter;
class QTableView;
class QTextEdit;

namespace tb {

class SamplesTableModel;
class SampleFilterProxy;

enum class SampleFilter { All, Correct, Wrong };

class SamplesView : public QWidget {
  Q_OBJECT

 public:
  explicit SamplesView(QWidget* parent = nullptr);
  ~SamplesView() override;

  void setSamples(const QVector<SampleRow>& rows);      // replaces everything
  void prependSamples(const QVector<SampleRow>& rows);  // newest batch; rows[0] on top
  void clear();

  int rowCount() const;    // rows shown under the current filter
  int totalCount() const;  // rows held, whatever the filter

  void setFilter(SampleFilter filter);
  SampleFilter filter() const;

  void setCap(int cap);  // default 2000
  int cap() const;

  std::optional<SampleRow> currentSample() const;  // the selected sample, if any
  QPushButton* attentionButton() const { return attentionButton_; }

 signals:
  // The user asked for the attention behind a sample ("Attention" button or a double-click).
  void attentionRequested(const tb::SampleRow& sample);

 public:
  QTableView* table() const { return table_; }
  SamplesTableModel* model() const { return model_; }

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void afterDataChange();
  void selectFirstIfNone();
  void showDetail();
  void updateCounts();
  void placeOverlay();

  SamplesTableModel* model_ = nullptr;
  SampleFilterProxy* proxy_ = nullptr;
  QComboBox* filterCombo_ = nullptr;
  QLabel* summary_ = nullptr;
  QPushButton* attentionButton_ = nullptr;
  QSplitter* splitter_ = nullptr;
  QTableView* table_ = nullptr;
  QLabel* emptyOverlay_ = nullptr;
  QTextEdit* detail_ = nullptr;
  QString detailHtml_;  // what detail_ shows: re-rendering would reset the reader's scroll position
};

}  // namespace tb

#pragma once
// The look shared by the workbench's list tables (samples, task problems): whole-row single
// selection, no grid, alternating rows, fixed row height, left-aligned headers, last column
// stretched, per-pixel scrolling.
class QTableView;

namespace tb {

void applyListTableStyle(QTableView* table);

}  // namespace tb

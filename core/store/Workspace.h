#pragma once
// Where the default workspace lives: $THOUGHTBENCH_WORKSPACE if set, else
// $XDG_DATA_HOME/thoughtbench/workspace.sqlite, else ~/.local/share/thoughtbench/workspace.sqlite.
#include <string>

namespace tb {

std::string defaultWorkspacePath();

}  // namespace tb

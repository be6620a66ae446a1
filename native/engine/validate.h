// Checks every size and index of a flat forest before anything reads it: the forest may come
// from a file or from JavaScript. Throws std::invalid_argument naming the tree and node.
#pragma once
#include "flat_tree.h"

namespace grove {

void validate_forest(const FlatForest& forest);

}  // namespace grove

// Checks every size and index of a flat forest before anything reads it: the forest may come
// from a file or from JavaScript. Throws std::invalid_argument naming the tree and node.
#pragma once
#include "flat_tree.h"

namespace grove {

// Every array must hold n_nodes entries, value n_nodes * max(1, n_classes) (the caller checked
// the lengths it was given).
void validate_forest(const FlatForestView& forest);

}  // namespace grove

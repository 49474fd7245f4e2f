// Suggest: "did you mean ...?" for a mistyped subcommand or verb (`agor bord` -> `board`).
//
// Contract: pure functions, no I/O. Distances count bytes with the optimal string alignment
// rule (insert, delete, substitute, swap two neighbours: `lsit` is one edit from `list`), so a
// typo of a short name is found and an unrelated word is not.
//
// Threading: none (pure).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace agor {

// Optimal string alignment distance between `a` and `b` (case-sensitive, bytes).
size_t EditDistance(const std::string& a, const std::string& b);

// The candidate closest to `typed`, or "" when none is close enough: at most 1 edit for names
// of up to 4 bytes, 2 for longer ones, and never as many edits as the candidate has bytes.
// A candidate `typed` is a prefix of (`sess` -> `session`) also counts. Ties go to the first.
std::string ClosestName(const std::string& typed, const std::vector<std::string>& candidates);

// The tail of an "unknown ..." message: ": did you mean 'x'?" when ClosestName finds x, else "".
std::string DidYouMean(const std::string& typed, const std::vector<std::string>& candidates);

}  // namespace agor

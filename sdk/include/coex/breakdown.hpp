// Where a design's cost goes: a hardware target's per-layer, per-stage or per-kernel account of
// one network on one design (HardwareTarget::breakdown, since ABI 6). Reports draw it next to the
// best pair's network; nothing in the search depends on it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "coex/metrics.hpp"
#include "coex/visibility.hpp"

namespace coex {

/// One part of a design's cost: a layer, a pipeline stage, a kernel, a chunk.
struct COEX_API BreakdownPart {
  /// Short name, unique within the breakdown: "conv2d #3", "stage 2".
  std::string name;
  /// What the part is in the target's own terms: the layers a stage holds and its board, a
  /// layer's tiling or dataflow, the kernel class. Free text, may be empty.
  std::string detail;
  /// One value per Breakdown::columns, in that column's unit.
  std::vector<double> values;
};

/// A table: one row per part, one column per figure (latency, energy, cycles, ...).
struct COEX_API Breakdown {
  /// What a part is: "layer", "stage", "kernel".
  std::string part_kind;
  /// The figures: name, unit and doc of each column (direction is not used).
  std::vector<MetricInfo> columns;
  std::vector<BreakdownPart> parts;
  /// What the parts add up to, and what they leave out (overheads, pipelining): free text for
  /// the reader, e.g. "stages overlap: throughput is set by the slowest stage".
  std::string note;

  bool empty() const { return parts.empty(); }
  /// Adds a column and returns its index.
  std::size_t add_column(std::string name, std::string unit, std::string doc = {});
  /// Adds a part; `values` must have one value per column (throws coex::Error otherwise).
  void add_part(std::string name, std::string detail, std::vector<double> values);
  /// {"part_kind", "columns": [{name, unit, doc}], "parts": [{name, detail, values}], "note"}.
  nlohmann::json to_json() const;
};

}  // namespace coex

#include "coex/core/export.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "coex/core/pareto.hpp"
#include "coex/core/store.hpp"
#include "coex/csv.hpp"
#include "coex/error.hpp"
#include "coex/io.hpp"

namespace coex::core {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string num(double v) {
  if (!std::isfinite(v)) return "";
  std::ostringstream os;
  os.precision(10);
  os << v;
  return os.str();
}

}  // namespace

std::string to_csv(const std::vector<CandidateRecord>& records,
                   const std::vector<std::size_t>& pareto) {
  std::vector<std::string> metric_cols;
  std::set<std::string> seen;
  for (const auto& r : records)
    for (const auto& [k, v] : r.outcome.metrics.items())
      if (k != "accuracy" && seen.insert(k).second) metric_cols.push_back(k);
  const std::set<std::size_t> front(pareto.begin(), pareto.end());
  std::ostringstream os;
  os << "seq,status,reason,accuracy,reward,pareto,network_hash,description,hardware_summary,"
        "fast_s,slow_s,cached";
  for (const auto& m : metric_cols) os << "," << m;
  os << "\n";
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    os << r.seq << "," << status_name(r.outcome.status) << "," << csv_field(r.outcome.reason) << ","
       << (r.outcome.accuracy ? num(*r.outcome.accuracy) : "") << "," << num(r.outcome.reward)
       << "," << (front.count(i) ? 1 : 0) << "," << r.network_hash << ","
       << csv_field(r.description) << "," << csv_field(r.hardware_summary) << ","
       << num(r.fast_seconds) << "," << num(r.slow_seconds) << "," << (r.outcome.cached ? 1 : 0);
    for (const auto& m : metric_cols) {
      auto v = r.outcome.metrics.find(m);
      os << "," << (v ? num(*v) : "");
    }
    os << "\n";
  }
  return os.str();
}

std::string to_json_text(const std::vector<CandidateRecord>& records,
                         const std::vector<std::size_t>& pareto) {
  const std::set<std::size_t> front(pareto.begin(), pareto.end());
  // Each record is dumped with "network": null, and that member is then given the record's IR
  // text, which is already JSON (Network::to_json_text): parsing it into a tree only to write it
  // back cost more than the rest of the export. The member is found by its key; no string value
  // can contain the sequence, since quotes inside strings are escaped.
  static const std::string null_network = "\"network\": null";
  std::string out = "[\n";
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    json j{{"seq", r.seq},
           {"status", status_name(r.outcome.status)},
           {"reason", r.outcome.reason},
           {"reward", std::isfinite(r.outcome.reward) ? json(r.outcome.reward) : json()},
           {"pareto", front.count(i) > 0},
           {"point", r.point},
           {"description", r.description},
           {"network_hash", r.network_hash},
           {"network_summary", r.network_summary},
           {"network", nullptr},
           {"hardware_point", r.hardware_point},
           {"hardware_summary", r.hardware_summary},
           {"hardware", r.hardware_detail},
           {"metrics", r.outcome.metrics.to_json()},
           {"objectives", r.outcome.objectives},
           {"violation", r.outcome.violation},
           {"cached", r.outcome.cached},
           {"fast_s", r.fast_seconds},
           {"slow_s", r.slow_seconds}};
    j["accuracy"] = r.outcome.accuracy ? json(*r.outcome.accuracy) : json();
    std::string text = j.dump(1);
    if (!r.network_json.empty()) {
      text.replace(text.find(null_network), null_network.size(), "\"network\": " + r.network_json);
    }
    // Indent the record as an element of the array (dump(1) of the array would do the same):
    // one space at the start of each line, copied line by line (the IR is one long line).
    out += ' ';
    for (std::size_t at = 0; at < text.size();) {
      const std::size_t nl = std::min(text.find('\n', at), text.size() - 1);
      out.append(text, at, nl - at + 1);
      if (text[nl] == '\n') out += ' ';
      at = nl + 1;
    }
    out += i + 1 < records.size() ? ",\n" : "\n";
  }
  return out + "]\n";
}

std::vector<fs::path> export_run(const fs::path& run_dir, const fs::path& out_dir) {
  return export_store(*open_run_store(run_dir), out_dir.empty() ? run_dir : out_dir);
}

std::vector<fs::path> export_store(const Store& store, const fs::path& dir) {
  const auto records = store.load_all();
  const auto pareto = pareto_of(records);
  fs::create_directories(dir);
  std::vector<fs::path> out{dir / "candidates.csv", dir / "candidates.json"};
  write_file_atomic(out[0], to_csv(records, pareto));
  write_file_atomic(out[1], to_json_text(records, pareto));
  return out;
}

}  // namespace coex::core

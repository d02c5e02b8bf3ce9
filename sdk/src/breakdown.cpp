#include "coex/breakdown.hpp"

#include <nlohmann/json.hpp>

#include "coex/error.hpp"

namespace coex {

std::size_t Breakdown::add_column(std::string name, std::string unit, std::string doc) {
  MetricInfo m;
  m.name = std::move(name);
  m.unit = std::move(unit);
  m.doc = std::move(doc);
  columns.push_back(std::move(m));
  return columns.size() - 1;
}

void Breakdown::add_part(std::string name, std::string detail, std::vector<double> values) {
  if (values.size() != columns.size())
    throw Error("breakdown part '" + name + "' has " + std::to_string(values.size()) +
                " values for " + std::to_string(columns.size()) + " columns");
  parts.push_back({std::move(name), std::move(detail), std::move(values)});
}

nlohmann::json Breakdown::to_json() const {
  nlohmann::json cols = nlohmann::json::array();
  for (const auto& c : columns)
    cols.push_back({{"name", c.name}, {"unit", c.unit}, {"doc", c.doc}});
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& p : parts)
    rows.push_back({{"name", p.name}, {"detail", p.detail}, {"values", p.values}});
  return {{"part_kind", part_kind}, {"columns", cols}, {"parts", rows}, {"note", note}};
}

}  // namespace coex

// Evaluates driftgov's drift formulas for the Python test suite: one JSON request per line on stdin, one JSON
// result per line on stdout, so a test can compare thousands of cases with scipy in one process.
//
//   {"op":"ks","a":[...],"b":[...]}                      -> {"statistic","pvalue","method"}   (sorts a and b)
//   {"op":"ks_pvalue","n1":N,"n2":M,"d":D}              -> {"pvalue","method"}
//   {"op":"ks_bound","ea":E,"eb":F}                     -> {"value"}
//   {"op":"wasserstein","a":[...],"b":[...]}             -> {"value"}                         (sorts a and b)
//   {"op":"chi2","reference":[counts],"current":[counts]} -> {"statistic","pvalue","dof"}
//   {"op":"psi"|"kl","reference":[p],"current":[p],"floor":F} -> {"value"}
//   {"op":"js"|"hellinger"|"tv"|"linf","reference":[p],"current":[p]} -> {"value"}
//   {"op":"null_rate","reference_nulls":X,"reference_rows":N,"current_nulls":Y,"current_rows":M}
//                                                        -> {"statistic","pvalue","change"}
// Numbers may be the strings "NaN", "Infinity", "-Infinity" and are written the same way. A request that cannot
// be evaluated yields {"error": "..."} and the probe goes on with the next line.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "driftgov/stats/distances.hpp"
#include "driftgov/stats/drift.hpp"
#include "driftgov/stats/kolmogorov.hpp"
#include "stats/json_numbers.hpp"

namespace {

using nlohmann::json;
using driftgov::stats::number_from_json;
using driftgov::stats::number_to_json;

std::vector<double> numbers(const json& request, const char* field) {
  std::vector<double> values;
  for (const auto& value : request.at(field)) values.push_back(number_from_json(value));
  return values;
}

std::vector<double> sorted_numbers(const json& request, const char* field) {
  std::vector<double> values = numbers(request, field);
  std::sort(values.begin(), values.end());
  return values;
}

std::vector<std::int64_t> counts(const json& request, const char* field) {
  return request.at(field).get<std::vector<std::int64_t>>();
}

json single_value(double value) { return json{{"value", number_to_json(value)}}; }

json evaluate(const json& request) {
  namespace stats = driftgov::stats;
  const auto op = request.at("op").get<std::string>();
  if (op == "ks") {
    const auto result = stats::ks_two_sample(sorted_numbers(request, "a"), sorted_numbers(request, "b"));
    return json{{"statistic", number_to_json(result.statistic)},
                {"pvalue", number_to_json(result.pvalue)},
                {"method", result.method}};
  }
  if (op == "ks_pvalue") {
    std::string method;
    const double pvalue = stats::ks_two_sample_pvalue(request.at("n1").get<std::int64_t>(),
                                                      request.at("n2").get<std::int64_t>(),
                                                      number_from_json(request.at("d")), &method);
    return json{{"pvalue", number_to_json(pvalue)}, {"method", method}};
  }
  if (op == "ks_bound") {
    return single_value(
        stats::ks_sketch_statistic_bound(number_from_json(request.at("ea")), number_from_json(request.at("eb"))));
  }
  if (op == "wasserstein") {
    return single_value(stats::wasserstein_distance(sorted_numbers(request, "a"), sorted_numbers(request, "b")));
  }
  if (op == "chi2") {
    const auto result = stats::chi_squared_homogeneity(counts(request, "reference"), counts(request, "current"));
    return json{{"statistic", number_to_json(result.statistic)},
                {"pvalue", number_to_json(result.pvalue)},
                {"dof", result.dof}};
  }
  if (op == "null_rate") {
    const auto result = stats::null_rate_ztest(
        request.at("reference_nulls").get<std::int64_t>(), request.at("reference_rows").get<std::int64_t>(),
        request.at("current_nulls").get<std::int64_t>(), request.at("current_rows").get<std::int64_t>());
    return json{{"statistic", number_to_json(result.statistic)},
                {"pvalue", number_to_json(result.pvalue)},
                {"change", number_to_json(result.change)}};
  }
  const std::vector<double> reference = numbers(request, "reference");
  const std::vector<double> current = numbers(request, "current");
  if (op == "psi") {
    return single_value(stats::population_stability_index(reference, current, number_from_json(request.at("floor"))));
  }
  if (op == "kl") return single_value(stats::kl_divergence(reference, current, number_from_json(request.at("floor"))));
  if (op == "js") return single_value(stats::js_distance(reference, current));
  if (op == "hellinger") return single_value(stats::hellinger_distance(reference, current));
  if (op == "tv") return single_value(stats::tv_distance(reference, current));
  if (op == "linf") return single_value(stats::l_infinity_distance(reference, current));
  return json{{"error", "unknown op '" + op + "'"}};
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    json response;
    try {
      response = evaluate(json::parse(line));
    } catch (const std::exception& error) {
      response = json{{"error", error.what()}};
    }
    std::cout << response.dump() << '\n' << std::flush;
  }
  return 0;
}

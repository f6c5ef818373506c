#pragma once
// The per-feature charts the gallery and report.html share (report.cpp).
#include <string>
#include <vector>

#include "driftgov/report/report.hpp"

namespace driftgov::report {

std::vector<FeatureSummary> feature_summaries(const ReportData& data);
std::string distribution_chart(const ReportData& data, const FeatureDetail& feature);
// BASELINE and CONSECUTIVE series of one feature, with its breaches.
std::string feature_series_chart(const ReportData& data, const FeatureDetail& feature);

}  // namespace driftgov::report

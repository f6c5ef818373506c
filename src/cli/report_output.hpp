#pragma once
// Writing a report's files (docs/report.md): report.html and every chart as SVG and PNG (and PDF on request).
// Shared by `driftgov report` and `driftgov compare --report`.
#include <cstdio>
#include <string>

#include "driftgov/report/report.hpp"

namespace driftgov::cli {

// Writes the files under `folder` (created when missing) and prints their paths to `listing` (stderr when stdout
// carries a JSON document).
void write_report_files(const report::ReportData& data, const std::string& folder, bool pdf,
                        std::FILE* listing = stdout);

}  // namespace driftgov::cli

// driftgov cat SOURCE [--columns a,b] [--limit N] [--format jsonl|csv]: prints rows so anyone can inspect a source.
// Values print through core::value_text and core::append_json, whose rules are in docs/value-text.md.
#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/io/csv_writer.hpp"
#include "driftgov/core/value_text.hpp"
#include "driftgov/monitor/sources.hpp"

namespace driftgov::cli {
namespace {

struct CatArguments {
  std::string source;
  std::vector<std::string> columns;
  std::int64_t limit = -1;
  std::string format = "jsonl";
};

int run_cat(const CatArguments& args) {
  if (args.format != "jsonl" && args.format != "csv") {
    throw core::InputError(fmt::format("cat: --format must be jsonl or csv, not '{}'", args.format));
  }
  io::SourceOptions options;
  options.columns = args.columns;
  auto source = monitor::open_source(args.source, options);
  const auto& schema = source->schema();
  std::string out;
  std::vector<std::string> json_keys;  // each column's quoted name and colon, written before its value
  for (const auto& field : schema.fields) {
    core::append_json_string(json_keys.emplace_back(), field.name);
    json_keys.back() += ':';
  }
  if (args.format == "csv") {
    for (std::size_t i = 0; i < schema.fields.size(); ++i) {
      if (i != 0) out += ',';
      io::append_csv_field(out, schema.fields[i].name, ',');
    }
    out += '\n';
  }
  std::int64_t printed = 0;
  while (args.limit < 0 || printed < args.limit) {
    auto batch = source->next();
    if (!batch) break;
    for (std::int64_t row = 0; row < batch->num_rows && (args.limit < 0 || printed < args.limit); ++row, ++printed) {
      if (args.format == "jsonl") {
        out += '{';
        for (std::size_t i = 0; i < batch->columns.size(); ++i) {
          if (i != 0) out += ',';
          out += json_keys[i];
          core::append_json(out, batch->columns[i], row);
        }
        out += '}';
      } else {
        for (std::size_t i = 0; i < batch->columns.size(); ++i) {
          if (i != 0) out += ',';
          const auto& column = batch->columns[i];
          // A null is an empty field.
          if (column.is_valid(row) && column.type.id != core::TypeId::kNull) {
            io::append_csv_field(out, core::value_text(column, row), ',');
          }
        }
      }
      out += '\n';
      if (out.size() > (1U << 16)) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
      }
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace

void register_cat(CLI::App& app) {
  auto args = std::make_shared<CatArguments>();
  auto* command = app.add_subcommand("cat", "Print the rows of a CSV, Parquet or Delta source (docs/cli.md)");
  command->add_option("SOURCE", args->source, kSourceHelp)->required();
  command->add_option("--columns", args->columns, "Print only these columns, in this order")->delimiter(',');
  command->add_option("--limit", args->limit, "Print at most N rows");
  command->add_option("--format", args->format, "jsonl (one JSON object per row) or csv")->capture_default_str();
  add_verb(command, [args] { return run_cat(*args); });
}

}  // namespace driftgov::cli

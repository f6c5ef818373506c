// driftgov convert SOURCE DEST: CSV <-> Parquet, the format of DEST chosen by its extension.
#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/io/csv_writer.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/sources.hpp"
#include "driftgov/parquet/writer.hpp"

namespace driftgov::cli {
namespace {

struct ConvertArguments {
  std::string source;
  std::string destination;
  std::string codec = "zstd";
  std::int64_t row_group_rows = parquet::WriterOptions{}.row_group_rows;
  std::vector<std::string> columns;
  DeltaWriteArguments delta;  // Delta destinations only
  SourceArguments source_arguments;
};

enum class OutputFormat { kParquet, kCsv, kTsv, kDelta };

OutputFormat output_format(const std::string& destination) {
  if (delta::is_delta_destination(destination)) return OutputFormat::kDelta;
  const auto extension = io::lowercase_extension(destination);
  if (extension == ".parquet" || extension == ".pq") return OutputFormat::kParquet;
  if (extension == ".csv") return OutputFormat::kCsv;
  if (extension == ".tsv") return OutputFormat::kTsv;
  throw core::InputError(
      fmt::format("convert: cannot tell the output format of '{}' from its extension (expected "
                  ".parquet, .pq, .csv or .tsv, or a folder name without an extension for a Delta table)",
                  destination));
}

std::int64_t convert_to_parquet(io::Source& source, const ConvertArguments& args) {
  parquet::WriterOptions options;
  options.compression = parquet::parse_compression(args.codec);
  DRIFTGOV_USER_CHECK_GE(args.row_group_rows, 1, "convert: --row-group-rows");
  options.row_group_rows = args.row_group_rows;
  options.version = DRIFTGOV_VERSION;
  parquet::FileWriter writer(args.destination, source.schema(), options);
  while (auto batch = source.next()) writer.write(*batch);
  writer.close();
  return writer.rows_written();
}

// A Delta table: one transaction with schema enforcement (evolution only on request), put-if-absent commit.
std::int64_t convert_to_delta(io::Source& source, const ConvertArguments& args) {
  auto options = args.delta.to_options();
  options.parquet.compression = parquet::parse_compression(args.codec);
  options.parquet.version = DRIFTGOV_VERSION;
  const auto result = delta::write_table(args.destination, source.schema(), [&] { return source.next(); }, options);
  if (result.skipped) {
    fmt::print("{}\n", args.delta.skipped_message(args.destination, result.version));
  } else {
    fmt::print("{}: committed version {} ({} file{})\n", args.destination, result.version, result.files,
               result.files == 1 ? "" : "s");
  }
  warn_if_checkpoint_failed(args.destination, result);
  return result.rows;
}

// Published atomically once complete, like the Parquet writer's output.
std::int64_t convert_to_csv(io::Source& source, const ConvertArguments& args, char delimiter) {
  const auto output = io::local_storage().create(args.destination);
  io::OutputStreamBuffer buffer(*output);
  std::ostream out(&buffer);
  out.exceptions(std::ios::badbit);  // a storage failure reaches the caller as core::IOError
  std::int64_t rows = 0;
  io::CsvWriter writer(out, source.schema(), io::CsvWriteOptions{delimiter, true});
  while (auto batch = source.next()) {
    writer.write(*batch);
    rows += batch->num_rows;
  }
  writer.finish();
  buffer.flush_to_stream();
  output->publish();
  return rows;
}

}  // namespace

void register_convert(CLI::App& app) {
  auto args = std::make_shared<ConvertArguments>();
  auto* command = app.add_subcommand("convert",
                                     "Convert between CSV, Parquet and Delta tables; the output format comes "
                                     "from DEST (docs/parquet-writer.md, docs/delta.md)");
  command->add_option("SOURCE", args->source, kSourceHelp)->required();
  command->add_option("DEST", args->destination,
                      "Output: .parquet/.pq, .csv or .tsv file, or a Delta table (a folder name without an "
                      "extension, or one that holds _delta_log)")
      ->required();
  args->delta.add_to(command);
  command->add_option("--codec", args->codec, "Parquet compression: zstd, snappy, gzip or none")
      ->capture_default_str();
  command->add_option("--row-group-rows", args->row_group_rows, "Rows per Parquet row group")
      ->capture_default_str();
  command->add_option("--columns", args->columns, "Convert only these columns")->delimiter(',');
  args->source_arguments.add_to(command);

  add_verb(command, [args] {
    const auto format = output_format(args->destination);
    if (format != OutputFormat::kDelta && args->delta.any_given()) {
      throw core::InputError(fmt::format(
          "convert: --mode, --merge-schema, --overwrite-schema, --partition-by, --replace-where, --app-id, "
          "--app-version and --property apply to Delta tables, and '{}' is a file",
          args->destination));
    }
    if (io::local_storage().same_file(args->source, args->destination)) {
      throw core::InputError(
          fmt::format("convert: SOURCE and DEST are the same file ({})", args->destination));
    }
    auto source_options = args->source_arguments.to_options();
    source_options.columns = args->columns;
    auto source = monitor::open_source(args->source, source_options);
    const auto columns = source->schema().fields.size();
    std::int64_t rows = 0;
    if (format == OutputFormat::kDelta) {
      rows = convert_to_delta(*source, *args);
    } else if (format == OutputFormat::kParquet) {
      rows = convert_to_parquet(*source, *args);
    } else {
      rows = convert_to_csv(*source, *args, format == OutputFormat::kTsv ? '\t' : ',');
    }
    fmt::print("wrote {} ({} rows, {} columns)\n", args->destination, rows, columns);
    return kExitOk;
  });
}

}  // namespace driftgov::cli

// driftgov table info|history|schema SOURCE: a Delta table's metadata, commit history and schema (docs/delta.md).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/delta/log.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/monitor/delta_source.hpp"
#include "driftgov/monitor/sources.hpp"

namespace driftgov::cli {
namespace {

using nlohmann::json;

struct TableCommandArguments {
  std::string source;
  bool json_output = false;
  std::int64_t limit = 0;
  // table write
  std::string destination;
  DeltaWriteArguments write;
  SourceArguments source_options;
};

json partition_values_json(const delta::PartitionValues& values) {
  json object = json::object();
  for (const auto& [key, value] : values) object[key] = value ? json(*value) : json(nullptr);
  return object;
}

json snapshot_json(const delta::Snapshot& snapshot) {
  const auto& metadata = snapshot.metadata();
  const auto& protocol = snapshot.protocol();
  json files = json::array();
  std::int64_t total_bytes = 0;
  for (const auto& file : snapshot.files()) {
    json entry = {{"path", file.path},
                  {"partitionValues", partition_values_json(snapshot.logical_partition_values(file))},
                  {"size", file.size},
                  {"modificationTime", file.modification_time}};
    if (file.stats) {
      auto stats = json::parse(*file.stats, nullptr, false);
      if (!stats.is_discarded() && stats.contains("numRecords")) entry["numRecords"] = stats["numRecords"];
    }
    if (file.deletion_vector) {
      entry["deletionVector"] = {{"storageType", std::string(1, file.deletion_vector->storage_type)},
                                 {"cardinality", file.deletion_vector->cardinality}};
    }
    total_bytes += file.size;
    files.push_back(std::move(entry));
  }
  json protocol_json = {{"minReaderVersion", protocol.min_reader_version},
                        {"minWriterVersion", protocol.min_writer_version}};
  if (protocol.reader_features) protocol_json["readerFeatures"] = *protocol.reader_features;
  if (protocol.writer_features) protocol_json["writerFeatures"] = *protocol.writer_features;
  json transactions = json::object();
  for (const auto& [app_id, txn] : snapshot.transactions()) transactions[app_id] = txn.version;
  json info = {{"location", snapshot.table_root()},
               {"version", snapshot.version()},
               {"id", metadata.id},
               {"partitionColumns", metadata.partition_columns},
               {"configuration", metadata.configuration},
               {"protocol", protocol_json},
               {"numFiles", snapshot.files().size()},
               {"sizeInBytes", total_bytes},
               {"transactions", transactions},
               {"schema", json::parse(metadata.schema_string)},
               {"files", files}};
  if (metadata.name) info["name"] = *metadata.name;
  if (metadata.description) info["description"] = *metadata.description;
  if (metadata.created_time) info["createdTime"] = *metadata.created_time;
  info["checkpointVersion"] = snapshot.checkpoint_version() ? json(*snapshot.checkpoint_version()) : json(nullptr);
  return info;
}

void print_schema_lines(const core::DataType& type, int depth) {
  for (const auto& child : type.children) {
    fmt::print("{}{}: {}{}\n", std::string(static_cast<std::size_t>(depth) * 2, ' '), child.name,
               delta::delta_type_name(child.type), child.nullable ? "" : " not null");
    if (child.type.is_nested()) print_schema_lines(child.type, depth + 1);
  }
}

int run_info(const TableCommandArguments& args) {
  const auto snapshot = delta::Snapshot::load(delta::parse_table_location(args.source));
  if (args.json_output) {
    fmt::print("{}\n", snapshot_json(snapshot).dump(2));
    return kExitOk;
  }
  std::int64_t total_bytes = 0;
  for (const auto& file : snapshot.files()) total_bytes += file.size;
  fmt::print("table       {}\nversion     {}\nid          {}\n", snapshot.table_root(), snapshot.version(),
             snapshot.metadata().id);
  fmt::print("protocol    reader {} writer {}\n", snapshot.protocol().min_reader_version,
             snapshot.protocol().min_writer_version);
  if (!snapshot.metadata().partition_columns.empty()) {
    fmt::print("partitions  {}\n", fmt::join(snapshot.metadata().partition_columns, ", "));
  }
  fmt::print("files       {} ({} bytes)\n", snapshot.files().size(), total_bytes);
  if (snapshot.checkpoint_version()) fmt::print("checkpoint  version {}\n", *snapshot.checkpoint_version());
  for (const auto& [key, value] : snapshot.metadata().configuration) fmt::print("property    {} = {}\n", key, value);
  return kExitOk;
}

int run_history(const TableCommandArguments& args) {
  const auto location = delta::parse_table_location(args.source);
  const auto snapshot = delta::Snapshot::load(location);
  const auto listing = delta::list_log(location.path);
  const auto timestamps = delta::commit_timestamps(listing, snapshot.metadata().configuration);
  json history = json::array();
  for (auto it = timestamps.rbegin(); it != timestamps.rend(); ++it) {
    if (it->version > snapshot.version()) continue;
    if (args.limit > 0 && static_cast<std::int64_t>(history.size()) >= args.limit) break;
    json entry = {{"version", it->version}, {"timestamp", delta::format_timestamp_ms(it->timestamp_ms)}};
    for (const auto& action : delta::read_commit(listing.commits.at(it->version))) {
      if (const auto* info = std::get_if<delta::CommitInfo>(&action)) {
        for (const auto& key : {"operation", "operationParameters", "isBlindAppend", "engineInfo", "operationMetrics",
                                "readVersion", "isolationLevel", "txnId"}) {
          if (info->value.contains(key)) entry[key] = info->value[key];
        }
      }
    }
    history.push_back(std::move(entry));
  }
  if (args.json_output) {
    fmt::print("{}\n", history.dump(2));
    return kExitOk;
  }
  fmt::print("{:>8}  {:<24}  {:<20}  {}\n", "version", "timestamp", "operation", "engine");
  for (const auto& entry : history) {
    fmt::print("{:>8}  {:<24}  {:<20}  {}\n", entry["version"].get<std::int64_t>(),
               entry["timestamp"].get<std::string>(), entry.value("operation", std::string()),
               entry.value("engineInfo", std::string()));
  }
  return kExitOk;
}

int run_schema(const TableCommandArguments& args) {
  const auto snapshot = delta::Snapshot::load(delta::parse_table_location(args.source));
  if (args.json_output) {
    fmt::print("{}\n", json::parse(snapshot.metadata().schema_string).dump(2));
    return kExitOk;
  }
  core::DataType root{core::TypeId::kStruct};
  root.children = snapshot.schema().schema.fields;
  print_schema_lines(root, 0);
  return kExitOk;
}

int run_write(const TableCommandArguments& args) {
  const auto options = args.write.to_options();
  auto source = monitor::open_source(args.source, args.source_options.to_options());
  const auto result = delta::write_table(args.destination, source->schema(), [&] { return source->next(); }, options);
  if (args.json_output) {
    fmt::print("{}\n", json{{"version", result.version}, {"skipped", result.skipped}, {"rows", result.rows},
                            {"files", result.files}, {"attempts", result.attempts},
                            {"checkpoint", result.checkpoint_written},
                            {"checkpoint_error", result.checkpoint_error.empty() ? json(nullptr)
                                                                                 : json(result.checkpoint_error)}}
                           .dump());
  } else if (result.skipped) {
    fmt::print("{}\n", args.write.skipped_message(args.destination, result.version));
  } else {
    fmt::print("{}: committed version {} ({} rows in {} file{})\n", args.destination, result.version, result.rows,
               result.files, result.files == 1 ? "" : "s");
  }
  warn_if_checkpoint_failed(args.destination, result);
  return kExitOk;
}

}  // namespace

void register_table(CLI::App& app) {
  auto args = std::make_shared<TableCommandArguments>();
  auto* command = app.add_subcommand("table", "Delta tables: info, history, schema, write (docs/delta.md)");
  command->require_subcommand(1);
  const auto add_common = [&](CLI::App* sub) {
    sub->add_option("SOURCE", args->source, "Delta table folder, optionally PATH@v=N or PATH@ts=TIMESTAMP")
        ->required();
    sub->add_flag("--json", args->json_output, "Print JSON");
  };
  auto* info = command->add_subcommand("info", "Version, protocol, properties, partitions and files");
  add_common(info);
  add_verb(info, [args] { return run_info(*args); });
  auto* history = command->add_subcommand("history", "Commits, newest first, with their commitInfo");
  add_common(history);
  history->add_option("--limit", args->limit, "Show at most this many commits");
  add_verb(history, [args] { return run_history(*args); });
  auto* schema = command->add_subcommand("schema", "The table schema (logical names)");
  add_common(schema);
  add_verb(schema, [args] { return run_schema(*args); });

  auto* write = command->add_subcommand("write", "Write SOURCE (CSV, Parquet, Delta) into the Delta table DEST");
  write->add_option("SOURCE", args->source, std::string("Data to write: ") + kSourceHelp)->required();
  write->add_option("DEST", args->destination, "Delta table folder")->required();
  args->write.add_to(write);
  write->add_flag("--json", args->json_output, "Print the result as JSON");
  args->source_options.add_to(write);
  add_verb(write, [args] { return run_write(*args); });
}

}  // namespace driftgov::cli

#include "driftgov/delta/snapshot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_map>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/checkpoint.hpp"

namespace driftgov::delta {
namespace {

// Replays actions in commit order. Add and remove maps are keyed by (path, dvId).
class LogReplay {
 public:
  void apply(Action& action) {
    if (auto* add = std::get_if<AddFile>(&action)) {
      auto key = add->key();
      tombstones_.erase(key);
      files_.insert_or_assign(std::move(key), std::move(*add));
    } else if (auto* remove = std::get_if<RemoveFile>(&action)) {
      auto key = remove->key();
      files_.erase(key);
      tombstones_.insert_or_assign(std::move(key), std::move(*remove));
    } else if (auto* metadata = std::get_if<Metadata>(&action)) {
      metadata_ = std::move(*metadata);
    } else if (auto* protocol = std::get_if<Protocol>(&action)) {
      protocol_ = std::move(*protocol);
    } else if (auto* txn = std::get_if<TransactionId>(&action)) {
      transactions_.insert_or_assign(txn->app_id, std::move(*txn));
    } else if (auto* domain = std::get_if<DomainMetadata>(&action)) {
      if (domain->removed) {
        domains_.erase(domain->domain);
      } else {
        domains_.insert_or_assign(domain->domain, std::move(*domain));
      }
    }
    // commitInfo, cdc, checkpointMetadata and sidecar do not change the table state.
  }

  std::unordered_map<std::string, AddFile> files_;
  std::unordered_map<std::string, RemoveFile> tombstones_;
  std::optional<Metadata> metadata_;
  std::optional<Protocol> protocol_;
  std::map<std::string, TransactionId> transactions_;
  std::map<std::string, DomainMetadata> domains_;
};

std::int64_t resolve_version(const LogListing& listing, const TimeTravel& travel, const std::string& table,
                             std::int64_t latest) {
  if (travel.version) {
    if (*travel.version > latest) {
      throw core::InputError(
          fmt::format("{}: version {} does not exist (the latest version is {})", table, *travel.version, latest));
    }
    return *travel.version;
  }
  if (travel.timestamp_ms) {
    // In-commit timestamps are a table property, so the latest configuration decides how commits are timed.
    const auto latest_snapshot = Snapshot::load(listing.table_root, {}, *listing.storage);
    const auto& configuration = latest_snapshot.metadata().configuration;
    return version_at_timestamp(commit_timestamps(listing, configuration), *travel.timestamp_ms, table,
                                in_commit_timestamps(configuration).enablement_timestamp_ms);
  }
  return latest;
}

// Checks that the commits (start, version] are all present.
void require_contiguous(const LogListing& listing, std::int64_t start, std::int64_t version, const std::string& table) {
  for (std::int64_t v = start + 1; v <= version; ++v) {
    if (!listing.commits.contains(v)) {
      if (start < 0 && v == 0 && !listing.commits.empty()) {
        throw core::InputError(fmt::format(
            "{}: cannot rebuild version {}: no checkpoint at or before it and the log starts at version {} (earlier "
            "commits were cleaned up)",
            table, version, listing.commits.begin()->first));
      }
      throw core::InputError(fmt::format("{}: cannot rebuild version {}: commit file {} is missing (versions are not "
                                         "contiguous)",
                                         table, version, commit_file_name(v)));
    }
  }
}

std::int64_t parse_integer(const std::string& text, const core::Field& field, const std::string& context) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw core::InputError(fmt::format("{}: partition column '{}': '{}' is not an integer", context, field.name, text));
  }
  return value;
}

core::Int128 parse_decimal_text(const std::string& text, const core::Field& field, const std::string& context) {
  const auto fail = [&] {
    throw core::InputError(fmt::format("{}: partition column '{}': '{}' is not a {}", context, field.name, text,
                                       field.type.to_string()));
  };
  std::size_t position = 0;
  bool negative = false;
  if (position < text.size() && (text[position] == '-' || text[position] == '+')) negative = text[position++] == '-';
  core::Int128 value = 0;
  int fraction_digits = -1;
  bool any_digit = false;
  for (; position < text.size(); ++position) {
    const char c = text[position];
    if (c == '.' && fraction_digits < 0) {
      fraction_digits = 0;
      continue;
    }
    if (c < '0' || c > '9') fail();
    any_digit = true;
    if (fraction_digits >= 0) {
      if (fraction_digits == field.type.scale) {
        if (c != '0') fail();  // more fraction digits than the scale holds
        continue;
      }
      ++fraction_digits;
    }
    value = value * 10 + (c - '0');
  }
  if (!any_digit) fail();
  for (int i = std::max(fraction_digits, 0); i < field.type.scale; ++i) value *= 10;
  return negative ? -value : value;
}

}  // namespace

const std::set<std::string>& supported_reader_features() {
  static const std::set<std::string> features = {"columnMapping",      "deletionVectors", "timestampNtz",
                                                 "typeWidening",       "typeWidening-preview", "v2Checkpoint",
                                                 "vacuumProtocolCheck"};
  return features;
}

void check_reader_protocol(const Protocol& protocol, const std::string& table) {
  if (protocol.min_reader_version < 1 || protocol.min_reader_version > 3) {
    throw core::UnsupportedError(fmt::format(
        "{}: Delta reader protocol version {} is not supported (supported: 1 to 3)", table,
        protocol.min_reader_version));
  }
  if (protocol.min_reader_version == 3) {
    if (!protocol.reader_features) {
      throw core::InputError(fmt::format("{}: protocol: reader version 3 requires readerFeatures", table));
    }
    for (const auto& feature : *protocol.reader_features) {
      if (!supported_reader_features().contains(feature)) {
        throw core::UnsupportedError(
            fmt::format("{}: the table needs the Delta reader feature '{}', which driftgov does not support", table,
                        feature));
      }
    }
  }
}

std::optional<std::int64_t> Snapshot::transaction_version(const std::string& app_id) const {
  auto found = transactions_.find(app_id);
  return found == transactions_.end() ? std::nullopt : std::optional(found->second.version);
}

std::string resolve_data_path(const std::string& table_root, const std::string& log_path) {
  std::string decoded = decode_path(log_path, table_root);
  if (decoded.starts_with("file://")) return decoded.substr(7);
  if (decoded.starts_with("file:")) return decoded.substr(5);
  if (decoded.starts_with("/")) return decoded;
  if (const auto colon = decoded.find(':'); colon != std::string::npos && decoded.find('/') > colon) {
    throw core::UnsupportedError(
        fmt::format("{}: data file '{}' is on a remote file system (only local paths are supported)",
                    table_root, log_path));
  }
  return io::join_path(table_root, decoded);
}

PartitionValues Snapshot::logical_partition_values(const AddFile& file) const {
  PartitionValues values;
  for (const auto& column : metadata_.partition_columns) {
    const auto index = schema_.schema.find(column);
    DRIFTGOV_CHECK(index.has_value(), "partition column {} checked at load", column);
    const auto physical = physical_column_name(schema_, *index, column_mapping_mode_);
    auto found = file.partition_values.find(physical);
    if (found == file.partition_values.end()) {
      throw core::InputError(fmt::format("{}@v={}: file '{}' has no partition value for column '{}'",
                                         table_root_, version_, file.path, column));
    }
    values.emplace(column, found->second);
  }
  return values;
}

std::string Snapshot::file_path(const AddFile& file) const { return resolve_data_path(table_root_, file.path); }

Snapshot Snapshot::load(const TableLocation& location, io::Storage& storage) {
  return load(location.path, TimeTravel{location.version, location.timestamp_ms}, storage);
}

std::optional<Snapshot> Snapshot::from_last_checkpoint(const std::string& table_root,
                                                       const std::optional<LastCheckpointHint>& hint,
                                                       const TimeTravel& travel, io::Storage& storage) {
  // The latest version, or one at or after the last checkpoint, is replayed from that checkpoint with the log
  // listed from the checkpoint's version on (Delta's listFrom), so a long log costs no more than its tail. When
  // that listing cannot serve (the checkpoint is gone, incomplete or unreadable here), the caller lists the whole
  // log; a timestamp needs every commit's time.
  if (travel.timestamp_ms || !hint || (travel.version && *travel.version < hint->version)) return std::nullopt;
  auto listing = list_log_from(table_root, hint->version, storage);
  listing.last_checkpoint = hint;
  return from_listing(listing, travel, /*whole_log=*/false);
}

Snapshot Snapshot::load(const std::string& table_root, const TimeTravel& travel, io::Storage& storage) {
  if (!travel.timestamp_ms) {
    if (auto snapshot = from_last_checkpoint(table_root, read_last_checkpoint(table_root, storage), travel, storage)) {
      return std::move(*snapshot);
    }
  }
  return std::move(*from_listing(list_log(table_root, storage), travel, /*whole_log=*/true));
}

std::optional<Snapshot> Snapshot::load_latest_if_any(const std::string& table_root, io::Storage& storage) {
  const auto hint = read_last_checkpoint(table_root, storage);
  if (auto snapshot = from_last_checkpoint(table_root, hint, {}, storage)) return snapshot;
  // One listing answers both questions: is there a table yet, and what is its latest version.
  auto listing = list_log_if_present(table_root, storage);
  if (!listing.latest_version()) return std::nullopt;
  listing.last_checkpoint = hint;
  return from_listing(listing, {}, /*whole_log=*/true);
}

std::optional<Snapshot> Snapshot::from_listing(const LogListing& listing, const TimeTravel& travel, bool whole_log) {
  const std::string& table = listing.table_root;
  const auto latest = listing.latest_version();
  if (!latest) {
    if (!whole_log) return std::nullopt;
    throw core::InputError(fmt::format("{}: the Delta log holds no commits", table));
  }
  const std::int64_t version = resolve_version(listing, travel, table, *latest);

  LogReplay replay;
  std::int64_t start = -1;
  std::optional<std::int64_t> checkpoint_version;
  const auto* checkpoint = listing.checkpoint_at_or_before(version);
  if (!checkpoint && !whole_log) return std::nullopt;
  if (checkpoint) {
    bool can_replay_without = true;
    for (std::int64_t v = 0; v <= checkpoint->version && can_replay_without; ++v) {
      can_replay_without = listing.commits.contains(v);
    }
    try {
      if (const auto& hint = listing.last_checkpoint; hint && hint->version == checkpoint->version && hint->size) {
        replay.files_.reserve(static_cast<std::size_t>(std::clamp<std::int64_t>(*hint->size, 0, 1 << 24)));
      }
      read_checkpoint(*checkpoint, listing, [&](Action& action) { replay.apply(action); });
      start = checkpoint->version;
      checkpoint_version = checkpoint->version;
    } catch (const core::UnsupportedError&) {
      // A checkpoint this build cannot read is only an optimisation when every commit is still there, which
      // only the whole listing shows.
      if (!whole_log) return std::nullopt;
      if (!can_replay_without) throw;
      replay = LogReplay{};
    }
  }
  require_contiguous(listing, start, version, table);
  for (std::int64_t v = start + 1; v <= version; ++v) {
    auto actions = read_commit(listing.commits.at(v), *listing.storage);
    for (auto& action : actions) replay.apply(action);
  }

  if (!replay.protocol_) {
    throw core::InputError(fmt::format("{}: version {} has no protocol action in its log", table, version));
  }
  if (!replay.metadata_) {
    throw core::InputError(fmt::format("{}: version {} has no metaData action in its log", table, version));
  }
  check_reader_protocol(*replay.protocol_, table);

  Snapshot snapshot;
  snapshot.table_root_ = listing.table_root;
  snapshot.storage_ = listing.storage;
  snapshot.version_ = version;
  snapshot.protocol_ = std::move(*replay.protocol_);
  snapshot.metadata_ = std::move(*replay.metadata_);
  if (snapshot.metadata_.format.provider != "parquet") {
    throw core::UnsupportedError(
        fmt::format("{}: data file format '{}' is not supported (only parquet)", table, snapshot.metadata_.format.provider));
  }
  snapshot.schema_ = parse_schema(snapshot.metadata_.schema_string, fmt::format("{}@v={}: metaData", table, version));
  snapshot.column_mapping_mode_ = delta::column_mapping_mode(snapshot.metadata_.configuration);
  for (const auto& column : snapshot.metadata_.partition_columns) {
    if (!snapshot.schema_.schema.find(column)) {
      throw core::InputError(
          fmt::format("{}: partition column '{}' is not in the table schema", table, column));
    }
  }
  // Sorted through pointers: an AddFile is large, and moving each once beats swapping them around in a sort.
  std::vector<AddFile*> ordered;
  ordered.reserve(replay.files_.size());
  for (auto& [key, add] : replay.files_) ordered.push_back(&add);
  std::sort(ordered.begin(), ordered.end(), [](const AddFile* a, const AddFile* b) {
    const int order = a->path.compare(b->path);
    return order != 0 ? order < 0 : a->key() < b->key();
  });
  snapshot.files_.reserve(ordered.size());
  for (auto* add : ordered) snapshot.files_.push_back(std::move(*add));
  for (auto& [key, remove] : replay.tombstones_) snapshot.tombstones_.push_back(std::move(remove));
  std::sort(snapshot.tombstones_.begin(), snapshot.tombstones_.end(),
            [](const RemoveFile& a, const RemoveFile& b) { return a.key() < b.key(); });
  snapshot.transactions_ = std::move(replay.transactions_);
  snapshot.domains_ = std::move(replay.domains_);
  snapshot.checkpoint_version_ = checkpoint_version;
  if (auto commit = listing.commits.find(version); commit != listing.commits.end()) {
    for (auto& action : read_commit(commit->second, *listing.storage)) {
      if (auto* info = std::get_if<CommitInfo>(&action)) snapshot.commit_info_ = std::move(*info);
    }
  }
  return snapshot;
}

core::Column partition_value_column(const core::Field& field, const std::optional<std::string>& value,
                                    std::int64_t rows, const std::string& context) {
  core::Column column(field.type);
  column.reserve(rows);
  if (!value || value->empty()) {
    for (std::int64_t i = 0; i < rows; ++i) column.append_null();
    return column;
  }
  const std::string& text = *value;
  using core::TypeId;
  switch (field.type.id) {
    case TypeId::kBoolean: {
      if (text != "true" && text != "false") {
        throw core::InputError(
            fmt::format("{}: partition column '{}': '{}' is not true or false", context, field.name, text));
      }
      for (std::int64_t i = 0; i < rows; ++i) column.append_int(text == "true" ? 1 : 0);
      break;
    }
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kInt64: {
      const auto number = parse_integer(text, field, context);
      for (std::int64_t i = 0; i < rows; ++i) column.append_int(number);
      break;
    }
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      double number = 0;
      if (text == "NaN") number = std::nan("");
      else if (text == "Infinity") number = HUGE_VAL;
      else if (text == "-Infinity") number = -HUGE_VAL;
      else {
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (error != std::errc() || end != text.data() + text.size()) {
          throw core::InputError(
              fmt::format("{}: partition column '{}': '{}' is not a number", context, field.name, text));
        }
      }
      if (field.type.id == TypeId::kFloat32) number = static_cast<double>(static_cast<float>(number));
      for (std::int64_t i = 0; i < rows; ++i) column.append_double(number);
      break;
    }
    case TypeId::kDecimal: {
      const auto unscaled = parse_decimal_text(text, field, context);
      for (std::int64_t i = 0; i < rows; ++i) column.append_decimal(unscaled);
      break;
    }
    case TypeId::kString:
    case TypeId::kBinary:
      for (std::int64_t i = 0; i < rows; ++i) column.append_string(text);
      break;
    case TypeId::kDate: {
      const auto micros = parse_timestamp_us(text, fmt::format("{}: partition column '{}'", context, field.name));
      const std::int64_t days = micros >= 0 ? micros / 86400000000LL : -((-micros + 86399999999LL) / 86400000000LL);
      for (std::int64_t i = 0; i < rows; ++i) column.append_int(days);
      break;
    }
    case TypeId::kTimestamp: {
      auto micros = parse_timestamp_us(text, fmt::format("{}: partition column '{}'", context, field.name));
      if (field.type.unit == core::TimeUnit::kMilli) micros /= 1000;
      if (field.type.unit == core::TimeUnit::kNano) micros *= 1000;
      for (std::int64_t i = 0; i < rows; ++i) column.append_int(micros);
      break;
    }
    default:
      throw core::UnsupportedError(fmt::format("{}: partition column '{}' of type {} is not supported", context,
                                               field.name, field.type.to_string()));
  }
  return column;
}

}  // namespace driftgov::delta

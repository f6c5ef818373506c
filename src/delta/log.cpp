#include "driftgov/delta/log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "driftgov/core/error.hpp"
#include "driftgov/core/value_text.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::delta {
namespace {

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::int64_t> parse_version(std::string_view digits) {
  if (!all_digits(digits) || digits.size() > 20) return std::nullopt;
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

class TimestampScanner {
 public:
  TimestampScanner(std::string_view text, std::string_view context) : text_(text), context_(context) {}

  [[noreturn]] void fail() const {
    throw core::InputError(fmt::format(
        "{}: '{}' is not a timestamp (expected e.g. 2024-01-01, 2024-01-01T10:00:00Z or "
        "2024-01-01 10:00:00.123+02:00)",
        context_, text_));
  }
  int number(std::size_t digits) {
    if (position_ + digits > text_.size()) fail();
    int value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      const char c = text_[position_ + i];
      if (c < '0' || c > '9') fail();
      value = value * 10 + (c - '0');
    }
    position_ += digits;
    return value;
  }
  void expect(char c) {
    if (!accept(c)) fail();
  }
  bool accept(char c) {
    if (position_ < text_.size() && text_[position_] == c) {
      ++position_;
      return true;
    }
    return false;
  }
  bool done() const { return position_ == text_.size(); }
  char peek() const { return position_ < text_.size() ? text_[position_] : '\0'; }

 private:
  std::string_view text_;
  std::string_view context_;
  std::size_t position_ = 0;
};

// The first line of a file without its newline, read in pieces so that a large commit is not read whole;
// nullopt when the file cannot be opened (the caller reads it whole and reports that).
std::optional<std::string> read_first_line(const std::string& path, io::Storage& storage) {
  constexpr std::int64_t kPiece = 4096;
  std::unique_ptr<io::RandomAccessFile> file;
  try {
    file = storage.open_read(path);
  } catch (const core::InputError&) {
    return std::nullopt;
  }
  std::string line;
  for (std::int64_t offset = 0; offset < file->size(); offset += kPiece) {
    const std::size_t before = line.size();
    const auto length = std::min(kPiece, file->size() - offset);
    line.resize(before + static_cast<std::size_t>(length));
    file->read_at(offset, length, line.data() + before);
    if (const auto newline = line.find('\n', before); newline != std::string::npos) {
      line.resize(newline);
      return line;
    }
  }
  return line;
}

}  // namespace

std::int64_t parse_timestamp_ms(std::string_view text, std::string_view context) {
  const std::int64_t micros = parse_timestamp_us(text, context);
  return micros >= 0 ? micros / 1000 : -((-micros + 999) / 1000);
}

std::int64_t parse_timestamp_us(std::string_view text, std::string_view context) {
  TimestampScanner scanner(text, context);
  const int year = scanner.number(4);
  scanner.expect('-');
  const int month = scanner.number(2);
  scanner.expect('-');
  const int day = scanner.number(2);
  if (month < 1 || month > 12 || day < 1 || day > 31) scanner.fail();
  std::int64_t micros = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) *
                        86400000000LL;
  if (scanner.accept('T') || scanner.accept(' ')) {
    const int hour = scanner.number(2);
    scanner.expect(':');
    const int minute = scanner.number(2);
    int second = 0;
    if (scanner.accept(':')) second = scanner.number(2);
    if (hour > 23 || minute > 59 || second > 60) scanner.fail();
    micros += (hour * 3600LL + minute * 60LL + second) * 1000000LL;
    if (scanner.accept('.')) {
      // Fractions beyond microseconds are truncated: Delta timestamps have microsecond resolution.
      int digits = 0;
      std::int64_t fraction = 0;
      while (scanner.peek() >= '0' && scanner.peek() <= '9') {
        const int digit = scanner.number(1);
        if (digits < 6) fraction = fraction * 10 + digit;
        ++digits;
      }
      if (digits == 0) scanner.fail();
      for (int i = digits; i < 6; ++i) fraction *= 10;
      micros += fraction;
    }
  }
  if (scanner.accept('Z')) {
    // UTC
  } else if (scanner.peek() == '+' || scanner.peek() == '-') {
    const int sign = scanner.accept('+') ? 1 : (scanner.expect('-'), -1);
    const int hours = scanner.number(2);
    scanner.accept(':');
    const int minutes = scanner.number(2);
    micros -= sign * (hours * 3600LL + minutes * 60LL) * 1000000LL;
  }
  if (!scanner.done()) scanner.fail();
  return micros;
}

std::string format_timestamp_ms(std::int64_t milliseconds) {
  return core::timestamp_text(milliseconds, core::TimeUnit::kMilli, true, core::TimestampLayout{.always_fraction = true});
}

TableLocation parse_table_location(std::string_view name) {
  TableLocation location;
  location.text = std::string(name);
  location.path = std::string(name);
  const auto at = name.rfind('@');
  if (at == std::string_view::npos) return location;
  const std::string_view suffix = name.substr(at + 1);
  const std::string_view path = name.substr(0, at);
  if (suffix.starts_with("v=")) {
    auto version = parse_version(suffix.substr(2));
    if (!version) {
      throw core::InputError(fmt::format("{}: version suffix '@{}': expected @v=N with N a non-negative integer",
                                         name, suffix));
    }
    location.version = version;
    location.path = std::string(path);
  } else if (suffix.starts_with("ts=")) {
    location.timestamp_ms = parse_timestamp_ms(suffix.substr(3), name);
    location.path = std::string(path);
  }
  // Any other '@' is part of the path itself.
  return location;
}

bool is_delta_table(const std::string& name, io::Storage& storage) {
  const auto location = parse_table_location(name);
  return storage.is_folder(io::join_path(location.path, "_delta_log"));
}

std::string commit_file_name(std::int64_t version) { return fmt::format("{:020d}.json", version); }

std::optional<std::int64_t> LogListing::latest_version() const {
  if (commits.empty() && checkpoints.empty()) return std::nullopt;
  std::int64_t latest = commits.empty() ? -1 : commits.rbegin()->first;
  if (!checkpoints.empty()) latest = std::max(latest, checkpoints.back().version);
  return latest;
}

const CheckpointFiles* LogListing::checkpoint_at_or_before(std::int64_t version) const {
  const CheckpointFiles* best = nullptr;
  for (const auto& checkpoint : checkpoints) {
    if (checkpoint.version > version) break;
    // Among checkpoints of one version any complete one will do; prefer the single-file kinds.
    if (!best || checkpoint.version > best->version || best->kind == CheckpointKind::kMultiPart) best = &checkpoint;
  }
  return best;
}

namespace {

// Sorts the files of a log listing into commits and complete checkpoints.
void add_log_files(LogListing& listing, const std::vector<io::FileInfo>& files) {
  // version -> (parts expected -> parts seen)
  std::map<std::int64_t, std::map<std::int64_t, std::map<std::int64_t, std::string>>> multi_part;
  for (const auto& file : files) {
    const std::string& path = file.path;
    const std::string_view name = io::file_name(path);
    if (name.size() < 21 || !all_digits(name.substr(0, 20)) || name[20] != '.') continue;
    const auto version = parse_version(name.substr(0, 20));
    if (!version) continue;
    const std::string_view rest = name.substr(21);
    if (rest == "json") {
      listing.commits.emplace(*version, path);
    } else if (rest == "checkpoint.parquet") {
      listing.checkpoints.push_back({*version, CheckpointKind::kClassic, {path}});
    } else if (rest.starts_with("checkpoint.")) {
      const std::string_view tail = rest.substr(11);
      // checkpoint.<part:10>.<parts:10>.parquet or checkpoint.<uuid>.(json|parquet)
      if (tail.size() == 10 + 1 + 10 + 8 && tail.substr(21) == ".parquet" && all_digits(tail.substr(0, 10)) &&
          tail[10] == '.' && all_digits(tail.substr(11, 10))) {
        const auto part = parse_version(tail.substr(0, 10));
        const auto parts = parse_version(tail.substr(11, 10));
        if (part && parts && *part >= 1 && *part <= *parts) multi_part[*version][*parts][*part] = path;
      } else if (tail.ends_with(".json") || tail.ends_with(".parquet")) {
        listing.checkpoints.push_back({*version, CheckpointKind::kUuid, {path}});
      }
    }
  }
  // A multi-part checkpoint with a missing part is ignored (PROTOCOL.md: it cannot be written atomically).
  for (auto& [version, by_count] : multi_part) {
    for (auto& [parts, files_of_part] : by_count) {
      if (static_cast<std::int64_t>(files_of_part.size()) != parts) continue;
      CheckpointFiles checkpoint{version, CheckpointKind::kMultiPart, {}};
      for (auto& [part, path] : files_of_part) checkpoint.files.push_back(path);
      listing.checkpoints.push_back(std::move(checkpoint));
    }
  }
  std::stable_sort(listing.checkpoints.begin(), listing.checkpoints.end(),
                   [](const CheckpointFiles& a, const CheckpointFiles& b) { return a.version < b.version; });
}

LogListing empty_listing(const std::string& table_root, io::Storage& storage) {
  LogListing listing;
  listing.table_root = table_root;
  listing.log_directory = io::join_path(table_root, "_delta_log");
  listing.storage = &storage;
  return listing;
}

}  // namespace

LogListing list_log(const std::string& table_root, io::Storage& storage) {
  LogListing listing = empty_listing(table_root, storage);
  if (!storage.is_folder(listing.log_directory)) {
    if (!storage.is_folder(table_root) && !storage.stat(table_root)) {
      throw core::InputError(fmt::format("{}: no such Delta table (the folder does not exist)", table_root));
    }
    throw core::InputError(fmt::format("{}: not a Delta table (no _delta_log folder)", table_root));
  }
  add_log_files(listing, storage.list(io::join_path(listing.log_directory, "")));
  listing.last_checkpoint = read_last_checkpoint(table_root, storage);
  return listing;
}

LogListing list_log_if_present(const std::string& table_root, io::Storage& storage) {
  LogListing listing = empty_listing(table_root, storage);
  add_log_files(listing, storage.list(io::join_path(listing.log_directory, "")));
  return listing;
}

LogListing list_log_from(const std::string& table_root, std::int64_t version, io::Storage& storage) {
  LogListing listing = empty_listing(table_root, storage);
  // Every name of a version sorts after its bare number: "…012" < "…012.checkpoint.parquet" < "…012.json".
  add_log_files(listing, storage.list_after(io::join_path(listing.log_directory, ""),
                                            io::join_path(listing.log_directory, fmt::format("{:020d}", version))));
  return listing;
}

std::optional<LastCheckpointHint> read_last_checkpoint(const std::string& table_root, io::Storage& storage) {
  // Only a hint: a missing, torn or corrupt one is ignored, never fatal.
  const std::string last = io::join_path(io::join_path(table_root, "_delta_log"), "_last_checkpoint");
  if (!storage.stat(last)) return std::nullopt;
  try {
    auto hint = nlohmann::json::parse(read_file_text(last, storage));
    if (!hint.is_object() || !hint.contains("version") || !hint["version"].is_number_integer()) return std::nullopt;
    LastCheckpointHint parsed;
    parsed.version = hint["version"].get<std::int64_t>();
    if (hint.contains("size") && hint["size"].is_number_integer()) parsed.size = hint["size"].get<std::int64_t>();
    if (hint.contains("parts") && hint["parts"].is_number_integer()) parsed.parts = hint["parts"].get<std::int64_t>();
    return parsed;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::string read_file_text(const std::string& path, io::Storage& storage) { return io::read_file(storage, path); }

std::vector<Action> read_commit(const std::string& commit_file, io::Storage& storage) {
  const std::string text = read_file_text(commit_file, storage);
  return parse_commit(text, commit_file);
}

InCommitTimestamps in_commit_timestamps(const StringMap& configuration) {
  // Delta 3.2 knows the feature only by its preview names (writer feature inCommitTimestamp-preview); the
  // protocol's final names came with Delta 3.3. Both forms mean the same.
  const auto property = [&](const std::string& name) -> const std::string* {
    for (const auto& key : {name, name + "-preview"}) {
      if (auto found = configuration.find(key); found != configuration.end()) return &found->second;
    }
    return nullptr;
  };
  InCommitTimestamps settings;
  const auto* enabled = property("delta.enableInCommitTimestamps");
  settings.enabled = enabled && *enabled == "true";
  if (!settings.enabled) return settings;
  // Without enablement properties the feature has been on since the table was created.
  settings.enablement_version = 0;
  if (const auto* version = property("delta.inCommitTimestampEnablementVersion")) {
    if (auto parsed = parse_version(*version)) settings.enablement_version = *parsed;
  }
  if (const auto* timestamp = property("delta.inCommitTimestampEnablementTimestamp")) {
    const bool negative = !timestamp->empty() && timestamp->front() == '-';
    if (auto parsed = parse_version(std::string_view(*timestamp).substr(negative ? 1 : 0))) {
      settings.enablement_timestamp_ms = negative ? -*parsed : *parsed;
    }
  }
  return settings;
}

std::vector<CommitTimestamp> commit_timestamps(const LogListing& listing, const StringMap& configuration) {
  const auto in_commit = in_commit_timestamps(configuration);
  io::Storage& storage = listing.storage ? *listing.storage : io::local_storage();
  std::vector<CommitTimestamp> timestamps;
  std::optional<std::int64_t> previous_file_time;
  for (const auto& [version, path] : listing.commits) {
    if (in_commit.enabled && version >= in_commit.enablement_version) {
      // The protocol puts commitInfo first in such commits: one line answers, unless a writer broke that rule.
      std::optional<std::int64_t> stamp;
      if (const auto first_line = read_first_line(path, storage)) {
        const auto parsed = nlohmann::json::parse(*first_line, nullptr, false);
        if (parsed.is_object() && parsed.contains("commitInfo")) {
          if (auto action = parse_action(parsed, ActionOrigin{path, 1})) {
            if (const auto* info = std::get_if<CommitInfo>(&*action)) stamp = info->in_commit_timestamp();
          }
        }
      }
      if (!stamp) {
        for (const auto& action : read_commit(path, storage)) {
          if (const auto* info = std::get_if<CommitInfo>(&action)) stamp = info->in_commit_timestamp();
        }
      }
      if (!stamp) {
        throw core::InputError(fmt::format(
            "{}: commitInfo.inCommitTimestamp is missing, but the table enables in-commit timestamps from version {} "
            "on (PROTOCOL.md, \"In-Commit Timestamps\")",
            path, in_commit.enablement_version));
      }
      timestamps.push_back({version, *stamp, true});
      continue;
    }
    const auto status = storage.stat(path);
    if (!status) throw core::InputError(fmt::format("{}: cannot read the modification time", path));
    std::int64_t timestamp = status->modified_ms;
    // File times can go backwards (clock skew, copies); Spark makes them increase for time travel.
    if (previous_file_time && timestamp <= *previous_file_time) timestamp = *previous_file_time + 1;
    previous_file_time = timestamp;
    timestamps.push_back({version, timestamp, false});
  }
  return timestamps;
}

std::int64_t version_at_timestamp(const std::vector<CommitTimestamp>& timestamps, std::int64_t timestamp_ms,
                                  const std::string& table,
                                  std::optional<std::int64_t> enablement_timestamp_ms) {
  if (timestamps.empty()) throw core::InputError(fmt::format("{}: the table has no commits to travel to", table));
  // File times before the enablement of in-commit timestamps and the in-commit timestamps after it are two
  // separate orders (a copied table's file times may even lie after every in-commit timestamp): the protocol
  // searches the commits after enablement when the timestamp is at or after the enablement timestamp, the ones
  // before it otherwise.
  const auto first_in_commit = std::find_if(timestamps.begin(), timestamps.end(),
                                            [](const CommitTimestamp& commit) { return commit.in_commit; });
  auto begin = timestamps.begin();
  auto end = timestamps.end();
  if (first_in_commit != timestamps.end()) {
    const std::int64_t enabled_at = enablement_timestamp_ms.value_or(first_in_commit->timestamp_ms);
    if (timestamp_ms >= enabled_at || first_in_commit == timestamps.begin()) {
      begin = first_in_commit;
    } else {
      end = first_in_commit;
    }
  }
  if (timestamp_ms < begin->timestamp_ms) {
    throw core::InputError(fmt::format(
        "{}: timestamp {} is before the earliest available version {} (committed at {})", table,
        format_timestamp_ms(timestamp_ms), begin->version, format_timestamp_ms(begin->timestamp_ms)));
  }
  const auto& latest = timestamps.back();
  if (end == timestamps.end() && timestamp_ms > latest.timestamp_ms) {
    throw core::InputError(fmt::format(
        "{}: timestamp {} is after the latest version {} (committed at {}); use a timestamp at or before it",
        table, format_timestamp_ms(timestamp_ms), latest.version, format_timestamp_ms(latest.timestamp_ms)));
  }
  auto after = std::upper_bound(begin, end, timestamp_ms, [](std::int64_t value, const CommitTimestamp& commit) {
    return value < commit.timestamp_ms;
  });
  return std::prev(after)->version;
}

}  // namespace driftgov::delta

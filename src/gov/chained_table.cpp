#include "gov/chained_table.hpp"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <thread>

#include "driftgov/delta/scan.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/gov/audit_log.hpp"

namespace driftgov::gov::detail {

std::unique_ptr<io::Storage::Lock> lock_for_append(const std::string& table, double wait_seconds) {
  auto& storage = io::local_storage();
  const std::string lock_path = table + "/_driftgov_append.lock";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_seconds);
  std::unique_ptr<io::Storage::Lock> lock;
  while (!(lock = storage.try_lock(lock_path))) {
    if (std::chrono::steady_clock::now() >= deadline) {
      throw AuditLogBusyError(fmt::format("{}: another append holds the lock {} (waited {:.1f} s); nothing was written",
                                          table, lock_path, wait_seconds));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return lock;
}

bool append_row_once(const std::string& table, const core::RecordBatch& batch, const std::string& app_id,
                     std::int64_t seq, std::int64_t time_us) {
  delta::TableWriteOptions write;
  write.mode = delta::WriteMode::kAppend;
  write.storage = &io::local_storage();
  write.idempotent = delta::TransactionId{app_id, seq, time_us / 1000};
  bool given = false;
  const auto result = delta::write_table(table, batch.schema,
                                         [&batch, &given]() -> std::optional<core::RecordBatch> {
                                           if (given) return std::nullopt;
                                           given = true;
                                           return batch;
                                         },
                                         write);
  return !result.skipped;
}

bool table_exists(const std::string& table) { return io::local_storage().is_folder(table + "/_delta_log"); }

void append_canonical_field(std::string& text, std::string_view name, std::string_view value) {
  text += fmt::format("{} {} ", name, value.size());
  text += value;
  text += '\n';
}

std::optional<std::pair<std::int64_t, std::string>> check_chained_row(const ChainedRow& row, std::size_t index,
                                                                      const std::string& recomputed_hash,
                                                                      const std::string& previous_hash,
                                                                      const Principals& principals,
                                                                      const ChainWords& words,
                                                                      bool check_signature) {
  using Problem = std::pair<std::int64_t, std::string>;
  const auto expected_seq = static_cast<std::int64_t>(index) + 1;
  if (row.seq < expected_seq) {  // sorted: the previous row has the same seq, or this is the first
    return Problem{row.seq, index == 0 ? fmt::format("seq {} is not a positive number (the table starts at 1)", row.seq)
                                       : fmt::format("seq {} appears more than once (a duplicated or inserted {})",
                                                     row.seq, words.row)};
  }
  if (row.seq > expected_seq) {
    return Problem{expected_seq, fmt::format("{0} seq {1} is missing (deleted); the next {0} is seq {2}", words.row,
                                             expected_seq, row.seq)};
  }
  if (recomputed_hash != row.hash) {
    return Problem{row.seq, fmt::format("{} does not match the {}'s fields (the {} was edited)", words.hash_column,
                                        words.row, words.row)};
  }
  if (row.prev_hash != previous_hash) {
    return Problem{row.seq, index == 0 ? fmt::format("prev_hash of the first {} is not 64 zeros", words.row)
                                       : fmt::format("prev_hash is not the {} of {} seq {} ({} was inserted, "
                                                     "deleted or reordered)",
                                                     words.hash_column, words.row, row.seq - 1, words.a_row)};
  }
  const auto principal = principals.find(row.actor);
  if (principal == principals.end()) {
    return Problem{row.seq, fmt::format("actor '{}' is not a principal of the configuration", row.actor)};
  }
  if (!check_signature) return std::nullopt;
  Signature signature{};
  if (!from_hex(row.signature, signature.data(), signature.size())) {
    return Problem{row.seq, fmt::format("signature is not {} lowercase hex digits", 2 * kSignatureBytes)};
  }
  if (!verify_signature(principal->second.public_key, row.hash, signature)) {
    return Problem{row.seq, fmt::format("signature is not valid for actor '{}' (public key {})", row.actor,
                                        principal->second.public_key.text())};
  }
  return std::nullopt;
}

core::Schema chained_schema(const std::vector<FieldRef>& fields) {
  using core::DataType;
  std::vector<core::Field> columns;
  for (const auto& field : fields) {
    const auto type = std::holds_alternative<std::string*>(field.value) ? DataType::string()
                      : field.is_time                                   ? DataType::timestamp()
                                                                        : DataType::int64();
    columns.push_back(core::Field{field.name, type, false, std::nullopt});
  }
  return core::Schema{std::move(columns)};
}

core::RecordBatch chained_batch(const std::vector<std::vector<FieldRef>>& rows) {
  if (rows.empty()) throw core::InternalError("chained_batch: no rows");
  core::RecordBatch batch;
  batch.schema = chained_schema(rows.front());
  for (const auto& field : batch.schema.fields) batch.columns.emplace_back(field.type);
  for (const auto& row : rows) {
    for (std::size_t index = 0; index < row.size(); ++index) {
      if (const auto* number = std::get_if<std::int64_t*>(&row[index].value)) {
        batch.columns[index].append_int(**number);
      } else {
        batch.columns[index].append_string(*std::get<std::string*>(row[index].value));
      }
    }
  }
  batch.num_rows = static_cast<std::int64_t>(rows.size());
  return batch;
}

std::string chained_canonical_text(const char* header, const std::vector<FieldRef>& fields) {
  std::string text = header;
  text += '\n';
  for (std::size_t index = 0; index + 2 < fields.size(); ++index) {
    const auto& field = fields[index];
    if (const auto* number = std::get_if<std::int64_t*>(&field.value)) {
      append_canonical_field(text, field.name, std::to_string(**number));
    } else {
      append_canonical_field(text, field.name, *std::get<std::string*>(field.value));
    }
  }
  return text;
}

std::int64_t scan_chained_rows(const std::string& table, const std::vector<std::string>& columns,
                               const std::function<void(std::vector<ChainedValue>&)>& row) {
  if (!table_exists(table)) return -1;
  const auto snapshot = delta::Snapshot::load(table);
  delta::ScanOptions options;
  options.columns = columns;
  delta::Scan scan(snapshot, std::move(options));
  while (auto batch = scan.next()) {
    for (std::int64_t index = 0; index < batch->num_rows; ++index) {
      std::vector<ChainedValue> values;
      for (const auto& column : batch->columns) {
        const bool valid = column.is_valid(index);
        if (column.type.id == core::TypeId::kString) {
          values.emplace_back(valid ? std::string(column.string_at(index)) : std::string());
        } else {
          values.emplace_back(valid ? column.ints[static_cast<std::size_t>(index)] : std::int64_t{0});
        }
      }
      row(values);
    }
  }
  return snapshot.version();
}

std::vector<std::string> json_strings(const std::string& text) {
  std::vector<std::string> values;
  const auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_array()) return values;
  for (const auto& value : parsed) {
    if (value.is_string()) values.push_back(value.get<std::string>());
  }
  return values;
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace driftgov::gov::detail

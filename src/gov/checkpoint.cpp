#include "driftgov/gov/checkpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <sodium.h>

#include <array>
#include <nlohmann/json.hpp>

#include "driftgov/core/column.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/delta/scan.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "gov/chained_table.hpp"

namespace driftgov::gov {
namespace {

using nlohmann::json;
using Digest = std::array<unsigned char, crypto_hash_sha256_BYTES>;

constexpr const char* kApplicationId = "driftgov.audit_checkpoints";

// RFC 9162, 2.1.1: leaves are SHA-256(0x00 || d), inner nodes SHA-256(0x01 || left || right), the split at the
// largest power of two smaller than the number of leaves.
Digest leaf_hash(const std::string& data) {
  Digest digest{};
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  const unsigned char prefix = 0x00;
  crypto_hash_sha256_update(&state, &prefix, 1);
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  crypto_hash_sha256_final(&state, digest.data());
  return digest;
}

Digest node_hash(const Digest& left, const Digest& right) {
  Digest digest{};
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  const unsigned char prefix = 0x01;
  crypto_hash_sha256_update(&state, &prefix, 1);
  crypto_hash_sha256_update(&state, left.data(), left.size());
  crypto_hash_sha256_update(&state, right.data(), right.size());
  crypto_hash_sha256_final(&state, digest.data());
  return digest;
}

Digest subtree_hash(const std::vector<AuditEntry>& entries, std::size_t begin, std::size_t end) {
  if (end - begin == 1) return leaf_hash(entries[begin].entry_hash + entries[begin].signature);
  std::size_t split = 1;
  while (split * 2 < end - begin) split *= 2;
  return node_hash(subtree_hash(entries, begin, begin + split), subtree_hash(entries, begin + split, end));
}

// The perfect subtrees of the log's Merkle tree, level by level (level l: the hashes of the aligned runs of 2^l
// leaves), built once in O(n); the tree hash of any prefix then combines O(log n) of them (RFC 9162, 2.1.1: the left
// part of a split is the largest power of two below the size, so every left part is one of these subtrees).
class MerkleLevels {
 public:
  explicit MerkleLevels(const std::vector<AuditEntry>& entries) {
    std::vector<Digest> leaves;
    leaves.reserve(entries.size());
    for (const auto& entry : entries) leaves.push_back(leaf_hash(entry.entry_hash + entry.signature));
    levels_.push_back(std::move(leaves));
    while (levels_.back().size() > 1) {
      const auto& below = levels_.back();
      std::vector<Digest> above;
      above.reserve(below.size() / 2);
      for (std::size_t i = 0; i + 1 < below.size(); i += 2) above.push_back(node_hash(below[i], below[i + 1]));
      levels_.push_back(std::move(above));
    }
  }

  // MTH of the first `count` leaves (count <= the leaves, > 0).
  Digest prefix_hash(std::size_t count) const { return range_hash(0, count); }

 private:
  // MTH of leaves [begin, begin + size), begin a multiple of the largest power of two not above size.
  Digest range_hash(std::size_t begin, std::size_t size) const {
    if ((size & (size - 1)) == 0) {  // a perfect subtree
      std::size_t level = 0;
      while ((std::size_t{1} << level) < size) ++level;
      return levels_[level][begin >> level];
    }
    std::size_t split = 1;
    while (split * 2 < size) split *= 2;
    return node_hash(range_hash(begin, split), range_hash(begin + split, size - split));
  }

  std::vector<std::vector<Digest>> levels_;
};

// The log's tree, built when a root is first asked for and then shared by every checkpoint of one check.
class LazyMerkleTree {
 public:
  explicit LazyMerkleTree(const std::vector<AuditEntry>& entries) : entries_(entries) {}
  // Lowercase hex MTH of the first `count` entries (count <= the entries).
  std::string root(std::size_t count) {
    if (count == 0) return sha256_hex("");
    if (!levels_) levels_.emplace(entries_);
    const auto digest = levels_->prefix_hash(count);
    return to_hex(digest.data(), digest.size());
  }

 private:
  const std::vector<AuditEntry>& entries_;
  std::optional<MerkleLevels> levels_;
};

core::Schema checkpoint_schema() {
  using core::DataType;
  const auto text = [](const char* name) { return core::Field{name, DataType::string(), false, std::nullopt}; };
  return core::Schema{{core::Field{"seq", DataType::int64(), false, std::nullopt}, text("target"),
                       core::Field{"tree_size", DataType::int64(), false, std::nullopt}, text("root_hash"),
                       core::Field{"time", DataType::timestamp(), false, std::nullopt}, text("signer"),
                       text("checkpoint_hash"), text("signature")}};
}

core::RecordBatch checkpoint_batch(std::int64_t seq, const AuditCheckpoint& c) {
  core::RecordBatch batch;
  batch.schema = checkpoint_schema();
  for (const auto& field : batch.schema.fields) batch.columns.emplace_back(field.type);
  batch.columns[0].append_int(seq);
  batch.columns[1].append_string(c.target);
  batch.columns[2].append_int(c.tree_size);
  batch.columns[3].append_string(c.root_hash);
  batch.columns[4].append_int(c.time_us);
  batch.columns[5].append_string(c.signer);
  batch.columns[6].append_string(c.checkpoint_hash);
  batch.columns[7].append_string(c.signature);
  batch.num_rows = 1;
  return batch;
}

struct StoredCheckpoint {
  std::int64_t seq = 0;
  AuditCheckpoint checkpoint;
};

std::vector<StoredCheckpoint> scan_checkpoints(const std::string& table) {
  std::vector<StoredCheckpoint> stored;
  if (!detail::table_exists(table)) return stored;
  const auto snapshot = delta::Snapshot::load(table);
  delta::ScanOptions options;
  options.columns = {"seq", "target", "tree_size", "root_hash", "time", "signer", "checkpoint_hash", "signature"};
  delta::Scan scan(snapshot, std::move(options));
  while (auto batch = scan.next()) {
    const auto& columns = batch->columns;
    const auto text = [&columns](std::size_t index, std::int64_t row) {
      return columns[index].is_valid(row) ? std::string(columns[index].string_at(row)) : std::string();
    };
    const auto number = [&columns](std::size_t index, std::int64_t row) {
      return columns[index].is_valid(row) ? columns[index].ints[static_cast<std::size_t>(row)] : std::int64_t{0};
    };
    for (std::int64_t row = 0; row < batch->num_rows; ++row) {
      stored.push_back({number(0, row),
                        {text(1, row), number(2, row), text(3, row), number(4, row), text(5, row), text(6, row),
                         text(7, row)}});
    }
  }
  std::stable_sort(stored.begin(), stored.end(),
                   [](const StoredCheckpoint& a, const StoredCheckpoint& b) { return a.seq < b.seq; });
  return stored;
}

// The problem of a checkpoint itself (its target, hash, signer or signature), or "".
std::string checkpoint_problem(const AuditCheckpoint& c, const std::string& target, const Principals& principals) {
  if (c.target != target) return fmt::format("it is a checkpoint of target '{}', not '{}'", c.target, target);
  if (c.tree_size < 0) return fmt::format("its tree_size {} is negative", c.tree_size);
  if (sha256_hex(canonical_checkpoint_text(c)) != c.checkpoint_hash) {
    return "its checkpoint_hash does not match its fields (the checkpoint was edited)";
  }
  const auto principal = principals.find(c.signer);
  if (principal == principals.end()) return fmt::format("its signer '{}' is not a principal", c.signer);
  if (principal->second.type != PrincipalType::kServicePrincipal) {
    return fmt::format("its signer '{}' is not a service principal", c.signer);
  }
  Signature signature{};
  if (!from_hex(c.signature, signature.data(), signature.size()) ||
      !verify_signature(principal->second.public_key, c.checkpoint_hash, signature)) {
    return fmt::format("its signature is not valid for '{}' (public key {})", c.signer,
                       principal->second.public_key.text());
  }
  return {};
}

}  // namespace

std::string merkle_tree_hash(const std::vector<AuditEntry>& entries, std::size_t count) {
  if (count > entries.size()) throw core::InternalError("merkle_tree_hash: count beyond the entries");
  if (count == 0) return sha256_hex("");
  const auto digest = subtree_hash(entries, 0, count);
  return to_hex(digest.data(), digest.size());
}

std::string canonical_checkpoint_text(const AuditCheckpoint& c) {
  std::string text = "driftgov-audit-checkpoint-v1\n";
  detail::append_canonical_field(text, "target", c.target);
  detail::append_canonical_field(text, "tree_size", std::to_string(c.tree_size));
  detail::append_canonical_field(text, "root_hash", c.root_hash);
  detail::append_canonical_field(text, "time", std::to_string(c.time_us));
  detail::append_canonical_field(text, "signer", c.signer);
  return text;
}

std::string audit_checkpoints_table(const std::string& lakehouse) {
  return lakehouse + "/governance/audit_checkpoints";
}

namespace {

VerifyResult verify_checkpoints_with(LazyMerkleTree& tree, std::int64_t entry_count,
                                     const std::vector<AuditCheckpoint>& checkpoints, const std::string& target,
                                     const Principals& principals) {
  VerifyResult result;
  result.entries = entry_count;
  for (const auto& c : checkpoints) {
    const auto described = fmt::format("checkpoint of {} entries signed by '{}' at {} us", c.tree_size, c.signer,
                                       c.time_us);
    if (auto problem = checkpoint_problem(c, target, principals); !problem.empty()) {
      result.bad_seq = c.tree_size;
      result.problem = fmt::format("the {} is not valid: {}", described, problem);
      return result;
    }
    if (c.tree_size > result.entries) {
      result.bad_seq = result.entries + 1;
      result.problem = fmt::format("entry seq {} is missing: the {} covers more than the log's {} entries (the newest "
                                   "entries were dropped)",
                                   result.entries + 1, described, result.entries);
      return result;
    }
    if (tree.root(static_cast<std::size_t>(c.tree_size)) != c.root_hash) {
      result.bad_seq = c.tree_size;
      result.problem = fmt::format("the first {} entries do not hash to the root_hash of the {} (the log was "
                                   "rewritten)",
                                   c.tree_size, described);
      return result;
    }
  }
  return result;
}

std::int64_t attested_with(LazyMerkleTree& tree, std::int64_t entry_count,
                           const std::vector<AuditCheckpoint>& checkpoints, const std::string& target,
                           const Principals& principals) {
  std::vector<const AuditCheckpoint*> candidates;
  for (const auto& c : checkpoints) {
    if (c.tree_size > 0 && c.tree_size <= entry_count) candidates.push_back(&c);
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const AuditCheckpoint* a, const AuditCheckpoint* b) { return a->tree_size > b->tree_size; });
  for (const auto* c : candidates) {
    if (checkpoint_problem(*c, target, principals).empty() &&
        tree.root(static_cast<std::size_t>(c->tree_size)) == c->root_hash) {
      return c->tree_size;
    }
  }
  return 0;
}

}  // namespace

AuditCheckpoint write_audit_checkpoint(const std::string& audit_table, const std::string& checkpoints_table,
                                       const std::string& target, const Principal& signer, const KeyPair& key,
                                       const Principals& principals) {
  if (signer.type != PrincipalType::kServicePrincipal) {
    throw core::InputError(fmt::format("audit checkpoint: principal '{}' is a {}; checkpoints are signed by a "
                                       "service principal",
                                       signer.name, to_string(signer.type)));
  }
  const auto lock = detail::lock_for_append(checkpoints_table, 30.0);
  const auto entries = read_audit_log(audit_table);  // in seq order
  LazyMerkleTree tree(entries);
  const auto count = static_cast<std::int64_t>(entries.size());
  const auto attested = attested_with(tree, count, read_audit_checkpoints(checkpoints_table), target, principals);
  const auto verified = verify_audit_entries(entries, principals, attested);
  if (!verified.ok()) {
    throw AuditCheckpointRefused(fmt::format("audit checkpoint: the log does not verify: entry seq {}: {}; no "
                                             "checkpoint was signed",
                                             *verified.bad_seq, verified.problem));
  }
  AuditCheckpoint checkpoint;
  checkpoint.target = target;
  checkpoint.tree_size = static_cast<std::int64_t>(entries.size());
  checkpoint.root_hash = tree.root(entries.size());
  checkpoint.time_us = detail::now_us();
  checkpoint.signer = signer.name;
  checkpoint.checkpoint_hash = sha256_hex(canonical_checkpoint_text(checkpoint));
  const auto signature = key.sign(checkpoint.checkpoint_hash);
  checkpoint.signature = to_hex(signature.data(), signature.size());
  const auto stored = scan_checkpoints(checkpoints_table);
  const std::int64_t seq = stored.empty() ? 1 : stored.back().seq + 1;
  if (!detail::append_row_once(checkpoints_table, checkpoint_batch(seq, checkpoint), kApplicationId, seq,
                               checkpoint.time_us)) {
    throw AuditLogBusyError(fmt::format("{}: checkpoint seq {} was taken by another writer; nothing was written",
                                        checkpoints_table, seq));
  }
  return checkpoint;
}

std::vector<AuditCheckpoint> read_audit_checkpoints(const std::string& checkpoints_table) {
  std::vector<AuditCheckpoint> checkpoints;
  for (auto& stored : scan_checkpoints(checkpoints_table)) checkpoints.push_back(std::move(stored.checkpoint));
  return checkpoints;
}

std::string checkpoint_json(const AuditCheckpoint& c) {
  const json j = {{"target", c.target},       {"tree_size", c.tree_size},           {"root_hash", c.root_hash},
                  {"time", c.time_us},        {"signer", c.signer},                 {"checkpoint_hash", c.checkpoint_hash},
                  {"signature", c.signature}};
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

AuditCheckpoint parse_checkpoint(const std::string& text, const std::string& what) {
  const auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) throw core::InputError(fmt::format("{}: expected a checkpoint as a JSON object", what));
  const auto field = [&](const char* name, bool integer) -> const json& {
    const auto found = j.find(name);
    if (found == j.end() || (integer ? !found->is_number_integer() : !found->is_string())) {
      throw core::InputError(fmt::format("{}: field '{}' must be {}", what, name, integer ? "an integer" : "text"));
    }
    return *found;
  };
  AuditCheckpoint c;
  c.target = field("target", false).get<std::string>();
  c.tree_size = field("tree_size", true).get<std::int64_t>();
  c.root_hash = field("root_hash", false).get<std::string>();
  c.time_us = field("time", true).get<std::int64_t>();
  c.signer = field("signer", false).get<std::string>();
  c.checkpoint_hash = field("checkpoint_hash", false).get<std::string>();
  c.signature = field("signature", false).get<std::string>();
  return c;
}

VerifyResult verify_audit_checkpoints(const std::vector<AuditEntry>& entries,
                                      const std::vector<AuditCheckpoint>& checkpoints, const std::string& target,
                                      const Principals& principals) {
  LazyMerkleTree tree(entries);
  return verify_checkpoints_with(tree, static_cast<std::int64_t>(entries.size()), checkpoints, target, principals);
}

std::int64_t attested_entries(const std::vector<AuditEntry>& entries, const std::vector<AuditCheckpoint>& checkpoints,
                              const std::string& target, const Principals& principals) {
  LazyMerkleTree tree(entries);
  return attested_with(tree, static_cast<std::int64_t>(entries.size()), checkpoints, target, principals);
}

VerifyResult verify_audit_trail(const std::vector<AuditEntry>& entries, const std::vector<AuditCheckpoint>& checkpoints,
                                const std::string& target, const Principals& principals, bool all_signatures) {
  LazyMerkleTree tree(entries);
  const auto count = static_cast<std::int64_t>(entries.size());
  const auto attested = all_signatures ? 0 : attested_with(tree, count, checkpoints, target, principals);
  auto result = verify_audit_entries(entries, principals, attested);
  if (result.ok()) result = verify_checkpoints_with(tree, count, checkpoints, target, principals);
  return result;
}

}  // namespace driftgov::gov

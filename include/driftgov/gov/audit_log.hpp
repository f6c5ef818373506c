#pragma once
// The tamper-evident audit log (docs/governance.md, "Audit log"): a Delta table <target lakehouse>/governance/
// audit_log whose entries form a hash chain, each signed by its actor.
//
// Entry fields: seq (1, 2, ...), time (UTC, microseconds), actor, action, target, subject, details (JSON text),
// prev_hash (the previous entry's entry_hash; 64 zeros for seq 1), entry_hash (hex SHA-256 of canonical_entry_text)
// and signature (hex Ed25519 signature of the 64 ASCII hex digits of entry_hash, by the actor's key).
//
// Appends are serialised by a lock on the table (io::Storage::try_lock), so that each entry chains to the one
// before; each commit is idempotent on (app id "driftgov.audit_log", seq), so a retried or raced append never
// writes one seq twice. verify_audit_log reads the table and names the first entry that is not what the chain and
// the principals' keys say it must be. Truncation of the newest entries is not detectable from the chain alone; a
// signed checkpoint (gov/checkpoint.hpp) catches it.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "driftgov/gov/keys.hpp"
#include "driftgov/gov/principals.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::gov {

struct AuditEntry {
  std::int64_t seq = 0;
  std::int64_t time_us = 0;  // microseconds since 1970-01-01T00:00:00Z
  std::string actor;
  std::string action;
  std::string target;
  std::string subject;
  std::string details;  // JSON text
  std::string prev_hash;
  std::string entry_hash;
  std::string signature;
};

// The prev_hash of the first entry.
const std::string& genesis_hash();

// The bytes entry_hash is the SHA-256 of (docs/governance.md): the line "driftgov-audit-v1", then one line per field
// in the order seq, time, actor, action, target, subject, details, prev_hash, each written
// "<name> <byte length> <value>\n" (seq and time as decimal integers, time in microseconds since the epoch).
std::string canonical_entry_text(const AuditEntry& entry);

// The table of a target: <lakehouse>/governance/audit_log.
std::string audit_log_table(const std::string& lakehouse);

// Another append held the lock for longer than the wait. The CLI exits 5.
class AuditLogBusyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AppendRequest {
  std::string action;
  std::string target;
  std::string subject;
  std::string details = "{}";  // JSON text
  std::optional<std::int64_t> time_us;  // default: now
};

// The table is on the local file system (delta::Snapshot reads local tables).
struct AppendOptions {
  double wait_seconds = 30.0;  // how long to wait for the table's lock
};

// Appends one entry signed by `actor` (whose name is `actor_name`) and returns it. Throws AuditLogBusyError when the
// lock stays taken, core::InputError when details is not valid JSON, core::IOError when the storage fails.
AuditEntry append_audit_entry(const std::string& table, const std::string& actor_name, const KeyPair& actor,
                              const AppendRequest& request, const AppendOptions& options = {});

// Every entry of the table in seq order (rows as stored; nothing is checked). Empty when the table does not exist.
std::vector<AuditEntry> read_audit_log(const std::string& table);

struct VerifyResult {
  std::int64_t entries = 0;
  // The first bad entry (by seq order) and what is wrong with it; nullopt when the log verifies.
  std::optional<std::int64_t> bad_seq;
  std::string problem;
  bool ok() const { return !bad_seq; }
};

// Checks the chain in seq order: seqs 1..N without gaps or repeats, each entry_hash equal to the hash of the
// entry's fields, each prev_hash equal to the previous entry's entry_hash, each actor a principal, and each
// signature valid for the actor's configured key. Stops at the first bad entry.
// `signatures_attested_through`: the entries seq 1..N whose signatures a verified checkpoint attests
// (attested_entries in checkpoint.hpp) are checked for everything but their signature; 0 checks every signature.
VerifyResult verify_audit_entries(const std::vector<AuditEntry>& entries, const Principals& principals,
                                  std::int64_t signatures_attested_through = 0);
// Sorts `entries` by seq (stable), leaving them untouched when they are in order already: the order a scan of a log
// that only driftgov appended to returns, so a million entries' strings are not moved for nothing.
void order_by_seq(std::vector<AuditEntry>& entries);
VerifyResult verify_audit_log(const std::string& table, const Principals& principals);

}  // namespace driftgov::gov

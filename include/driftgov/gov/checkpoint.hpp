#pragma once
// Signed checkpoints of the audit log (docs/governance.md, "Checkpoints"), in the style of RFC 9162's signed tree
// heads: the log's size and the Merkle tree hash (RFC 9162, 2.1.1) of its entries, signed by a service principal.
// A checkpoint kept away from the log (a file, a CI artefact, the checkpoints table) lets `audit verify` detect what
// the hash chain alone cannot: the newest entries dropped (truncation), or the first tree_size entries rewritten.
//
// The tree's leaves are the entries in seq order, leaf i's data the 64 ASCII hex digits of entry seq i+1's
// entry_hash followed by the 128 of its signature. The checkpoint's checkpoint_hash is the SHA-256 of its canonical text (the line
// "driftgov-audit-checkpoint-v1", then "<name> <byte length> <value>\n" for target, tree_size, root_hash, time and
// signer) and its signature the signer's Ed25519 signature of the 64 ASCII hex digits of checkpoint_hash.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "driftgov/gov/audit_log.hpp"

namespace driftgov::gov {

struct AuditCheckpoint {
  std::string target;
  std::int64_t tree_size = 0;
  std::string root_hash;  // lowercase hex of the Merkle tree hash of the first tree_size entries
  std::int64_t time_us = 0;
  std::string signer;
  std::string checkpoint_hash;
  std::string signature;
};

// RFC 9162's MTH over the first `count` entries of `entries` (sorted by seq), as lowercase hex. MTH of no entry is
// the SHA-256 of the empty string.
std::string merkle_tree_hash(const std::vector<AuditEntry>& entries, std::size_t count);

std::string canonical_checkpoint_text(const AuditCheckpoint& checkpoint);

// The table of a target's checkpoints: <lakehouse>/governance/audit_checkpoints.
std::string audit_checkpoints_table(const std::string& lakehouse);

// Signs a checkpoint of the log `audit_table` as it is now (its entries in seq order) and appends it to
// `checkpoints_table` (lock and idempotent commit as the audit log). The signer must be a service principal
// (core::InputError otherwise). Before signing it verifies the log (AuditCheckpointRefused naming the first bad
// entry, nothing written): every signature after the entries an earlier valid checkpoint attests, and the whole
// chain. A checkpoint therefore attests the signatures of the entries it covers.
AuditCheckpoint write_audit_checkpoint(const std::string& audit_table, const std::string& checkpoints_table,
                                       const std::string& target, const Principal& signer, const KeyPair& key,
                                       const Principals& principals);

// The log does not verify: no checkpoint is signed over it. The CLI exits 7.
class AuditCheckpointRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Every checkpoint of the table, oldest first; empty when the table does not exist.
std::vector<AuditCheckpoint> read_audit_checkpoints(const std::string& checkpoints_table);

// A checkpoint as JSON text {"target", "tree_size", "root_hash", "time", "signer", "checkpoint_hash", "signature"}
// (time in microseconds) and back; parse_checkpoint throws core::InputError naming `what` and the field.
std::string checkpoint_json(const AuditCheckpoint& checkpoint);
AuditCheckpoint parse_checkpoint(const std::string& text, const std::string& what);

// Checks the log's entries (sorted by seq, their chain verified) against each checkpoint: the checkpoint is for
// `target`, its hash and its signature by a service principal of `principals` are valid, the log holds at least
// tree_size entries (else the first missing seq is named: the newest entries were dropped), and the first tree_size
// entries hash to root_hash. Stops at the first problem.
// How many leading entries (seq 1..N; `entries` sorted by seq) a valid checkpoint attests: the largest tree_size of
// a checkpoint of `target` whose hash and service-principal signature are valid and whose root_hash the first
// tree_size entries hash to; 0 when none. The signer checked every entry's signature before signing
// (write_audit_checkpoint), and the root binds each entry_hash, which binds the entry's fields: so the signatures of
// those entries need not be checked again (verify_audit_entries' signatures_attested_through).
std::int64_t attested_entries(const std::vector<AuditEntry>& entries, const std::vector<AuditCheckpoint>& checkpoints,
                              const std::string& target, const Principals& principals);

// What `audit verify` checks of the log (`entries` sorted by seq): the chain, with the signatures of the entries a
// valid checkpoint attests left out unless `all_signatures`, then every checkpoint; the log's Merkle tree is built
// once for both.
VerifyResult verify_audit_trail(const std::vector<AuditEntry>& entries, const std::vector<AuditCheckpoint>& checkpoints,
                                const std::string& target, const Principals& principals, bool all_signatures);

VerifyResult verify_audit_checkpoints(const std::vector<AuditEntry>& entries,
                                      const std::vector<AuditCheckpoint>& checkpoints, const std::string& target,
                                      const Principals& principals);

}  // namespace driftgov::gov

// audit verify's CPU cost (gov::verify_audit_entries): the chain check of N signed entries held in memory, split into
// its parts: the SHA-256 of each entry's canonical text, and the Ed25519 verification of each signature.
// items_per_second is entries per second on one thread; the goal of issue 14 is 1M entries in under 10 s (100k/s).
// Figures and commands: docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "driftgov/gov/audit_log.hpp"
#include "driftgov/gov/checkpoint.hpp"
#include "driftgov/gov/keys.hpp"

namespace {

using driftgov::gov::AuditEntry;

struct SignedLog {
  driftgov::gov::KeyPair key = driftgov::gov::KeyPair::generate();
  driftgov::gov::Principals principals;
  std::vector<AuditEntry> entries;
};

// A monitor-refresh entry per seq, chained and signed as append_audit_entry makes them.
const SignedLog& signed_log(std::int64_t count) {
  static SignedLog log;
  if (static_cast<std::int64_t>(log.entries.size()) >= count) return log;
  log.principals["operator"] = {"operator", driftgov::gov::PrincipalType::kServicePrincipal, log.key.public_key(), {}};
  std::string previous =
      log.entries.empty() ? driftgov::gov::genesis_hash() : log.entries.back().entry_hash;
  for (auto seq = static_cast<std::int64_t>(log.entries.size()) + 1; seq <= count; ++seq) {
    AuditEntry entry;
    entry.seq = seq;
    entry.time_us = 1767225600000000 + seq * 60000000;
    entry.actor = "operator";
    entry.action = "monitor.refresh";
    entry.target = "prod";
    entry.subject = "demand_forecast";
    entry.details = R"({"monitor":"demand_forecast","refresh_id":"6f1c0b2e9a7d4e1f","state":"SUCCESS",)"
                    R"("table_version_from":)" + std::to_string(seq - 1) + R"(,"table_version_to":)" +
                    std::to_string(seq) + "}";
    entry.prev_hash = previous;
    entry.entry_hash = driftgov::gov::sha256_hex(driftgov::gov::canonical_entry_text(entry));
    const auto signature = log.key.sign(entry.entry_hash);
    entry.signature = driftgov::gov::to_hex(signature.data(), signature.size());
    previous = entry.entry_hash;
    log.entries.push_back(std::move(entry));
  }
  return log;
}

std::vector<AuditEntry> first(const SignedLog& log, std::int64_t count) {
  return {log.entries.begin(), log.entries.begin() + count};
}

void BM_VerifyChain(benchmark::State& state) {
  const auto& log = signed_log(state.range(0));
  const auto entries = first(log, state.range(0));
  for (auto _ : state) {
    auto result = driftgov::gov::verify_audit_entries(entries, log.principals);
    if (!result.ok()) state.SkipWithError(result.problem.c_str());
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_VerifyChain)->Arg(20000)->Unit(benchmark::kMillisecond);

void BM_EntryHashes(benchmark::State& state) {
  const auto& log = signed_log(state.range(0));
  for (auto _ : state) {
    for (std::int64_t index = 0; index < state.range(0); ++index) {
      benchmark::DoNotOptimize(driftgov::gov::sha256_hex(
          driftgov::gov::canonical_entry_text(log.entries[static_cast<std::size_t>(index)])));
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EntryHashes)->Arg(20000)->Unit(benchmark::kMillisecond);

void BM_SignatureChecks(benchmark::State& state) {
  const auto& log = signed_log(state.range(0));
  std::vector<driftgov::gov::Signature> signatures(static_cast<std::size_t>(state.range(0)));
  for (std::size_t index = 0; index < signatures.size(); ++index) {
    driftgov::gov::from_hex(log.entries[index].signature, signatures[index].data(), signatures[index].size());
  }
  for (auto _ : state) {
    for (std::size_t index = 0; index < signatures.size(); ++index) {
      benchmark::DoNotOptimize(
          driftgov::gov::verify_signature(log.key.public_key(), log.entries[index].entry_hash, signatures[index]));
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SignatureChecks)->Arg(20000)->Unit(benchmark::kMillisecond);

// audit verify as the CLI runs it on a log with a signed checkpoint covering all but the newest 1,000 entries: the
// attested prefix (the checkpoint's signature and Merkle root), the chain of every entry with the signatures of the
// uncovered ones, and the checkpoints' check.
void BM_VerifyWithCheckpoint(benchmark::State& state) {
  const auto& log = signed_log(state.range(0));
  const auto entries = first(log, state.range(0));
  driftgov::gov::AuditCheckpoint checkpoint;
  checkpoint.target = "prod";
  checkpoint.tree_size = state.range(0) - 1000;
  checkpoint.root_hash = driftgov::gov::merkle_tree_hash(entries, static_cast<std::size_t>(checkpoint.tree_size));
  checkpoint.time_us = 1767225600000000;
  checkpoint.signer = "operator";
  checkpoint.checkpoint_hash = driftgov::gov::sha256_hex(driftgov::gov::canonical_checkpoint_text(checkpoint));
  const auto signature = log.key.sign(checkpoint.checkpoint_hash);
  checkpoint.signature = driftgov::gov::to_hex(signature.data(), signature.size());
  const std::vector<driftgov::gov::AuditCheckpoint> checkpoints{checkpoint};
  for (auto _ : state) {
    const auto result = driftgov::gov::verify_audit_trail(entries, checkpoints, "prod", log.principals, false);
    if (!result.ok()) state.SkipWithError(result.problem.c_str());
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_VerifyWithCheckpoint)->Arg(1000000)->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

#include "cli/lineage_job.hpp"

#include <fmt/format.h>

#include <exception>
#include <utility>
#include <vector>

namespace driftgov::cli {
namespace {

struct PendingFailure {
  gov::LineageEmitter emitter;
  gov::LineageRun run;
};

std::vector<PendingFailure>& pending_failures() {
  static std::vector<PendingFailure> pending;
  return pending;
}

void emit_fail(gov::LineageEmitter& emitter, const gov::LineageRun& run, const std::string& error) {
  try {
    for (const auto& warning : emitter.emit(run, gov::LineageEventType::kFail, error)) {
      fmt::print(stderr, "driftgov: warning: {}\n", warning);
    }
  } catch (const std::exception& failure) {  // the job's own error is the one to report
    fmt::print(stderr, "driftgov: warning: lineage FAIL event not recorded: {}\n", failure.what());
  }
}

}  // namespace

void flush_lineage_failures(const std::string& error) {
  auto pending = std::move(pending_failures());
  pending_failures().clear();
  for (auto& job : pending) emit_fail(job.emitter, job.run, error);
}

LineageJob::LineageJob(const monitor::Config& config, std::string job_name, std::string job_type)
    : emitter_(config.lineage, DRIFTGOV_VERSION) {
  run_.job_name = std::move(job_name);
  run_.job_type = std::move(job_type);
  if (emitter_.enabled()) run_.run_id = gov::new_lineage_run_id();
}

void LineageJob::emit(gov::LineageEventType type, const std::string& error) {
  if (!emitter_.enabled()) return;
  for (const auto& warning : emitter_.emit(run_, type, error)) fmt::print(stderr, "driftgov: warning: {}\n", warning);
}

LineageJob::~LineageJob() {
  if (!started_ || finished_ || !emitter_.enabled()) return;
  if (std::uncaught_exceptions() > 0) {
    pending_failures().push_back({emitter_, run_});
  } else {
    emit_fail(emitter_, run_, "the job ended without completing");
  }
}

void LineageJob::start() {
  started_ = true;
  emit(gov::LineageEventType::kStart, "");
}
void LineageJob::complete() {
  finished_ = true;
  emit(gov::LineageEventType::kComplete, "");
}
void LineageJob::fail(const std::string& error) {
  finished_ = true;
  if (emitter_.enabled()) emit_fail(emitter_, run_, error);
}

}  // namespace driftgov::cli

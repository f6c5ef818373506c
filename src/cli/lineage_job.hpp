#pragma once
// A governed job's OpenLineage events (docs/lineage.md): START before it runs, COMPLETE after, FAIL with the error
// when it throws. Disabled (nothing emitted, nothing read) when the configuration has no `lineage:` block.
//
// A job left by an exception without complete() or fail() is held until the CLI reports the error
// (report_failure calls flush_lineage_failures with the message), so its FAIL event carries the error the user
// sees, without wrapping the command's body.
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "driftgov/gov/lineage.hpp"
#include "driftgov/monitor/config.hpp"

namespace driftgov::cli {

class LineageJob {
 public:
  // `inputs` are the datasets known before the job runs (the COMPLETE event may name them again, with metrics).
  LineageJob(const monitor::Config& config, std::string job_name, std::string job_type);
  ~LineageJob();
  LineageJob(const LineageJob&) = delete;
  LineageJob& operator=(const LineageJob&) = delete;
  bool enabled() const { return emitter_.enabled(); }
  gov::LineageRun& run() { return run_; }
  void start();
  void complete();
  void fail(const std::string& error);

  // Runs `body` between START and COMPLETE; `finish(result, run)` fills the COMPLETE event's datasets. A throwing
  // body emits FAIL with its message and the exception goes on.
  template <typename Body, typename Finish>
  auto around(Body&& body, Finish&& finish) {
    start();
    try {
      auto result = body();
      if (enabled()) finish(result, run_);
      complete();
      return result;
    } catch (const std::exception& error) {
      fail(error.what());
      throw;
    }
  }

 private:
  void emit(gov::LineageEventType type, const std::string& error);

  gov::LineageEmitter emitter_;
  gov::LineageRun run_;
  bool started_ = false, finished_ = false;
};

// Emits the FAIL events of the jobs an exception left, with the error's message.
void flush_lineage_failures(const std::string& error);

}  // namespace driftgov::cli

#include "driftgov/monitor/profiling.hpp"

#include <fmt/format.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <system_error>
#include <thread>

#include "driftgov/core/error.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/sources.hpp"

namespace driftgov::monitor {

bool is_profile_file(const std::string& location) {
  auto& storage = io::local_storage();
  if (!storage.stat(location)) return false;
  const auto file = storage.open_read(location);
  const auto text = file->mapped().value_or(std::string_view());
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') return false;  // data files never start with JSON
  // Object keys are written in sorted order, so the format name can sit anywhere: scan the whole document.
  const std::string needle = fmt::format("\"format\":\"{}\"", stats::kProfileFormatName);
  return text.find(needle) != std::string_view::npos;
}

std::string profile_text(const stats::DatasetProfile& profile) { return profile.to_json().dump() + '\n'; }

stats::DatasetProfile parse_profile(const std::string& text, const std::string& context) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& error) {  // parse_error, and out_of_range for a number beyond double
    throw core::InputError(fmt::format("{}: not valid JSON: {}", context, error.what()));
  }
  return stats::DatasetProfile::from_json(json, context);
}

stats::DatasetProfile load_profile(const std::string& path) {
  return parse_profile(io::read_file(io::local_storage(), path), path);
}

void save_profile(const stats::DatasetProfile& profile, const std::string& path, io::Storage& storage) {
  io::write_file_atomically(storage, path, profile_text(profile));
}

namespace {

// Reads batches on the calling thread and profiles them on `threads` workers, each with its own Profiler;
// the partial profiles are merged in a fixed order (worker index), so the result is deterministic for counts
// and moments, and within the sketch bounds for sketches.
stats::DatasetProfile profile_parallel(io::Source& source, const stats::ProfileOptions& options,
                                       int threads) {
  std::mutex mutex;
  std::condition_variable ready;
  std::condition_variable space;
  std::deque<core::RecordBatch> queue;
  bool done = false;
  std::exception_ptr failure;
  const std::size_t max_queued = static_cast<std::size_t>(threads) * 2;
  std::vector<stats::Profiler> profilers;
  profilers.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) profilers.emplace_back(options);
  // One flag per worker in its own byte: std::vector<bool> packs bits, and workers setting neighbouring bits
  // would race on the same word.
  std::vector<char> used(static_cast<std::size_t>(threads), 0);
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(threads));
  const auto stop_workers = [&] {
    {
      std::lock_guard lock(mutex);
      done = true;
    }
    ready.notify_all();
    for (auto& worker : workers) worker.join();
  };
  try {
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (;;) {
          core::RecordBatch batch;
          {
            std::unique_lock lock(mutex);
            ready.wait(lock, [&] { return !queue.empty() || done; });
            if (queue.empty()) return;
            batch = std::move(queue.front());
            queue.pop_front();
          }
          space.notify_one();
          try {
            profilers[static_cast<std::size_t>(t)].consume(batch);
            used[static_cast<std::size_t>(t)] = 1;
          } catch (...) {
            std::lock_guard lock(mutex);
            if (!failure) failure = std::current_exception();
            done = true;
            ready.notify_all();
            space.notify_all();
            return;
          }
        }
      });
    }
  } catch (const std::system_error& error) {
    // The system refused a thread: the ones already started wait for work and must be joined before
    // unwinding.
    stop_workers();
    throw std::runtime_error(
        fmt::format("could not start profiling worker {} of {} ({}); use fewer --threads", workers.size() + 1,
                    threads, error.what()));
  }
  std::optional<core::Schema> schema;
  try {
    while (auto batch = source.next()) {
      if (!schema) schema = batch->schema;
      std::unique_lock lock(mutex);
      space.wait(lock, [&] { return queue.size() < max_queued || done; });
      if (done) break;
      queue.push_back(std::move(*batch));
      ready.notify_one();
    }
  } catch (...) {
    std::lock_guard lock(mutex);
    if (!failure) failure = std::current_exception();
  }
  stop_workers();
  if (failure) std::rethrow_exception(failure);

  stats::DatasetProfile merged;
  merged.sketch_k = options.sketch_k;
  merged.category_cap = options.category_cap;
  bool any = false;
  for (int t = 0; t < threads; ++t) {
    if (!used[static_cast<std::size_t>(t)]) continue;
    auto part = profilers[static_cast<std::size_t>(t)].finish(source.description());
    if (!any) {
      merged = std::move(part);
      any = true;
    } else {
      merged.merge(part);
    }
  }
  if (!any) {
    // No rows: an empty profile with the source's columns.
    stats::Profiler empty(options);
    core::RecordBatch batch;
    batch.schema = source.schema();
    for (const auto& field : batch.schema.fields) batch.columns.emplace_back(field.type);
    empty.consume(batch);
    merged = empty.finish(source.description());
  }
  merged.source = source.description();
  return merged;
}

void check_threads(int threads) {
  if (threads < 0 || threads > kMaxThreads) {
    throw core::option_error(core::OptionName{"threads"},
                             fmt::format(" must be from 0 (one per core) to {}, got {}", kMaxThreads, threads));
  }
}

}  // namespace

stats::DatasetProfile profile_location(const std::string& location, const io::SourceOptions& source_options,
                                       const stats::ProfileOptions& profile_options, int threads) {
  check_threads(threads);
  profile_options.validate();
  source_options.validate();
  if (is_profile_file(location)) {
    return load_profile(location);
  }
  auto source = open_source(location, source_options);
  return profile_source(*source, profile_options, threads);
}

stats::DatasetProfile profile_source(io::Source& source, const stats::ProfileOptions& profile_options, int threads) {
  check_threads(threads);
  profile_options.validate();
  // By default one worker per core but the one this thread keeps busy reading and decoding: another worker
  // would only contend for the same cores and add a partial profile (and its exact samples) to merge.
  if (threads <= 0) threads = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()) - 1);
  return profile_parallel(source, profile_options, threads);
}

}  // namespace driftgov::monitor

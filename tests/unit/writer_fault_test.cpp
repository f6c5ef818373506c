// Every writer under storage faults (tests/unit/fault_injecting_storage.hpp): for each write, fsync and rename
// the writer performs, a run where exactly that one fails (ENOSPC, a short write, a crash before or after the
// publish) must leave either the previous state or the complete new file, never a half file under the final
// name, and no temporary file a reader would see (after a failure none at all; after a crash only hidden ones).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <cstring>
#include <functional>
#include <tuple>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/checkpoint.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/monitor/profiling.hpp"
#include "driftgov/parquet/reader.hpp"
#include "driftgov/parquet/writer.hpp"
#include "fault_injecting_storage.hpp"

namespace driftgov {
namespace {

namespace fs = std::filesystem;
using testing::Fault;
using testing::FaultInjectingStorage;

class Folder {
 public:
  Folder() {
    static int counter = 0;
    root_ = fs::temp_directory_path() / fmt::format("driftgov-fault-test-{}-{}", ::getpid(), counter++);
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  ~Folder() { fs::remove_all(root_); }
  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
};

// Names of the files under `folder`, recursively, relative to it.
std::vector<std::string> files_under(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) names.push_back(fs::relative(entry.path(), folder).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool is_hidden_temporary(const std::string& relative) {
  const auto name = fs::path(relative).filename().string();
  return name.starts_with(".") && name.ends_with(".tmp");
}

enum class Outcome { kFailed, kCrashedBeforePublish, kCrashedAfterPublish };

// Runs `write` once without faults to count its operations, then once per (fault, Nth operation), each time
// after `reset` restored the previous state; `check` then inspects the state. Returns the number of faulted runs.
int run_every_fault(const std::function<void()>& reset, const std::function<void(io::Storage&)>& write,
                    const std::function<void(Outcome, const std::string& label)>& check) {
  reset();
  FaultInjectingStorage counting(io::local_storage(), {});
  write(counting);
  const std::pair<Fault, int> plans[] = {
      {Fault::kFailWrite, counting.writes()},          {Fault::kShortWrite, counting.writes()},
      {Fault::kFailSync, counting.syncs()},            {Fault::kFailRename, counting.renames()},
      {Fault::kCrashBeforePublish, counting.renames()}, {Fault::kCrashAfterPublish, counting.renames()}};
  int runs = 0;
  for (const auto& [fault, count] : plans) {
    for (int nth = 1; nth <= count; ++nth) {
      reset();
      FaultInjectingStorage faulty(io::local_storage(), {fault, nth, ENOSPC});
      const auto label = fmt::format("fault {} at operation {} of {}", static_cast<int>(fault), nth, count);
      Outcome outcome = Outcome::kFailed;
      try {
        write(faulty);
        ADD_FAILURE() << label << ": no error";
      } catch (const core::IOError& error) {
        EXPECT_NE(std::string(error.what()).find(std::strerror(ENOSPC)), std::string::npos) << label;
      } catch (const testing::SimulatedCrash&) {
        outcome = fault == Fault::kCrashAfterPublish ? Outcome::kCrashedAfterPublish : Outcome::kCrashedBeforePublish;
      }
      EXPECT_TRUE(faulty.fired()) << label;
      check(outcome, label);
      ++runs;
    }
  }
  return runs;
}

// After a failure no temporary file remains; after a crash only hidden ones, which readers skip.
void expect_no_visible_temporary(const fs::path& folder, Outcome outcome, const std::string& label) {
  for (const auto& name : files_under(folder)) {
    if (outcome == Outcome::kFailed) {
      EXPECT_FALSE(is_hidden_temporary(name)) << label << ": temporary file left: " << name;
    }
    EXPECT_TRUE(is_hidden_temporary(name) || !name.ends_with(".tmp")) << label << ": " << name;
  }
}

core::RecordBatch numbers(std::int64_t first, std::int64_t count) {
  core::RecordBatch batch;
  batch.schema.fields = {core::Field{"x", core::DataType::int64(), true, std::nullopt}};
  core::Column values(core::DataType::int64());
  for (std::int64_t i = 0; i < count; ++i) values.append_int(first + i);
  batch.columns = {values};
  batch.num_rows = count;
  return batch;
}

TEST(WriterFaults, ParquetFileIsWholeOrThePreviousOne) {
  Folder folder;
  const auto path = (folder.root() / "data.parquet").string();
  parquet::WriterOptions options;
  options.row_group_rows = 10;  // several row groups: several writes
  const int runs = run_every_fault(
      [&] {
        fs::remove_all(folder.root());
        parquet::write_parquet_file(path, numbers(0, 5));
      },
      [&](io::Storage& storage) {
        auto with_storage = options;
        with_storage.storage = &storage;
        parquet::write_parquet_file(path, numbers(100, 35), with_storage);
      },
      [&](Outcome outcome, const std::string& label) {
        const auto rows = parquet::FileReader::open(path).num_rows();
        EXPECT_EQ(rows, outcome == Outcome::kCrashedAfterPublish ? 35 : 5) << label;
        expect_no_visible_temporary(folder.root(), outcome, label);
      });
  EXPECT_GE(runs, 6 * 1 + 2 * 3);  // 4 row groups and the footer: at least 5 writes
}

delta::TableWriteOptions append_options(io::Storage& storage) {
  delta::TableWriteOptions options;
  options.mode = delta::WriteMode::kAppend;
  options.storage = &storage;
  options.commit.checkpoint_interval = 0;  // checkpoints are tested apart
  return options;
}

std::int64_t rows_of(const delta::Snapshot& snapshot) {
  std::int64_t rows = 0;
  for (const auto& file : snapshot.files()) rows += parquet::FileReader::open(snapshot.file_path(file)).num_rows();
  return rows;
}

TEST(WriterFaults, DeltaCommitIsAtomic) {
  Folder folder;
  const auto root = folder.root() / "table";
  const auto append = [&](io::Storage& storage, std::int64_t first, std::int64_t count) {
    bool done = false;
    delta::write_table(root, numbers(0, 0).schema, [&]() -> std::optional<core::RecordBatch> {
      if (std::exchange(done, true)) return std::nullopt;
      return numbers(first, count);
    }, append_options(storage));
  };
  run_every_fault(
      [&] {
        fs::remove_all(root);
        append(io::local_storage(), 0, 5);  // version 0
      },
      [&](io::Storage& storage) { append(storage, 100, 7); },
      [&](Outcome outcome, const std::string& label) {
        const auto snapshot = delta::Snapshot::load(root);
        // Only a crash after the commit file's publish may show version 1, and then with every new row.
        const bool committed = snapshot.version() == 1;
        EXPECT_TRUE(committed ? outcome == Outcome::kCrashedAfterPublish : snapshot.version() == 0) << label;
        EXPECT_EQ(rows_of(snapshot), committed ? 12 : 5) << label;
        expect_no_visible_temporary(root, outcome, label);
      });
}

TEST(WriterFaults, CheckpointAndItsPointerAreWholeOrAbsent) {
  Folder folder;
  const auto root = folder.root() / "table";
  const auto log = root / "_delta_log";
  run_every_fault(
      [&] {
        fs::remove_all(root);
        for (int version = 0; version < 3; ++version) {
          bool done = false;
          delta::write_table(root, numbers(0, 0).schema, [&]() -> std::optional<core::RecordBatch> {
            if (std::exchange(done, true)) return std::nullopt;
            return numbers(version * 10, 2);
          }, append_options(io::local_storage()));
        }
      },
      [&](io::Storage& storage) { delta::write_checkpoint(delta::Snapshot::load(root), storage); },
      [&](Outcome outcome, const std::string& label) {
        const bool has_checkpoint = fs::exists(log / "00000000000000000002.checkpoint.parquet");
        const bool has_pointer = fs::exists(log / "_last_checkpoint");
        EXPECT_TRUE(has_checkpoint || !has_pointer) << label << ": _last_checkpoint without its checkpoint";
        if (has_checkpoint) {
          // A whole checkpoint: every action of version 2 (protocol, metadata, 3 adds).
          const auto actions = delta::parse_parquet_checkpoint(
              io::read_file(io::local_storage(), (log / "00000000000000000002.checkpoint.parquet").string()), label);
          EXPECT_EQ(actions.size(), 5u) << label;
        }
        const auto snapshot = delta::Snapshot::load(root);
        EXPECT_EQ(snapshot.version(), 2) << label;
        EXPECT_EQ(rows_of(snapshot), 6) << label;
        expect_no_visible_temporary(root, outcome, label);
      });
}

// A checkpoint that fails after the commit does not fail the write (Spark logs such a failure and goes on): for
// every write, fsync and rename of the checkpoint and of _last_checkpoint, the write returns with the version
// committed and every row readable, says why no checkpoint was written, and leaves no temporary file.
TEST(WriterFaults, CheckpointFailingAfterTheCommitIsAWarning) {
  Folder folder;
  const auto root = folder.root() / "table";
  const auto log = root / "_delta_log";
  const auto append = [&](io::Storage& storage, std::int64_t first, std::int64_t count, int checkpoint_interval) {
    auto options = append_options(storage);
    options.commit.checkpoint_interval = checkpoint_interval;
    bool done = false;
    return delta::write_table(root, numbers(0, 0).schema, [&]() -> std::optional<core::RecordBatch> {
      if (std::exchange(done, true)) return std::nullopt;
      return numbers(first, count);
    }, options);
  };
  const auto reset = [&] {
    fs::remove_all(root);
    append(io::local_storage(), 0, 5, 0);  // version 0
  };
  // The operations up to the commit, then those of the same write followed by its checkpoint.
  reset();
  FaultInjectingStorage commit_only(io::local_storage(), {});
  append(commit_only, 100, 7, 0);
  reset();
  FaultInjectingStorage with_checkpoint(io::local_storage(), {});
  ASSERT_TRUE(append(with_checkpoint, 100, 7, 1).checkpoint_written);
  const std::tuple<Fault, int, int> plans[] = {
      {Fault::kFailWrite, commit_only.writes(), with_checkpoint.writes()},
      {Fault::kShortWrite, commit_only.writes(), with_checkpoint.writes()},
      {Fault::kFailSync, commit_only.syncs(), with_checkpoint.syncs()},
      {Fault::kFailRename, commit_only.renames(), with_checkpoint.renames()}};
  int runs = 0;
  for (const auto& [fault, committed_at, total] : plans) {
    for (int nth = committed_at + 1; nth <= total; ++nth) {
      reset();
      FaultInjectingStorage faulty(io::local_storage(), {fault, nth, ENOSPC});
      const auto label = fmt::format("fault {} at operation {} of {}", static_cast<int>(fault), nth, total);
      delta::TableWriteResult result;
      ASSERT_NO_THROW(result = append(faulty, 100, 7, 1)) << label;
      EXPECT_TRUE(faulty.fired()) << label;
      EXPECT_EQ(result.version, 1) << label;
      EXPECT_EQ(result.rows, 7) << label;
      EXPECT_FALSE(result.checkpoint_written) << label;
      EXPECT_NE(result.checkpoint_error.find("version 1 is committed, but its checkpoint was not written"),
                std::string::npos)
          << label << ": " << result.checkpoint_error;
      EXPECT_NE(result.checkpoint_error.find(std::strerror(ENOSPC)), std::string::npos) << label;
      EXPECT_NE(result.checkpoint_error.find(log.string()), std::string::npos) << label;
      // A pointer never names a checkpoint that is not there.
      EXPECT_TRUE(fs::exists(log / "00000000000000000001.checkpoint.parquet") || !fs::exists(log / "_last_checkpoint"))
          << label;
      const auto snapshot = delta::Snapshot::load(root);
      EXPECT_EQ(snapshot.version(), 1) << label;
      EXPECT_EQ(rows_of(snapshot), 12) << label;
      expect_no_visible_temporary(root, Outcome::kFailed, label);
      ++runs;
    }
  }
  // The checkpoint and _last_checkpoint: each at least one write, one fsync and one rename.
  EXPECT_GE(runs, 4 * 2);
}

// TableWriteOptions::storage is the one storage of a table write: data file, commit and checkpoint all go through
// it; a Parquet or commit storage naming another one is refused before anything is written.
TEST(WriterFaults, TableWriteGoesThroughItsOneStorage) {
  Folder folder;
  const auto root = folder.root() / "table";
  const auto write = [&](const delta::TableWriteOptions& options) {
    bool done = false;
    return delta::write_table(root, numbers(0, 0).schema, [&]() -> std::optional<core::RecordBatch> {
      if (std::exchange(done, true)) return std::nullopt;
      return numbers(0, 3);
    }, options);
  };
  delta::TableWriteOptions create;
  write(create);  // version 0 on the local storage
  FaultInjectingStorage counting(io::local_storage(), {});
  delta::TableWriteOptions options;
  options.mode = delta::WriteMode::kAppend;
  options.storage = &counting;
  options.parquet.storage = &counting;  // the same storage again is no conflict
  options.commit.checkpoint_interval = 1;
  const auto result = write(options);
  EXPECT_EQ(result.version, 1);
  EXPECT_TRUE(result.checkpoint_written);
  // Published through it: the data file, the commit (put-if-absent), the checkpoint and _last_checkpoint.
  EXPECT_EQ(counting.renames(), 4);

  for (const bool parquet_side : {true, false}) {
    FaultInjectingStorage other(io::local_storage(), {});
    auto conflicting = options;
    conflicting.parquet.storage = parquet_side ? &other : nullptr;
    conflicting.commit.storage = parquet_side ? nullptr : &other;
    try {
      write(conflicting);
      ADD_FAILURE() << "no error";
    } catch (const core::InternalError& error) {
      EXPECT_NE(std::string(error.what()).find(parquet_side ? "parquet.storage" : "commit.storage"),
                std::string::npos)
          << error.what();
    }
    EXPECT_EQ(counting.renames() + other.renames() + other.writes(), 4);
    EXPECT_EQ(delta::Snapshot::load(root).version(), 1);
  }
  // A caller written before TableWriteOptions::storage, naming one storage in both nested options.
  FaultInjectingStorage nested(io::local_storage(), {});
  delta::TableWriteOptions nested_only;
  nested_only.mode = delta::WriteMode::kAppend;
  nested_only.parquet.storage = &nested;
  nested_only.commit.storage = &nested;
  nested_only.commit.checkpoint_interval = 2;
  EXPECT_EQ(write(nested_only).version, 2);
  EXPECT_EQ(nested.renames(), 4);
}

TEST(WriterFaults, ProfileFileIsWholeOrThePreviousOne) {
  Folder folder;
  const auto path = (folder.root() / "reference.profile.json").string();
  stats::DatasetProfile previous;
  previous.row_count = 3;
  stats::DatasetProfile next;
  next.row_count = 7;
  run_every_fault([&] { fs::remove_all(folder.root()); monitor::save_profile(previous, path); },
                  [&](io::Storage& storage) { monitor::save_profile(next, path, storage); },
                  [&](Outcome outcome, const std::string& label) {
                    EXPECT_EQ(monitor::load_profile(path).row_count,
                              outcome == Outcome::kCrashedAfterPublish ? 7 : 3)
                        << label;
                    expect_no_visible_temporary(folder.root(), outcome, label);
                  });
}

// The JSON result of compare and every small whole-file write go through write_file_atomically.
TEST(WriterFaults, WholeFileWriteIsWholeOrThePreviousOne) {
  Folder folder;
  const auto path = (folder.root() / "result.json").string();
  const std::string next(100000, 'n');
  run_every_fault(
      [&] {
        fs::remove_all(folder.root());
        io::write_file_atomically(io::local_storage(), path, "previous");
      },
      [&](io::Storage& storage) { io::write_file_atomically(storage, path, next); },
      [&](Outcome outcome, const std::string& label) {
        EXPECT_EQ(io::read_file(io::local_storage(), path),
                  outcome == Outcome::kCrashedAfterPublish ? next : std::string("previous"))
            << label;
        expect_no_visible_temporary(folder.root(), outcome, label);
      });
}

}  // namespace
}  // namespace driftgov

// Delta transactions: put-if-absent commits, Spark's conflict rules and retries, idempotent txn.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "driftgov/delta/log.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/delta/transaction.hpp"
#include "fault_injecting_storage.hpp"

namespace driftgov::delta {
namespace {

namespace fs = std::filesystem;

class TableFolder {
 public:
  TableFolder() {
    static int counter = 0;
    root_ = fs::temp_directory_path() / fmt::format("driftgov-txn-test-{}-{}", static_cast<long>(::getpid()), counter++);
    fs::remove_all(root_);
  }
  ~TableFolder() { fs::remove_all(root_); }
  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
};

AddFile data_file(const std::string& name, const std::string& part = "a") {
  AddFile add;
  add.path = fmt::format("p={}/{}.parquet", part, name);
  add.partition_values = {{"p", part}};
  add.size = 100;
  add.modification_time = 1;
  add.stats = R"({"numRecords":1})";
  return add;
}

// Returns false when the table already existed when the transaction started.
bool create_table(const std::string& root, io::Storage& storage = io::local_storage()) {
  auto transaction = Transaction::start(root, storage);
  if (transaction.snapshot()) return false;
  Metadata metadata;
  metadata.id = new_uuid();
  metadata.schema_string =
      R"({"type":"struct","fields":[{"name":"x","type":"long","nullable":true,"metadata":{}},{"name":"p","type":"string","nullable":true,"metadata":{}}]})";
  metadata.partition_columns = {"p"};
  transaction.update_metadata(metadata);
  transaction.update_protocol(Protocol{1, 2, std::nullopt, std::nullopt});
  transaction.set_operation("CREATE TABLE", {});
  EXPECT_EQ(transaction.commit().version, 0);
  return true;
}

std::string conflict_name(const std::function<void()>& body) {
  try {
    body();
  } catch (const ConcurrentModificationError& error) {
    return error.exception_name();
  }
  return "";
}

TEST(DeltaTransaction, PutIfAbsentRefusesAnExistingFile) {
  TableFolder folder;
  fs::create_directories(folder.root());
  EXPECT_TRUE(write_file_if_absent(folder.root() / "x.json", "one"));
  EXPECT_FALSE(write_file_if_absent(folder.root() / "x.json", "two"));
  EXPECT_EQ(read_file_text(folder.root() / "x.json"), "one");
  // No temporary files are left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(folder.root()), fs::directory_iterator()), 1);
}

TEST(DeltaTransaction, BlindAppendsRetryPastEachOther) {
  TableFolder folder;
  create_table(folder.root());
  auto first = Transaction::start(folder.root());
  auto second = Transaction::start(folder.root());
  first.add_file(data_file("one"));
  second.add_file(data_file("two"));
  EXPECT_EQ(first.commit().version, 1);
  const auto result = second.commit();
  EXPECT_EQ(result.version, 2);
  EXPECT_EQ(result.attempts, 2);
  const auto snapshot = Snapshot::load(folder.root());
  EXPECT_EQ(snapshot.files().size(), 2u);
  EXPECT_EQ(snapshot.commit_info()->value["isBlindAppend"], true);
  EXPECT_EQ(snapshot.commit_info()->value["engineInfo"].get<std::string>().rfind("driftgov/", 0), 0u);
}

// A table at version 7 with checkpoints at 3 and 6 (_last_checkpoint names 6); version v holds files 1..v.
void table_with_checkpoints(const fs::path& root) {
  create_table(root);
  CommitOptions options;
  options.checkpoint_interval = 3;
  for (int version = 1; version <= 7; ++version) {
    auto transaction = Transaction::start(root);
    transaction.add_file(data_file(fmt::format("f{}", version)));
    EXPECT_EQ(transaction.commit(options).version, version);
  }
}

std::string checkpoint_name(std::int64_t version) { return fmt::format("{:020d}.checkpoint.parquet", version); }

// The log listed from a version on holds that version's commit and checkpoint and everything later, nothing
// earlier; a snapshot from the last checkpoint is built from it alone.
TEST(DeltaSnapshotListing, FromTheLastCheckpointOnly) {
  TableFolder folder;
  table_with_checkpoints(folder.root());
  const auto hint = read_last_checkpoint(folder.root());
  ASSERT_TRUE(hint);
  EXPECT_EQ(hint->version, 6);
  const auto tail = list_log_from(folder.root(), 6);
  std::vector<std::int64_t> commits;
  for (const auto& [version, path] : tail.commits) commits.push_back(version);
  EXPECT_EQ(commits, (std::vector<std::int64_t>{6, 7}));
  ASSERT_EQ(tail.checkpoints.size(), 1u);
  EXPECT_EQ(tail.checkpoints[0].version, 6);
  EXPECT_EQ(list_log(folder.root()).commits.size(), 8u);

  const auto snapshot = Snapshot::load(folder.root());
  EXPECT_EQ(snapshot.version(), 7);
  EXPECT_EQ(snapshot.checkpoint_version(), 6);
  EXPECT_EQ(snapshot.files().size(), 7u);
  // The commits before the checkpoint are not needed (Spark's log cleanup deletes them).
  for (int version = 0; version < 6; ++version) fs::remove(folder.root() / "_delta_log" / commit_file_name(version));
  EXPECT_EQ(Snapshot::load(folder.root()).files().size(), 7u);
  EXPECT_EQ(Snapshot::load(folder.root(), TimeTravel{6, std::nullopt}).files().size(), 6u);
}

// Starting a transaction lists the log once: the listing that loads the snapshot also tells whether there is a
// table yet (on an object store every listing is a request).
TEST(DeltaTransaction, StartListsTheLogOnce) {
  TableFolder folder;
  const auto lists_of_start = [&](std::int64_t expected_version) {
    testing::FaultInjectingStorage counting(io::local_storage(), {});
    const auto transaction = Transaction::start(folder.root(), counting);
    EXPECT_EQ(transaction.read_version(), expected_version);
    return counting.lists();
  };
  EXPECT_EQ(lists_of_start(-1), 1);  // no folder yet
  create_table(folder.root());
  EXPECT_EQ(lists_of_start(0), 1);  // no checkpoint: the whole log
  fs::remove_all(folder.root());
  table_with_checkpoints(folder.root());
  EXPECT_EQ(lists_of_start(7), 1);  // from the last checkpoint on
  // A _delta_log folder holding no commit starts a new table, as an empty one does.
  fs::remove_all(folder.root());
  fs::create_directories(folder.root() / "_delta_log");
  { std::ofstream(folder.root() / "_delta_log" / "_last_checkpoint") << R"({"version":3})"; }
  EXPECT_EQ(lists_of_start(-1), 2);  // the hint's listing finds nothing, then the whole log
}

// A table written through a storage is read back through it: the writer's snapshot, its commits, its checkpoint
// and the files' paths.
TEST(DeltaTransaction, ATableLivesInTheStorageItIsWrittenTo) {
  const auto storage = io::make_memory_storage();
  const std::string root = "tables/t";
  ASSERT_TRUE(create_table(root, *storage));
  EXPECT_FALSE(create_table(root, *storage));  // the second start sees version 0
  CommitOptions options;
  options.checkpoint_interval = 2;
  for (int version = 1; version <= 3; ++version) {
    auto transaction = Transaction::start(root, *storage);
    EXPECT_EQ(transaction.read_version(), version - 1);
    transaction.add_file(data_file(fmt::format("f{}", version)));
    EXPECT_EQ(transaction.commit(options).version, version);
  }
  EXPECT_TRUE(storage->stat("tables/t/_delta_log/00000000000000000003.json"));
  EXPECT_TRUE(storage->stat("tables/t/_delta_log/00000000000000000002.checkpoint.parquet"));
  EXPECT_FALSE(fs::exists("tables"));
  const auto snapshot = Snapshot::load(root, {}, *storage);
  EXPECT_EQ(snapshot.version(), 3);
  EXPECT_EQ(snapshot.checkpoint_version(), 2);
  EXPECT_EQ(snapshot.files().size(), 3u);
  EXPECT_EQ(&snapshot.storage(), storage.get());
  EXPECT_EQ(snapshot.file_path(snapshot.files()[0]), "tables/t/p=a/f1.parquet");
  EXPECT_THROW(Snapshot::load(root), core::InputError);  // not on the local disk
}

// Where the listing from _last_checkpoint cannot serve, the whole log is listed and the result is the same.
TEST(DeltaSnapshotListing, FallsBackToTheWholeLog) {
  TableFolder folder;
  table_with_checkpoints(folder.root());
  const auto log = folder.root() / "_delta_log";
  // A version before the last checkpoint.
  auto snapshot = Snapshot::load(folder.root(), TimeTravel{4, std::nullopt});
  EXPECT_EQ(snapshot.version(), 4);
  EXPECT_EQ(snapshot.checkpoint_version(), 3);
  EXPECT_EQ(snapshot.files().size(), 4u);
  // A version after the latest.
  try {
    Snapshot::load(folder.root(), TimeTravel{9, std::nullopt});
    ADD_FAILURE() << "no error";
  } catch (const core::InputError& error) {
    EXPECT_NE(std::string(error.what()).find("version 9 does not exist (the latest version is 7)"), std::string::npos)
        << error.what();
  }
  // _last_checkpoint naming a version beyond the log.
  fs::copy_file(log / "_last_checkpoint", folder.root() / "saved_last_checkpoint");
  { std::ofstream(log / "_last_checkpoint") << R"({"version":99,"size":9})"; }
  snapshot = Snapshot::load(folder.root());
  EXPECT_EQ(snapshot.version(), 7);
  EXPECT_EQ(snapshot.checkpoint_version(), 6);
  EXPECT_EQ(snapshot.files().size(), 7u);
  // _last_checkpoint naming a checkpoint that is gone: the one before it serves.
  fs::copy_file(folder.root() / "saved_last_checkpoint", log / "_last_checkpoint", fs::copy_options::overwrite_existing);
  fs::remove(log / checkpoint_name(6));
  snapshot = Snapshot::load(folder.root());
  EXPECT_EQ(snapshot.version(), 7);
  EXPECT_EQ(snapshot.checkpoint_version(), 3);
  EXPECT_EQ(snapshot.files().size(), 7u);
  // No checkpoint at all: every commit is replayed.
  fs::remove(log / checkpoint_name(3));
  snapshot = Snapshot::load(folder.root());
  EXPECT_EQ(snapshot.checkpoint_version(), std::nullopt);
  EXPECT_EQ(snapshot.files().size(), 7u);
}

TEST(DeltaTransaction, OverwriteAfterConcurrentOverwriteFailsAsSparkDoes) {
  TableFolder folder;
  create_table(folder.root());
  {
    auto seed = Transaction::start(folder.root());
    seed.add_file(data_file("seed"));
    seed.commit();
  }
  const auto overwrite = [&](Transaction& transaction, const std::string& name) {
    transaction.read_whole_table();
    for (const auto& file : transaction.snapshot()->files()) transaction.remove_file(file, 5);
    transaction.add_file(data_file(name));
  };
  auto first = Transaction::start(folder.root());
  auto second = Transaction::start(folder.root());
  overwrite(first, "first");
  overwrite(second, "second");
  first.commit();
  // Spark checks added files first: the winner's files land in data the loser read.
  EXPECT_EQ(conflict_name([&] { second.commit(); }), "ConcurrentAppendException");
}

TEST(DeltaTransaction, DeletesAgainstReadsAndDeletes) {
  TableFolder folder;
  create_table(folder.root());
  {
    auto seed = Transaction::start(folder.root());
    seed.add_file(data_file("a1", "a"));
    seed.add_file(data_file("b1", "b"));
    seed.commit();
  }
  const auto delete_partition = [](Transaction& transaction, const std::string& part) {
    for (const auto& file : transaction.snapshot()->files()) {
      if (file.partition_values.at("p") == part) transaction.remove_file(file, 5);
    }
  };
  auto reader = Transaction::start(folder.root());
  reader.read_files_matching([](const PartitionValues& values) { return values.at("p") == "a"; });
  reader.add_file(data_file("a2", "a"));
  auto deleter = Transaction::start(folder.root());
  delete_partition(deleter, "a");
  deleter.commit();
  EXPECT_EQ(conflict_name([&] { reader.commit(); }), "ConcurrentDeleteReadException");

  auto first = Transaction::start(folder.root());
  auto second = Transaction::start(folder.root());
  delete_partition(first, "b");
  delete_partition(second, "b");
  first.commit();
  EXPECT_EQ(conflict_name([&] { second.commit(); }), "ConcurrentDeleteDeleteException");
}

TEST(DeltaTransaction, AppendSurvivesAConcurrentOverwriteAndViceVersa) {
  TableFolder folder;
  create_table(folder.root());
  auto overwrite = Transaction::start(folder.root());
  auto append = Transaction::start(folder.root());
  overwrite.read_whole_table();
  overwrite.add_file(data_file("replacement"));
  append.add_file(data_file("appended"));
  append.commit();
  // WriteSerializable: a blind append does not conflict with a transaction that read the whole table.
  EXPECT_EQ(overwrite.commit().version, 2);
}

TEST(DeltaTransaction, ReplaceWhereConflictsOnlyWithItsPartitions) {
  TableFolder folder;
  create_table(folder.root());
  const auto partition_is = [](std::string value) {
    return [value](const PartitionValues& values) { return values.at("p") == value; };
  };
  // A non-blind commit into partition b does not touch a transaction that read partition a.
  auto reader_a = Transaction::start(folder.root());
  reader_a.read_files_matching(partition_is("a"));
  reader_a.add_file(data_file("new-a", "a"));
  auto writer_b = Transaction::start(folder.root());
  writer_b.read_files_matching(partition_is("b"));
  writer_b.add_file(data_file("new-b", "b"));
  writer_b.commit();
  EXPECT_EQ(reader_a.commit().version, 2);
  // The same in partition a conflicts.
  auto reader = Transaction::start(folder.root());
  reader.read_files_matching(partition_is("a"));
  reader.add_file(data_file("x", "a"));
  auto writer = Transaction::start(folder.root());
  writer.read_files_matching(partition_is("a"));
  writer.add_file(data_file("y", "a"));
  writer.commit();
  EXPECT_EQ(conflict_name([&] { reader.commit(); }), "ConcurrentAppendException");
}

TEST(DeltaTransaction, MetadataProtocolAndTxnConflicts) {
  TableFolder folder;
  create_table(folder.root());
  auto appender = Transaction::start(folder.root());
  appender.add_file(data_file("a"));
  auto changer = Transaction::start(folder.root());
  Metadata metadata = changer.snapshot()->metadata();
  metadata.configuration["k"] = "v";
  changer.update_metadata(metadata);
  changer.commit();
  EXPECT_EQ(conflict_name([&] { appender.commit(); }), "MetadataChangedException");

  auto one = Transaction::start(folder.root());
  auto two = Transaction::start(folder.root());
  for (auto* transaction : {&one, &two}) {
    EXPECT_FALSE(transaction->read_transaction_version("job").has_value());
    transaction->set_transaction("job", 1);
    transaction->add_file(data_file(fmt::format("t{}", transaction == &one ? 1 : 2)));
  }
  one.commit();
  EXPECT_EQ(conflict_name([&] { two.commit(); }), "ConcurrentTransactionException");
  EXPECT_EQ(Snapshot::load(folder.root()).transaction_version("job"), 1);

  auto first = Transaction::start(folder.root());
  auto second = Transaction::start(folder.root());
  first.update_protocol(Protocol{1, 3, std::nullopt, std::nullopt});
  second.update_protocol(Protocol{1, 4, std::nullopt, std::nullopt});
  first.commit();
  EXPECT_EQ(conflict_name([&] { second.commit(); }), "ProtocolChangedException");
}

TEST(DeltaTransaction, MetadataChangingBlindAppendsAreMarkedBlindAndStillConflict) {
  TableFolder folder;
  create_table(folder.root());
  // Spark marks the commit creating a table blind: it only adds files and read nothing.
  EXPECT_EQ(Snapshot::load(folder.root()).commit_info()->value["isBlindAppend"], true);
  // An append that changes the schema (mergeSchema) is blind too, yet a reader of the whole table and a plain
  // append both lose to it, on the metadata change.
  auto reader = Transaction::start(folder.root());
  reader.read_whole_table();
  reader.add_file(data_file("r"));
  auto appender = Transaction::start(folder.root());
  appender.add_file(data_file("a"));
  auto merger = Transaction::start(folder.root());
  Metadata metadata = merger.snapshot()->metadata();
  metadata.configuration["merged"] = "yes";
  merger.update_metadata(metadata);
  merger.add_file(data_file("m"));
  merger.commit();
  EXPECT_EQ(Snapshot::load(folder.root()).commit_info()->value["isBlindAppend"], true);
  EXPECT_EQ(conflict_name([&] { reader.commit(); }), "MetadataChangedException");
  EXPECT_EQ(conflict_name([&] { appender.commit(); }), "MetadataChangedException");
  // A transaction that read the table and removes files is not blind.
  auto overwriter = Transaction::start(folder.root());
  overwriter.read_whole_table();
  overwriter.remove_file(overwriter.snapshot()->files().front(), 1);
  overwriter.commit();
  EXPECT_EQ(Snapshot::load(folder.root()).commit_info()->value["isBlindAppend"], false);
}

TEST(DeltaTransaction, ConcurrentCreatorsLeaveOneTable) {
  TableFolder folder;
  std::atomic<int> created{0};
  std::atomic<int> refused{0};
  std::atomic<int> existed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      try {
        ++(create_table(folder.root()) ? created : existed);
      } catch (const ConcurrentModificationError& error) {
        // As in Spark, writers racing to create a table in an empty folder lose on the protocol.
        if (error.exception_name() == "ProtocolChangedException") ++refused;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(refused.load() + existed.load(), 3);
  EXPECT_EQ(list_log(folder.root()).commits.size(), 1u);
}

TEST(DeltaTransaction, ManyConcurrentAppendersGiveContiguousVersions) {
  TableFolder folder;
  create_table(folder.root());
  constexpr int kThreads = 4;
  constexpr int kCommits = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCommits; ++c) {
        auto transaction = Transaction::start(folder.root());
        transaction.add_file(data_file(fmt::format("t{}-c{}", t, c)));
        transaction.commit();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto listing = list_log(folder.root());
  EXPECT_EQ(listing.commits.size(), static_cast<std::size_t>(kThreads * kCommits + 1));
  EXPECT_EQ(listing.commits.rbegin()->first, kThreads * kCommits);
  const auto snapshot = Snapshot::load(folder.root());
  std::set<std::string> paths;
  for (const auto& file : snapshot.files()) paths.insert(file.path);
  EXPECT_EQ(paths.size(), static_cast<std::size_t>(kThreads * kCommits));
}

}  // namespace
}  // namespace driftgov::delta

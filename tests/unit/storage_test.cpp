// The contracts of io::Storage (include/driftgov/io/storage.hpp), checked on the local and the in-memory
// implementation alike, the fault-injecting wrapper, and the error types and user-check macros of core/error.hpp.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/parquet/reader.hpp"
#include "driftgov/parquet/writer.hpp"
#include "fault_injecting_storage.hpp"

namespace driftgov::io {
namespace {

namespace fs = std::filesystem;

// A fresh folder on disk (local) or a fresh in-memory storage, with the folder prefix to use in paths.
class StorageContract : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      static int counter = 0;
      root_ = fs::temp_directory_path() / fmt::format("driftgov-storage-test-{}-{}", ::getpid(), counter++);
      fs::remove_all(root_);
      fs::create_directories(root_);
      folder_ = root_.string();
      storage_ = &local_storage();
    } else {
      memory_ = make_memory_storage();
      folder_ = "table";
      storage_ = memory_.get();
    }
  }
  void TearDown() override {
    if (!root_.empty()) fs::remove_all(root_);
  }
  std::string at(const std::string& name) const { return folder_ + "/" + name; }
  std::vector<std::string> names(const std::string& prefix) {
    std::vector<std::string> result;
    for (const auto& file : storage_->list(prefix)) result.push_back(file.path.substr(folder_.size() + 1));
    return result;
  }

  Storage* storage_ = nullptr;
  std::unique_ptr<Storage> memory_;
  fs::path root_;
  std::string folder_;
};

TEST_P(StorageContract, PublishedFileReadsBackAndNothingElseRemains) {
  const auto stream = storage_->create(at("a.bin"));
  stream->write("hello ");
  stream->write("world");
  EXPECT_EQ(stream->position(), 11);
  EXPECT_FALSE(storage_->stat(at("a.bin")));  // not visible before publish
  stream->publish();
  EXPECT_EQ(read_file(*storage_, at("a.bin")), "hello world");
  const auto file = storage_->open_read(at("a.bin"));
  std::string middle(5, '\0');
  file->read_at(6, 5, middle.data());
  EXPECT_EQ(middle, "world");
  ASSERT_TRUE(file->mapped());
  EXPECT_EQ(*file->mapped(), "hello world");
  EXPECT_EQ(names(at("")), std::vector<std::string>{"a.bin"});
  EXPECT_THROW(stream->write("more"), core::InternalError);  // misuse of the API, not the user's mistake
}

TEST_P(StorageContract, AbandonedStreamLeavesThePreviousFile) {
  write_file_atomically(*storage_, at("a.bin"), "old");
  {
    const auto stream = storage_->create(at("a.bin"));
    stream->write("new, unfinished");
  }
  EXPECT_EQ(read_file(*storage_, at("a.bin")), "old");
  EXPECT_EQ(names(at("")), std::vector<std::string>{"a.bin"});
}

TEST_P(StorageContract, ForgottenStreamLeavesOnlyAHiddenTemporaryFile) {
  {
    const auto stream = storage_->create(at("a.bin"));
    stream->write("partial");
    stream->forget();
  }
  EXPECT_FALSE(storage_->stat(at("a.bin")));
  const auto left = names(at(""));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_TRUE(left[0].starts_with(".a.bin.") && left[0].ends_with(".tmp")) << left[0];
}

TEST_P(StorageContract, PutIfAbsentCreatesOnceAndNeverOverwrites) {
  EXPECT_TRUE(storage_->put_if_absent(at("_log/0.json"), "first"));
  EXPECT_FALSE(storage_->put_if_absent(at("_log/0.json"), "second"));
  EXPECT_EQ(read_file(*storage_, at("_log/0.json")), "first");
  EXPECT_EQ(names(at("_log/")), std::vector<std::string>{"_log/0.json"});  // no temporary file remains
}

TEST_P(StorageContract, LockIsExclusiveUntilReleased) {
  auto first = storage_->try_lock(at("locks/monitor.lock"));
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(storage_->try_lock(at("locks/monitor.lock")), nullptr);  // held: refused, no waiting
  auto other = storage_->try_lock(at("locks/other.lock"));           // another name is independent
  EXPECT_NE(other, nullptr);
  first.reset();
  EXPECT_NE(storage_->try_lock(at("locks/monitor.lock")), nullptr);  // released with the handle
}

TEST_P(StorageContract, ListByPrefixWithSizesStatAndRemove) {
  write_file_atomically(*storage_, at("log/00.json"), "ab");
  write_file_atomically(*storage_, at("log/01.json"), "abcd");
  write_file_atomically(*storage_, at("log/checkpoint"), "x");
  write_file_atomically(*storage_, at("log/deeper/00.json"), "not listed: deeper than the folder");
  const auto listed = storage_->list(at("log/0"));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].path, at("log/00.json"));
  EXPECT_EQ(listed[0].size, 2);
  EXPECT_EQ(listed[1].path, at("log/01.json"));
  EXPECT_EQ(listed[1].size, 4);
  EXPECT_GT(listed[1].modified_ms, 1'600'000'000'000);  // after 2020: a real clock reading in milliseconds
  EXPECT_EQ(storage_->stat(at("log/01.json"))->size, 4);
  storage_->remove(at("log/01.json"));
  storage_->remove(at("log/01.json"));  // removing a missing file is fine
  EXPECT_FALSE(storage_->stat(at("log/01.json")));
  EXPECT_TRUE(storage_->list(at("nothing/here")).empty());
  EXPECT_TRUE(storage_->is_folder(at("log")));
  EXPECT_TRUE(storage_->is_folder(at("log/deeper")));
  EXPECT_FALSE(storage_->is_folder(at("log/00.json")));
  EXPECT_FALSE(storage_->is_folder(at("lo")));  // a prefix of a folder's name is not a folder
  EXPECT_FALSE(storage_->is_folder(at("nothing")));
}

TEST_P(StorageContract, ListAfterLeavesOutEveryPathUpToTheStart) {
  for (const auto* name : {"log/00.json", "log/01.checkpoint", "log/01.json", "log/02.json", "log/_last"}) {
    write_file_atomically(*storage_, at(name), name);
  }
  write_file_atomically(*storage_, at("log/deeper/03.json"), "not listed: deeper than the folder");
  const auto names_after = [&](const std::string& prefix, const std::string& start_after) {
    std::vector<std::string> result;
    for (const auto& file : storage_->list_after(at(prefix), start_after)) {
      result.push_back(file.path.substr(folder_.size() + 1));
    }
    return result;
  };
  using Names = std::vector<std::string>;
  // A start that is no file: everything of that version on (Delta's listFrom), in path order.
  EXPECT_EQ(names_after("log/", at("log/01")), (Names{"log/01.checkpoint", "log/01.json", "log/02.json", "log/_last"}));
  EXPECT_EQ(names_after("log/", at("log/01.json")), (Names{"log/02.json", "log/_last"}));  // the start itself is out
  EXPECT_EQ(names_after("log/0", at("log/01.json")), (Names{"log/02.json"}));
  EXPECT_EQ(names_after("log/02", at("log/00")), (Names{"log/02.json"}));  // a start before the prefix
  EXPECT_EQ(names_after("log/", at("log/zz")), Names{});
  EXPECT_EQ(names_after("log/", ""), names(at("log/")));
  const auto listed = storage_->list_after(at("log/"), at("log/01.json"));
  ASSERT_FALSE(listed.empty());
  EXPECT_EQ(listed[0].size, static_cast<std::int64_t>(std::string("log/02.json").size()));
  EXPECT_GT(listed[0].modified_ms, 1'600'000'000'000);
}

TEST_P(StorageContract, SameFileIsOneExistingFile) {
  write_file_atomically(*storage_, at("a.csv"), "x");
  write_file_atomically(*storage_, at("b.csv"), "x");  // the same contents: still another file
  EXPECT_TRUE(storage_->same_file(at("a.csv"), at("a.csv")));
  EXPECT_FALSE(storage_->same_file(at("a.csv"), at("b.csv")));
  EXPECT_FALSE(storage_->same_file(at("missing.csv"), at("missing.csv")));
  EXPECT_FALSE(storage_->same_file(at("a.csv"), at("missing.csv")));
}

TEST_P(StorageContract, MissingFileIsTheUsersMistake) {
  try {
    storage_->open_read(at("missing.csv"));
    FAIL() << "no exception";
  } catch (const core::InputError& error) {
    EXPECT_EQ(std::string(error.what()), at("missing.csv") + ": cannot open: " + std::strerror(ENOENT));
  }
}

TEST_P(StorageContract, StreamBufferCarriesAnOstream) {
  const auto stream = storage_->create(at("a.csv"));
  {
    OutputStreamBuffer buffer(*stream);
    std::ostream out(&buffer);
    out << "a,b\n" << 1 << ',' << 2.5 << '\n';
    out.flush();
  }
  stream->publish();
  EXPECT_EQ(read_file(*storage_, at("a.csv")), "a,b\n1,2.5\n");
}

INSTANTIATE_TEST_SUITE_P(Storage, StorageContract, ::testing::Values(true, false),
                         [](const auto& info) { return std::string(info.param ? "Local" : "Memory"); });

TEST(LocalStorage, MapsAnEmptyFileAsAnEmptyView) {
  const auto path = fs::temp_directory_path() / fmt::format("driftgov-empty-{}", ::getpid());
  std::ofstream(path).close();
  const auto file = local_storage().open_read(path.string());
  EXPECT_EQ(file->size(), 0);
  EXPECT_EQ(*file->mapped(), "");
  fs::remove(path);
}

TEST(LocalStorage, SameFileUnderAnotherNameThroughLinks) {
  const auto root = fs::temp_directory_path() / fmt::format("driftgov-same-file-{}", ::getpid());
  fs::remove_all(root);
  fs::create_directories(root);
  write_file_atomically(local_storage(), (root / "a.csv").string(), "x");
  fs::create_symlink(root / "a.csv", root / "symbolic.csv");
  fs::create_hard_link(root / "a.csv", root / "hard.csv");
  for (const auto* name : {"symbolic.csv", "hard.csv", "./a.csv"}) {
    EXPECT_TRUE(local_storage().same_file((root / "a.csv").string(), (root / name).string())) << name;
  }
  fs::remove_all(root);
}

// Secret keys: owner-only from the temporary file on (checked with std::filesystem, not the storage), never
// replacing a file; the in-memory storage refuses them (keys are local files only).
TEST(LocalStorage, OwnerOnlyFileIsNeverReadableByOthersAndNeverReplaced) {
  const auto root = fs::temp_directory_path() / fmt::format("driftgov-owner-only-{}", ::getpid());
  fs::remove_all(root);
  const auto key = (root / "k.key").string();
  const auto old_mask = ::umask(0);  // the most permissive umask: the mode must not come from it
  auto stream = local_storage().create_owner_only(key);
  ::umask(old_mask);
  stream->write("secret");
  for (const auto& entry : fs::directory_iterator(root)) {  // the hidden temporary file, before publish
    EXPECT_EQ(entry.status().permissions(), fs::perms::owner_read | fs::perms::owner_write) << entry.path();
  }
  stream->publish();
  EXPECT_EQ(fs::status(key).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(local_storage().permission_bits(key), 0600u);
  auto second = local_storage().create_owner_only(key);
  second->write("other");
  EXPECT_THROW(second->publish(), core::InputError);
  EXPECT_EQ(read_file(local_storage(), key), "secret");
  EXPECT_EQ(std::distance(fs::directory_iterator(root), fs::directory_iterator()), 1);  // no temporary file left
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  EXPECT_EQ(local_storage().permission_bits(key), 0644u);
  EXPECT_THROW((void)local_storage().permission_bits((root / "missing").string()), core::InputError);
  fs::remove_all(root);

  const auto memory = make_memory_storage();
  EXPECT_THROW((void)memory->create_owner_only("k.key"), core::UnsupportedError);
  write_file_atomically(*memory, "k.pub", "x");
  EXPECT_EQ(memory->permission_bits("k.pub"), std::nullopt);
}

TEST(LocalStorage, FolderIsNotAFile) {
  EXPECT_THROW(local_storage().open_read(fs::temp_directory_path().string()), core::InputError);
  EXPECT_FALSE(local_storage().stat(fs::temp_directory_path().string()));
}

TEST(Paths, LowercaseExtensionOfTheLastComponent) {
  EXPECT_EQ(lowercase_extension("data/Loans.CSV"), ".csv");
  EXPECT_EQ(lowercase_extension("a.b/table"), "");
  EXPECT_EQ(lowercase_extension("x.tar.gz"), ".gz");
  EXPECT_EQ(lowercase_extension("folder/.hidden"), "");
  EXPECT_EQ(lowercase_extension("name."), ".");
}

TEST(FaultInjectingStorage, ShortWriteThenFailureLeavesNothing) {
  const auto memory = make_memory_storage();
  testing::FaultInjectingStorage faulty(*memory, {testing::Fault::kShortWrite, 2, ENOSPC});
  write_file_atomically(*memory, "f/a", "previous");
  try {
    const auto stream = faulty.create("f/a");
    stream->write("one");
    stream->write("two");
    FAIL() << "no exception";
  } catch (const core::IOError& error) {
    EXPECT_EQ(error.path(), "f/a");
    EXPECT_EQ(error.error_number(), ENOSPC);
    EXPECT_EQ(std::string(error.what()), std::string("f/a: write failed: ") + std::strerror(ENOSPC));
  }
  EXPECT_EQ(read_file(*memory, "f/a"), "previous");
  EXPECT_EQ(memory->list("f/").size(), 1u);
}

TEST(FaultInjectingStorage, CrashAfterPublishKeepsTheNewFile) {
  const auto memory = make_memory_storage();
  testing::FaultInjectingStorage faulty(*memory, {testing::Fault::kCrashAfterPublish, 1, 0});
  EXPECT_THROW(write_file_atomically(faulty, "f/a", "new"), testing::SimulatedCrash);
  EXPECT_EQ(read_file(*memory, "f/a"), "new");
}

// The Parquet writer and reader know nothing of the local file system: a file round-trips through memory.
TEST(MemoryStorage, CarriesAParquetFileFromWriterToReader) {
  const auto memory = make_memory_storage();
  core::RecordBatch batch;
  batch.schema.fields = {core::Field{"x", core::DataType::int64(), true, std::nullopt}};
  core::Column values(core::DataType::int64());
  for (int i = 0; i < 1000; ++i) values.append_int(i * 3);
  batch.columns = {values};
  batch.num_rows = 1000;
  parquet::WriterOptions writer_options;
  writer_options.storage = memory.get();
  writer_options.row_group_rows = 300;
  parquet::write_parquet_file("lake/x.parquet", batch, writer_options);
  EXPECT_FALSE(fs::exists("lake/x.parquet"));
  parquet::ReaderOptions reader_options;
  reader_options.storage = memory.get();
  auto reader = parquet::FileReader::open("lake/x.parquet", reader_options);
  EXPECT_EQ(reader.num_rows(), 1000);
  EXPECT_EQ(reader.num_row_groups(), 4);
  const auto last = reader.read_row_group(3, {0});
  ASSERT_EQ(last.num_rows, 100);
  EXPECT_EQ(last.columns[0].ints.at(99), 999 * 3);
}

}  // namespace
}  // namespace driftgov::io

namespace driftgov::core {
namespace {

TEST(UserCheck, MessageKeepsTheCallersTextAndBothOperands) {
  const long rows = 0;
  try {
    DRIFTGOV_USER_CHECK_GE(rows, 1, "--row-group-rows of {}", "convert");
    FAIL() << "no exception";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()), "--row-group-rows of convert: expected >= 1, got 0");
  }
  EXPECT_NO_THROW(DRIFTGOV_USER_CHECK_GE(rows, 0, "never shown"));
  EXPECT_THROW(DRIFTGOV_USER_CHECK(rows > 0, "{}: rows", "x.csv"), InputError);
}

TEST(IOError, IsNeitherAUserErrorNorABug) {
  const IOError error("/data/out.parquet", "fsync", EIO);
  EXPECT_EQ(dynamic_cast<const InputError*>(static_cast<const std::exception*>(&error)), nullptr);
  EXPECT_EQ(std::string(error.what()), std::string("/data/out.parquet: fsync failed: ") + std::strerror(EIO));
  EXPECT_EQ(error.operation(), "fsync");
}

}  // namespace
}  // namespace driftgov::core

namespace driftgov::io {
namespace {

namespace fs = std::filesystem;

TEST(StoragePaths, NormalizeLikeLexicallyNormal) {
  for (const char* path : {"a/./b/../c/", "/../x", "", ".", "a//b", "../a/../../b", "/a/b/..", "/", "a/b/c/../../.."}) {
    std::string expected = fs::path(path).lexically_normal().string();
    while (expected.size() > 1 && expected.ends_with('/')) expected.pop_back();
    if (expected.empty()) expected = ".";
    EXPECT_EQ(normalize_path(path), expected) << path;
  }
  EXPECT_EQ(absolute_local_path("/x/./y/"), "/x/y");
}

TEST(StoragePaths, JoinLikeThePathOperator) {
  for (const auto& [folder, name] : std::vector<std::pair<const char*, const char*>>{
           {"t", "_delta_log"}, {"t/", "x"}, {"", "x"}, {"t", ""}, {"t/", ""}, {"/a/b", "c/d.json"}, {"a", "/abs"},
           {"/", "x"}, {"a//", "b"}, {"s3://bucket/t", "_delta_log"}}) {
    EXPECT_EQ(join_path(folder, name), (fs::path(folder) / name).string()) << folder << " + " << name;
  }
  EXPECT_EQ(file_name("t/_delta_log/0.json"), "0.json");
  EXPECT_EQ(file_name("0.json"), "0.json");
  EXPECT_EQ(file_name("t/"), "");
  EXPECT_EQ(absolute_local_path("rel/../z"), normalize_path(fs::current_path().string() + "/z"));
}

}  // namespace
}  // namespace driftgov::io

// Delta log parsing, schema conversion, deletion vectors and snapshot replay. Expected values come from the
// examples in the Delta protocol specification (PROTOCOL.md) or from logs written here by hand.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "conformance_corpus.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/delta/actions.hpp"
#include "driftgov/delta/deletion_vector.hpp"
#include "driftgov/delta/log.hpp"
#include "driftgov/delta/schema.hpp"
#include "driftgov/delta/snapshot.hpp"

namespace driftgov::delta {
namespace {

namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const core::InputError& error) {
    return error.what();
  }
  return "";
}

class TempTable {
 public:
  TempTable() {
    static int counter = 0;
    root_ = fs::temp_directory_path() /
            fmt::format("driftgov-delta-test-{}-{}", static_cast<long>(::getpid()), counter++);
    fs::remove_all(root_);
    fs::create_directories(root_ / "_delta_log");
  }
  ~TempTable() { fs::remove_all(root_); }
  const fs::path& root() const { return root_; }
  void commit(std::int64_t version, const std::string& lines) {
    std::ofstream(root_ / "_delta_log" / commit_file_name(version)) << lines;
  }

 private:
  fs::path root_;
};

const char* kProtocol = R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})";
const char* kMetadata =
    R"({"metaData":{"id":"t1","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"x\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},{\"name\":\"p\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":["p"],"configuration":{}}})";

std::string add_line(const std::string& path, const std::string& partition = "null") {
  return fmt::format(
      R"({{"add":{{"path":"{}","partitionValues":{{"p":{}}},"size":10,"modificationTime":1,"dataChange":true}}}})",
      path, partition);
}

TEST(DeltaActions, ParsesEveryActionKindAndRoundTrips) {
  const std::string text = std::string(kProtocol) + "\n" + kMetadata + "\n" + add_line("a%20b.parquet", "\"x\"") +
                           "\n" +
                           R"({"remove":{"path":"old.parquet","deletionTimestamp":5,"dataChange":true}})" "\n"
                           R"({"commitInfo":{"timestamp":123,"operation":"WRITE","operationParameters":{"mode":"Append"}}})" "\n"
                           R"({"txn":{"appId":"app","version":7}})" "\n"
                           R"({"domainMetadata":{"domain":"d","configuration":"{}","removed":false}})" "\n"
                           R"({"cdc":{"path":"_change_data/c.parquet","partitionValues":{},"size":3,"dataChange":false}})" "\n"
                           R"({"checkpointMetadata":{"version":4}})" "\n"
                           R"({"sidecar":{"path":"s.parquet","sizeInBytes":9,"modificationTime":2}})" "\n"
                           R"({"someFutureAction":{"x":1}})" "\n";
  const auto actions = parse_commit(text, "00.json");
  ASSERT_EQ(actions.size(), 10u);
  EXPECT_EQ(std::get<AddFile>(actions[2]).partition_values.at("p"), std::optional<std::string>("x"));
  EXPECT_EQ(std::get<CommitInfo>(actions[4]).timestamp(), 123);
  EXPECT_EQ(std::get<TransactionId>(actions[5]).version, 7);
  const auto again = parse_commit(serialize_commit(actions), "again.json");
  ASSERT_EQ(again.size(), actions.size());
  for (std::size_t i = 0; i < actions.size(); ++i) EXPECT_EQ(action_to_json(again[i]), action_to_json(actions[i]));
}

TEST(DeltaActions, ErrorsNameFileLineAndField) {
  const std::string bad = std::string(kProtocol) + "\n" +
                          R"({"add":{"path":"a","partitionValues":{},"size":"ten","modificationTime":1,"dataChange":true}})";
  const auto message = error_of([&] { parse_commit(bad, "_delta_log/00000000000000000003.json"); });
  EXPECT_NE(message.find("00000000000000000003.json: line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("add.size"), std::string::npos) << message;
  EXPECT_NE(error_of([&] { parse_commit("{not json", "f.json"); }).find("line 1: not valid JSON"), std::string::npos);
  const auto missing = error_of([&] { parse_commit(R"({"txn":{"version":1}})", "f.json"); });
  EXPECT_NE(missing.find("txn.appId"), std::string::npos) << missing;
}

TEST(DeltaActions, PathsDecodeAndEncode) {
  EXPECT_EQ(decode_path("p=a%20b/c%25d.parquet", "t"), "p=a b/c%d.parquet");
  EXPECT_EQ(encode_path("p=a b/c%d.parquet"), "p=a%20b/c%25d.parquet");
  EXPECT_FALSE(error_of([] { decode_path("bad%2", "t"); }).empty());
  EXPECT_FALSE(error_of([] { decode_path("bad%zz", "t"); }).empty());
}

TEST(DeltaDeletionVectors, Z85MatchesTheZeroMqSpecification) {
  // ZeroMQ RFC 32 test vector.
  const std::string bytes = "\x86\x4F\xD2\x6F\xB5\x59\xF7\x5B";
  EXPECT_EQ(z85_encode(bytes), "HelloWorld");
  EXPECT_EQ(z85_decode("HelloWorld", "t"), bytes);
  EXPECT_FALSE(error_of([] { z85_decode("Hell~", "t"); }).empty());
  EXPECT_FALSE(error_of([] { z85_decode("Hell", "t"); }).empty());
}

TEST(DeltaDeletionVectors, ReadsADeletionVectorFileWrittenBySpark) {
  // log-replay-dv-key-cases: the descriptor below is the one in its log; Spark wrote the file.
  const fs::path table = testing::conformance_path("delta-golden/log-replay-dv-key-cases");
  ASSERT_FALSE(table.empty());
  std::string pointer;
  for (const auto& entry : fs::directory_iterator(table / "_delta_log")) {
    if (entry.path().extension() != ".json") continue;
    for (const auto& action : read_commit(entry.path())) {
      if (const auto* add = std::get_if<AddFile>(&action); add && add->deletion_vector) {
        const auto vector = load_deletion_vector(*add->deletion_vector, table, add->path);
        EXPECT_EQ(static_cast<std::int64_t>(vector.cardinality()), add->deletion_vector->cardinality);
        pointer = add->deletion_vector->path_or_inline_dv;
      }
    }
  }
  EXPECT_FALSE(pointer.empty());
}

TEST(DeltaDeletionVectors, DerivesTheRelativePathOfTheProtocolExample) {
  // PROTOCOL.md, "JSON Example 1": prefix "ab", UUID d2c639aa-8816-431a-aaf6-d3fe2512ff61.
  DeletionVectorDescriptor descriptor{'u', "ab^-aqEH.-t@S}K{vb[*k^", 4, 40, 6};
  EXPECT_EQ(deletion_vector_file(descriptor, "/table"),
            "/table/ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin");
}

TEST(DeltaDeletionVectors, EncodeDecodeRoundTripAcrossBuckets) {
  std::mt19937_64 random(7);
  std::vector<std::uint64_t> rows;
  for (int i = 0; i < 5000; ++i) rows.push_back(random() % (3ULL << 32));
  for (std::uint64_t r = 100000; r < 170000; ++r) rows.push_back(r);  // a run container
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  const auto bytes = encode_bitmap_array(rows);
  EXPECT_EQ(decode_bitmap_array(bytes, "t").rows(), rows);
  const auto text = z85_encode(bytes);
  EXPECT_EQ(z85_decode(text, "t").substr(0, bytes.size()), bytes);
  EXPECT_FALSE(error_of([&] { decode_bitmap_array(bytes.substr(0, bytes.size() - 3), "t"); }).empty());
  std::string wrong_magic = bytes;
  wrong_magic[0] ^= 1;
  EXPECT_FALSE(error_of([&] { decode_bitmap_array(wrong_magic, "t"); }).empty());
}

TEST(DeltaDeletionVectors, OnDiskFileWithChecksum) {
  TempTable table;
  const std::vector<std::uint64_t> rows = {0, 5, 9};
  const auto bitmap = encode_bitmap_array(rows);
  std::string file(1, '\x01');
  const auto put_big = [&](std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) file += static_cast<char>((value >> shift) & 0xff);
  };
  put_big(static_cast<std::uint32_t>(bitmap.size()));
  file += bitmap;
  put_big(static_cast<std::uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(bitmap.data()),
                                           static_cast<uInt>(bitmap.size()))));
  const std::string uuid_bytes = "0123456789abcdef";
  DeletionVectorDescriptor descriptor{'u', "xy" + z85_encode(uuid_bytes), 1, static_cast<std::int32_t>(bitmap.size()),
                                      3};
  const fs::path path = deletion_vector_file(descriptor, table.root());
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << file;
  EXPECT_EQ(load_deletion_vector(descriptor, table.root(), "t").rows(), rows);
  descriptor.cardinality = 4;
  EXPECT_NE(error_of([&] { load_deletion_vector(descriptor, table.root(), "t"); }).find("descriptor says 4"),
            std::string::npos);
  descriptor.cardinality = 3;
  file[6] ^= 0x40;  // inside the bitmap: the checksum must catch it
  std::ofstream(path, std::ios::binary) << file;
  EXPECT_NE(error_of([&] { load_deletion_vector(descriptor, table.root(), "t"); }).find("checksum"),
            std::string::npos);
}

TEST(DeltaSchema, ParsesNestedTypesAndRoundTrips) {
  const std::string text =
      R"J({"type":"struct","fields":[
        {"name":"a","type":"decimal(10, 2)","nullable":false,"metadata":{}},
        {"name":"t","type":"timestamp","nullable":true,"metadata":{}},
        {"name":"n","type":"timestamp_ntz","nullable":true,"metadata":{}},
        {"name":"s","type":{"type":"struct","fields":[{"name":"x","type":"short","nullable":true,"metadata":{"comment":"c"}}]},"nullable":true,"metadata":{}},
        {"name":"l","type":{"type":"array","elementType":"byte","containsNull":false},"nullable":true,"metadata":{}},
        {"name":"m","type":{"type":"map","keyType":"string","valueType":{"type":"array","elementType":"date","containsNull":true},"valueContainsNull":true},"nullable":true,"metadata":{}}]})J";
  const auto schema = parse_schema(text, "test");
  ASSERT_EQ(schema.schema.fields.size(), 6u);
  EXPECT_EQ(schema.schema.fields[0].type, core::DataType::decimal(10, 2));
  EXPECT_FALSE(schema.schema.fields[0].nullable);
  EXPECT_TRUE(schema.schema.fields[1].type.utc);
  EXPECT_FALSE(schema.schema.fields[2].type.utc);
  EXPECT_EQ(schema.schema.fields[3].type.children[0].type.id, core::TypeId::kInt16);
  EXPECT_EQ(schema.metadata[3].children[0].values["comment"], "c");
  EXPECT_FALSE(schema.schema.fields[4].type.children[0].nullable);
  EXPECT_EQ(schema.schema.fields[5].type.children[1].type.children[0].type.id, core::TypeId::kDate);
  EXPECT_EQ(parse_schema(serialize_schema(schema), "again"), schema);
}

TEST(DeltaSchema, RefusesBadSchemas) {
  EXPECT_NE(error_of([] { parse_schema(R"({"type":"struct","fields":[{"name":"a","type":"interval"}]})", "m"); })
                .find("'interval'"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_schema(R"({"type":"struct","fields":[{"name":"a","type":"long"},{"name":"A","type":"long"}]})",
                           "m");
            }).find("unique"),
            std::string::npos);
  EXPECT_FALSE(error_of([] { parse_schema(R"J({"type":"struct","fields":[{"name":"a","type":"decimal(40,1)"}]})J", "m"); })
                   .empty());
}

TEST(DeltaSchema, ColumnMappingGivesPhysicalNamesAndIds) {
  const std::string text =
      R"({"type":"struct","fields":[{"name":"a","type":{"type":"struct","fields":[{"name":"b","type":"long","nullable":true,"metadata":{"delta.columnMapping.id":2,"delta.columnMapping.physicalName":"col-b"}}]},"nullable":true,"metadata":{"delta.columnMapping.id":1,"delta.columnMapping.physicalName":"col-a"}}]})";
  const auto schema = parse_schema(text, "t");
  const auto by_id = physical_schema(schema, ColumnMappingMode::kId);
  EXPECT_EQ(by_id.fields[0].name, "col-a");
  EXPECT_EQ(by_id.fields[0].field_id, 1);
  EXPECT_EQ(by_id.fields[0].type.children[0].name, "col-b");
  EXPECT_EQ(by_id.fields[0].type.children[0].field_id, 2);
  EXPECT_EQ(physical_schema(schema, ColumnMappingMode::kName).fields[0].field_id, 1);  // written in name mode too
  EXPECT_EQ(physical_schema(schema, ColumnMappingMode::kNone).fields[0].name, "a");
  EXPECT_EQ(column_mapping_mode({{"delta.columnMapping.mode", "id"}}), ColumnMappingMode::kId);
}

TEST(DeltaLocation, ParsesVersionAndTimestampSuffixes) {
  EXPECT_EQ(parse_table_location("/t@v=12").version, 12);
  EXPECT_EQ(parse_table_location("/t@v=12").path, "/t");
  EXPECT_EQ(parse_table_location("/t@ts=2024-01-01T00:00:00Z").timestamp_ms, 1704067200000);
  EXPECT_EQ(parse_table_location("/t@ts=2024-01-01 02:00:00+02:00").timestamp_ms, 1704067200000);
  EXPECT_EQ(parse_table_location("/t@ts=2024-01-01").timestamp_ms, 1704067200000);
  EXPECT_EQ(parse_table_location("/a@b/t").path, "/a@b/t");
  EXPECT_FALSE(parse_table_location("/a@b/t").version.has_value());
  EXPECT_FALSE(error_of([] { parse_table_location("/t@v=x"); }).empty());
  EXPECT_FALSE(error_of([] { parse_table_location("/t@ts=2024-13-01"); }).empty());
  EXPECT_EQ(parse_timestamp_us("1970-01-01 00:00:00.123456", "t"), 123456);
  EXPECT_EQ(format_timestamp_ms(1704067200123), "2024-01-01T00:00:00.123Z");
}

TEST(DeltaSnapshot, ReplaysAddsRemovesAndDeletionVectorKeys) {
  TempTable table;
  table.commit(0, std::string(kProtocol) + "\n" + kMetadata + "\n" + add_line("a.parquet", "\"x\"") + "\n" +
                      add_line("b.parquet") + "\n");
  table.commit(1, R"({"remove":{"path":"a.parquet","dataChange":true}})" "\n" + add_line("c.parquet", "\"\"") + "\n");
  // b.parquet gets a deletion vector: the old (path, NULL) entry is removed, (path, dv) added.
  table.commit(2,
               R"({"remove":{"path":"b.parquet","dataChange":true}})" "\n"
               R"({"add":{"path":"b.parquet","partitionValues":{"p":null},"size":10,"modificationTime":1,"dataChange":true,"deletionVector":{"storageType":"i","pathOrInlineDv":"wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L","sizeInBytes":40,"cardinality":6}}})" "\n"
               R"({"txn":{"appId":"job","version":3}})" "\n");
  const auto latest = Snapshot::load(table.root());
  EXPECT_EQ(latest.version(), 2);
  ASSERT_EQ(latest.files().size(), 2u);
  EXPECT_EQ(latest.files()[0].path, "b.parquet");
  ASSERT_TRUE(latest.files()[0].deletion_vector.has_value());
  EXPECT_EQ(latest.files()[1].path, "c.parquet");
  EXPECT_EQ(latest.transaction_version("job"), 3);
  EXPECT_EQ(latest.tombstones().size(), 2u);

  const auto first = Snapshot::load(table.root(), TimeTravel{0, std::nullopt});
  ASSERT_EQ(first.files().size(), 2u);
  EXPECT_EQ(first.files()[0].path, "a.parquet");
  EXPECT_FALSE(first.transaction_version("job").has_value());
  EXPECT_NE(error_of([&] { Snapshot::load(table.root(), TimeTravel{5, std::nullopt}); }).find("latest version is 2"),
            std::string::npos);

  fs::remove(table.root() / "_delta_log" / commit_file_name(1));
  EXPECT_NE(error_of([&] { Snapshot::load(table.root()); }).find("not contiguous"), std::string::npos);
}

TEST(DeltaSnapshot, RefusesMissingProtocolAndUnknownReaderFeatures) {
  TempTable table;
  table.commit(0, std::string(kMetadata) + "\n");
  EXPECT_NE(error_of([&] { Snapshot::load(table.root()); }).find("no protocol"), std::string::npos);
  table.commit(0, std::string(kMetadata) + "\n" +
                      R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors","futureThing"],"writerFeatures":[]}})" "\n");
  try {
    Snapshot::load(table.root());
    FAIL() << "expected UnsupportedError";
  } catch (const core::UnsupportedError& error) {
    EXPECT_NE(std::string(error.what()).find("'futureThing'"), std::string::npos);
  }
}

TEST(DeltaSnapshot, TimeTravelByTimestampUsesCommitTimes) {
  TempTable table;
  table.commit(0, std::string(kProtocol) + "\n" + kMetadata + "\n" + add_line("a.parquet") + "\n");
  table.commit(1, add_line("b.parquet") + "\n");
  table.commit(2, add_line("c.parquet") + "\n");
  const auto set_time = [&](std::int64_t version, std::int64_t seconds) {
    fs::last_write_time(table.root() / "_delta_log" / commit_file_name(version),
                        fs::file_time_type::clock::now() - std::chrono::seconds(seconds));
  };
  set_time(0, 300);
  set_time(1, 200);
  set_time(2, 100);
  const auto listing = list_log(table.root());
  const auto times = commit_timestamps(listing, {});
  ASSERT_EQ(times.size(), 3u);
  EXPECT_EQ(version_at_timestamp(times, times[1].timestamp_ms, "t"), 1);
  EXPECT_EQ(version_at_timestamp(times, times[1].timestamp_ms + 1, "t"), 1);
  EXPECT_EQ(version_at_timestamp(times, times[1].timestamp_ms - 1, "t"), 0);
  EXPECT_FALSE(error_of([&] { version_at_timestamp(times, times[0].timestamp_ms - 1, "t"); }).empty());
  EXPECT_FALSE(error_of([&] { version_at_timestamp(times, times[2].timestamp_ms + 1, "t"); }).empty());
  EXPECT_EQ(Snapshot::load(table.root(), TimeTravel{std::nullopt, times[1].timestamp_ms}).version(), 1);
}

TEST(DeltaSnapshot, InCommitTimestampsInBothFormsAndTheSearchSplitAtEnablement) {
  for (const std::string suffix : {"", "-preview"}) {
    const auto settings = in_commit_timestamps({{"delta.enableInCommitTimestamps" + suffix, "true"},
                                                {"delta.inCommitTimestampEnablementVersion" + suffix, "2"},
                                                {"delta.inCommitTimestampEnablementTimestamp" + suffix, "5000"}});
    EXPECT_TRUE(settings.enabled) << suffix;
    EXPECT_EQ(settings.enablement_version, 2) << suffix;
    EXPECT_EQ(settings.enablement_timestamp_ms, 5000) << suffix;
  }
  EXPECT_FALSE(in_commit_timestamps({{"delta.enableInCommitTimestamps", "false"}}).enabled);
  EXPECT_EQ(in_commit_timestamps({{"delta.enableInCommitTimestamps", "true"}}).enablement_version, 0);

  // File times of versions 0 and 1 moved after every in-commit timestamp (a restored copy): the protocol searches
  // versions 2.. for timestamps from 5000 on and versions 0..1 below it.
  const std::vector<CommitTimestamp> times = {{0, 9000, false}, {1, 9001, false}, {2, 5000, true}, {3, 6000, true}};
  EXPECT_EQ(version_at_timestamp(times, 5000, "t", 5000), 2);
  EXPECT_EQ(version_at_timestamp(times, 5999, "t", 5000), 2);
  EXPECT_EQ(version_at_timestamp(times, 6000, "t", 5000), 3);
  EXPECT_NE(error_of([&] { version_at_timestamp(times, 6001, "t", 5000); }).find("after the latest version 3"),
            std::string::npos);
  EXPECT_NE(error_of([&] { version_at_timestamp(times, 4999, "t", 5000); }).find("before the earliest"),
            std::string::npos);
  const std::vector<CommitTimestamp> earlier = {{0, 1000, false}, {1, 2000, false}, {2, 5000, true}};
  EXPECT_EQ(version_at_timestamp(earlier, 1999, "t", 5000), 0);
  EXPECT_EQ(version_at_timestamp(earlier, 4999, "t", 5000), 1);  // the last commit before enablement
  EXPECT_EQ(version_at_timestamp(earlier, 4999, "t"), 1);         // enablement timestamp from the first ICT
}

TEST(DeltaSnapshot, PartitionValuesAreTyped) {
  core::Field date{"d", core::DataType::date(), true, std::nullopt};
  EXPECT_EQ(partition_value_column(date, "2024-01-02", 2, "t").ints, (std::vector<std::int64_t>{19724, 19724}));
  core::Field decimal{"x", core::DataType::decimal(5, 2), true, std::nullopt};
  EXPECT_EQ(partition_value_column(decimal, "-1.5", 1, "t").decimals[0], static_cast<core::Int128>(-150));
  core::Field number{"n", core::DataType::int32(), true, std::nullopt};
  EXPECT_EQ(partition_value_column(number, "", 3, "t").null_count(), 3);
  EXPECT_EQ(partition_value_column(number, std::nullopt, 1, "t").null_count(), 1);
  EXPECT_FALSE(error_of([&] { partition_value_column(number, "1x", 1, "t"); }).empty());
  core::Field stamp{"s", core::DataType::timestamp(), true, std::nullopt};
  EXPECT_EQ(partition_value_column(stamp, "1970-01-01 00:00:01.5", 1, "t").ints[0], 1500000);
  EXPECT_EQ(partition_value_column(stamp, "1970-01-01T00:00:01.000001Z", 1, "t").ints[0], 1000001);
}

}  // namespace
}  // namespace driftgov::delta

// Protocol upgrades by write_table (PROTOCOL.md, "Table Features"): a legacy protocol moving to table features
// lists the features its versions implied; writer-only table features never drag the reader version up.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <tuple>

#include "driftgov/delta/snapshot.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/delta/transaction.hpp"

namespace driftgov::delta {
namespace {

namespace fs = std::filesystem;
using Features = std::optional<std::vector<std::string>>;

class Folder {
 public:
  Folder() {
    static int counter = 0;
    root_ = fs::temp_directory_path() / fmt::format("driftgov-write-test-{}-{}", static_cast<long>(::getpid()),
                                                    counter++);
    fs::remove_all(root_);
  }
  ~Folder() { fs::remove_all(root_); }
  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
};

// A table with one long column `x`, the given protocol and configuration, and no files.
void create(const fs::path& root, const Protocol& protocol, const StringMap& configuration) {
  auto transaction = Transaction::start(root);
  Metadata metadata;
  metadata.id = new_uuid();
  const std::string mapping =
      configuration.contains("delta.columnMapping.mode")
          ? R"({"delta.columnMapping.id":1,"delta.columnMapping.physicalName":"col-x"})"
          : "{}";
  metadata.schema_string =
      fmt::format(R"({{"type":"struct","fields":[{{"name":"x","type":"long","nullable":true,"metadata":{}}}]}})",
                  mapping);
  metadata.configuration = configuration;
  transaction.update_metadata(metadata);
  transaction.update_protocol(protocol);
  transaction.set_operation("CREATE TABLE", {});
  transaction.commit();
}

// Appends one row holding `x` and a new column of `type` (mergeSchema).
void append_with(const fs::path& root, const std::string& name, const core::DataType& type) {
  core::Schema schema;
  schema.fields = {core::Field{"x", core::DataType::int64(), true, std::nullopt},
                   core::Field{name, type, true, std::nullopt}};
  bool done = false;
  const BatchSupplier supplier = [&]() -> std::optional<core::RecordBatch> {
    if (done) return std::nullopt;
    done = true;
    core::RecordBatch batch;
    batch.schema = schema;
    batch.columns = {core::Column(schema.fields[0].type), core::Column(type)};
    batch.columns[0].append_int(1);
    batch.columns[1].append_int(2);
    batch.num_rows = 1;
    return batch;
  };
  TableWriteOptions options;
  options.mode = WriteMode::kAppend;
  options.merge_schema = true;
  write_table(root, schema, supplier, options);
}

const core::DataType kNtz = core::DataType::timestamp(core::TimeUnit::kMicro, false);

// The checkpoint interval is read before committing: a table property that is not an integer refuses the write
// and commits nothing (after the commit nothing may fail a write).
TEST(DeltaWrite, BadCheckpointIntervalRefusesTheWriteBeforeCommitting) {
  Folder folder;
  core::Schema schema;
  schema.fields = {core::Field{"x", core::DataType::int64(), true, std::nullopt}};
  bool done = false;
  const BatchSupplier supplier = [&]() -> std::optional<core::RecordBatch> {
    if (std::exchange(done, true)) return std::nullopt;
    core::RecordBatch batch;
    batch.schema = schema;
    batch.columns = {core::Column(core::DataType::int64())};
    batch.columns[0].append_int(1);
    batch.num_rows = 1;
    return batch;
  };
  TableWriteOptions options;
  options.table_properties = {{"delta.checkpointInterval", "often"}};
  try {
    write_table(folder.root(), schema, supplier, options);
    ADD_FAILURE() << "no error";
  } catch (const core::InputError& error) {
    EXPECT_NE(std::string(error.what()).find("table property delta.checkpointInterval 'often' is not an integer"),
              std::string::npos)
        << error.what();
  }
  EXPECT_FALSE(fs::exists(folder.root() / "_delta_log" / commit_file_name(0)));
}

// The library names the writer's options by field; a front end spells them its own way (the CLI: its flags).
TEST(DeltaWrite, MessagesNameOptionsByField) {
  const auto message_of = [](const std::function<void()>& body) -> std::pair<std::string, std::vector<std::string>> {
    try {
      body();
    } catch (const core::InputError& error) {
      std::vector<std::string> fields;
      for (const auto& option : error.options()) fields.push_back(option.field);
      return {error.what(), fields};
    }
    return {"no error", {}};
  };
  using Fields = std::vector<std::string>;
  auto [text, fields] = message_of([] { parse_write_mode("sometimes"); });
  EXPECT_EQ(text, "mode: 'sometimes' is not one of create, append, overwrite");
  EXPECT_EQ(fields, Fields{"mode"});

  Folder folder;
  core::Schema schema;
  schema.fields = {core::Field{"x", core::DataType::int64(), true, std::nullopt}};
  const BatchSupplier none = [] { return std::optional<core::RecordBatch>(); };
  TableWriteOptions options;
  options.mode = WriteMode::kAppend;
  options.overwrite_schema = true;
  std::tie(text, fields) = message_of([&] { write_table(folder.root(), schema, none, options); });
  EXPECT_EQ(text, folder.root().string() + ": overwrite_schema needs mode = overwrite");
  EXPECT_EQ(fields, (Fields{"overwrite_schema", "mode"}));

  core::Schema wider = schema;
  wider.fields.push_back(core::Field{"y", core::DataType::int64(), true, std::nullopt});
  std::tie(text, fields) = message_of([&] { merge_schemas(schema, wider, false); });
  EXPECT_NE(text.find("; to add columns, write with merge_schema (or replace the schema with mode = overwrite and "
                      "overwrite_schema)"),
            std::string::npos)
      << text;
  EXPECT_EQ(fields, (Fields{"merge_schema", "mode", "overwrite_schema"}));
}

TEST(DeltaWrite, WriterOnlyFeaturesKeepTheReaderVersion) {
  Folder folder;
  create(folder.root(), Protocol{1, 7, std::nullopt, std::vector<std::string>{"appendOnly", "domainMetadata"}}, {});
  append_with(folder.root(), "y", core::DataType::int64());
  auto protocol = Snapshot::load(folder.root()).protocol();
  EXPECT_EQ(protocol.min_reader_version, 1);
  EXPECT_EQ(protocol.reader_features, Features{});
  append_with(folder.root(), "at", kNtz);
  protocol = Snapshot::load(folder.root()).protocol();
  EXPECT_EQ(protocol.min_reader_version, 3);
  EXPECT_EQ(protocol.min_writer_version, 7);
  EXPECT_EQ(protocol.reader_features, Features({"timestampNtz"}));
  EXPECT_EQ(protocol.writer_features, Features({"appendOnly", "domainMetadata", "timestampNtz"}));
}

TEST(DeltaWrite, LegacyColumnMappingTableMovesToFeaturesWithWhatItsVersionsImplied) {
  Folder folder;
  create(folder.root(), Protocol{2, 5, std::nullopt, std::nullopt},
         {{"delta.columnMapping.mode", "name"}, {"delta.columnMapping.maxColumnId", "1"}});
  append_with(folder.root(), "y", core::DataType::int64());
  EXPECT_EQ(Snapshot::load(folder.root()).protocol(), (Protocol{2, 5, std::nullopt, std::nullopt}));
  append_with(folder.root(), "at", kNtz);
  const auto snapshot = Snapshot::load(folder.root());
  EXPECT_EQ(snapshot.protocol().reader_features, Features({"columnMapping", "timestampNtz"}));
  EXPECT_EQ(snapshot.protocol().writer_features,
            Features({"appendOnly", "invariants", "checkConstraints", "changeDataFeed", "generatedColumns",
                      "columnMapping", "timestampNtz"}));
  // The new columns got the next ids after maxColumnId.
  EXPECT_EQ(snapshot.schema().metadata[1].column_id(), 2);
  EXPECT_EQ(snapshot.schema().metadata[2].column_id(), 3);
  EXPECT_EQ(snapshot.metadata().configuration.at("delta.columnMapping.maxColumnId"), "3");
}

}  // namespace
}  // namespace driftgov::delta

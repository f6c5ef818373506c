// The Arrow C Data import's borrowed values (docs/python.md, "Data in"): given an owner, float64, int64 and timestamp
// values are read in place from the producer's buffer, the owner lives as long as a column borrowing from it, and
// a profile of borrowed columns equals the profile of copied ones.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "driftgov/core/arrow_c_import.hpp"
#include "driftgov/stats/profile.hpp"

namespace driftgov::core {
namespace {

void no_schema_release(ArrowSchema*) {}
void no_array_release(ArrowArray*) {}

// A record batch of three columns over caller-owned buffers: x float64 (a null at row 2), n int64, t timestamp[us].
struct Batch {
  std::vector<double> x{1.5, -2.0, 99.0, 4.25, 0.0, 7.0};
  std::vector<std::int64_t> n{3, 1, 4, 1, 5, 9};
  std::vector<std::int64_t> t{1000, 2000, 3000, 4000, 5000, 6000};
  std::uint8_t x_validity = 0b111011;  // row 2 null
  const void* x_buffers[2] = {&x_validity, x.data()};
  const void* n_buffers[2] = {nullptr, n.data()};
  const void* t_buffers[2] = {nullptr, t.data()};
  const void* root_buffers[1] = {nullptr};
  ArrowSchema x_schema{"g", "x", nullptr, 2, 0, nullptr, nullptr, no_schema_release, nullptr};
  ArrowSchema n_schema{"l", "n", nullptr, 0, 0, nullptr, nullptr, no_schema_release, nullptr};
  ArrowSchema t_schema{"tsu:", "t", nullptr, 0, 0, nullptr, nullptr, no_schema_release, nullptr};
  ArrowSchema* schema_children[3] = {&x_schema, &n_schema, &t_schema};
  ArrowSchema schema{"+s", "", nullptr, 0, 3, schema_children, nullptr, no_schema_release, nullptr};
  ArrowArray x_array{6, 1, 0, 2, 0, x_buffers, nullptr, nullptr, no_array_release, nullptr};
  ArrowArray n_array{6, 0, 0, 2, 0, n_buffers, nullptr, nullptr, no_array_release, nullptr};
  ArrowArray t_array{6, 0, 0, 2, 0, t_buffers, nullptr, nullptr, no_array_release, nullptr};
  ArrowArray* array_children[3] = {&x_array, &n_array, &t_array};
  ArrowArray array{6, 0, 0, 1, 3, root_buffers, array_children, nullptr, no_array_release, nullptr};
};

TEST(ArrowImport, BorrowsNumericValuesInPlaceWhenGivenAnOwner) {
  Batch data;
  const auto import = import_arrow_schema(data.schema);
  bool released = false;
  auto owner = std::shared_ptr<const void>(new int(0), [&released](const int* held) {
    released = true;
    delete held;
  });
  auto batch = import_arrow_batch(data.schema, import, data.array, 1, 4, owner);
  ASSERT_EQ(batch.num_rows, 4);
  const auto& x = batch.columns[0];
  EXPECT_EQ(x.borrowed_doubles, data.x.data() + 1);  // the producer's buffer, not a copy
  EXPECT_TRUE(x.doubles.empty());
  EXPECT_EQ(x.double_values()[0], -2.0);
  EXPECT_EQ(x.double_values()[2], 4.25);
  EXPECT_EQ(x.validity, (std::vector<std::uint8_t>{1, 0, 1, 1}));
  EXPECT_EQ(batch.columns[1].borrowed_ints, data.n.data() + 1);
  EXPECT_EQ(batch.columns[2].borrowed_ints, data.t.data() + 1);
  EXPECT_TRUE(batch.columns[2].ints.empty());
  // The owner lives as long as a column borrowing from it.
  owner.reset();
  EXPECT_FALSE(released);
  auto kept = batch.columns[1];
  batch = RecordBatch{};
  EXPECT_FALSE(released);
  kept = Column{};
  EXPECT_TRUE(released);
}

TEST(ArrowImport, CopiesWithoutAnOwner) {
  Batch data;
  const auto import = import_arrow_schema(data.schema);
  const auto batch = import_arrow_batch(data.schema, import, data.array, 1, 4);
  EXPECT_EQ(batch.columns[0].borrowed_doubles, nullptr);
  EXPECT_EQ(batch.columns[0].doubles, (std::vector<double>{-2.0, 0.0, 4.25, 0.0}));  // the null slot zeroed
  EXPECT_EQ(batch.columns[1].ints, (std::vector<std::int64_t>{1, 4, 1, 5}));
}

TEST(ArrowImport, AProfileOfBorrowedColumnsEqualsOneOfCopiedColumns) {
  Batch data;
  const auto import = import_arrow_schema(data.schema);
  stats::ProfileOptions options;
  stats::Profiler borrowed(options);
  borrowed.consume(import_arrow_batch(data.schema, import, data.array, 0, 6, std::make_shared<int>(0)));
  stats::Profiler copied(options);
  copied.consume(import_arrow_batch(data.schema, import, data.array, 0, 6));
  EXPECT_EQ(borrowed.finish("arrow").to_json().dump(), copied.finish("arrow").to_json().dump());
  // And as categories (kind overrides read the values one by one).
  options.kind_overrides["x"] = stats::ColumnKind::kCategorical;
  options.kind_overrides["n"] = stats::ColumnKind::kCategorical;
  stats::Profiler borrowed_categories(options);
  borrowed_categories.consume(import_arrow_batch(data.schema, import, data.array, 0, 6, std::make_shared<int>(0)));
  stats::Profiler copied_categories(options);
  copied_categories.consume(import_arrow_batch(data.schema, import, data.array, 0, 6));
  EXPECT_EQ(borrowed_categories.finish("arrow").to_json().dump(),
            copied_categories.finish("arrow").to_json().dump());
}

}  // namespace
}  // namespace driftgov::core

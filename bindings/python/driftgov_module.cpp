// driftgov._core: the Python binding of the library. It only converts types (Arrow C streams in, profiles and
// JSON out), translates errors at this one boundary, and releases the GIL around profiling, merging and comparing;
// every statistic and every check is the library's (the package python/driftgov wraps this module).
#include <nanobind/nanobind.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "driftgov/core/arrow_c_export.hpp"
#include "driftgov/core/arrow_c_import.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/io/source.hpp"
#include "driftgov/delta/log.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/config.hpp"
#include "driftgov/monitor/profiling.hpp"
#include "driftgov/monitor/refresh.hpp"
#include "driftgov/monitor/sources.hpp"
#include "driftgov/stats/drift.hpp"
#include "driftgov/stats/profile.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace driftgov::python {
namespace {

// The library's option fields spelled as the Python keyword arguments that set them.
std::string python_spelling(const core::OptionName& option) {
  static const std::map<std::string, std::string> keywords = {
      {"exact_value_limit", "exact_limit"}, {"kind_overrides", "kind"},         {"columns[].bins", "bins"},
      {"columns[].test", "test"},           {"columns[].threshold", "threshold"}, {"distance_thresholds", "threshold"}};
  const auto found = keywords.find(option.field);
  if (found == keywords.end()) return core::to_string(option);
  if (option.key.empty() || option.field == "distance_thresholds") return found->second;
  return option.value.empty() ? fmt::format("{}['{}']", found->second, option.key)
                              : fmt::format("{}['{}'] = {}", found->second, option.key, option.value);
}

// An io::Source over an Arrow C stream, so that in-memory data is profiled by the same parallel profiler as files.
class ArrowSource final : public io::Source {
 public:
  // borrow_values: the batches' float64, int64 and timestamp values are read in place (for the profiler only).
  ArrowSource(ArrowArrayStream* stream, const std::vector<std::string>& columns, std::string description,
              bool borrow_values = false)
      : reader_(stream, columns, borrow_values), description_(std::move(description)) {}
  const core::Schema& schema() const override { return reader_.schema(); }
  std::optional<core::RecordBatch> next() override { return reader_.next(); }
  std::string description() const override { return description_; }

 private:
  core::ArrowStreamReader reader_;
  std::string description_;
};

ArrowArrayStream* stream_from_capsule(nb::handle capsule) {
  auto* stream = static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(capsule.ptr(), "arrow_array_stream"));
  if (stream == nullptr) throw nb::python_error();
  if (stream->release == nullptr) {
    throw core::InputError("Arrow data: the stream capsule was already consumed; ask the object for a new one");
  }
  return stream;
}

stats::DatasetProfile profile_stream(nb::handle capsule, const std::string& description,
                                     const std::vector<std::string>& columns, int sketch_k, std::size_t category_cap,
                                     const std::map<std::string, std::string>& kinds, std::int64_t exact_limit,
                                     int threads, const std::vector<std::string>& nan_as_null) {
  stats::ProfileOptions options;
  options.nan_as_null.insert(nan_as_null.begin(), nan_as_null.end());
  options.sketch_k = sketch_k;
  options.category_cap = category_cap;
  options.exact_value_limit = exact_limit;
  for (const auto& [column, kind] : kinds) {
    options.kind_overrides[column] = stats::column_kind_from_string(kind, fmt::format("kind['{}']", column));
  }
  options.validate();
  auto* stream = stream_from_capsule(capsule);
  nb::gil_scoped_release release;  // the stream's producer takes the GIL itself when it needs Python
  ArrowSource source(stream, columns, description, /*borrow_values=*/true);
  return monitor::profile_source(source, options, threads);
}

stats::DriftOptions drift_options(const std::optional<std::string>& test,
                                  const std::map<std::string, std::string>& column_tests,
                                  const std::optional<double>& threshold,
                                  const std::map<std::string, double>& column_thresholds,
                                  const std::optional<int>& bins, const std::map<std::string, int>& column_bins,
                                  const nb::dict& scalars) {
  stats::DriftOptions options;
  options.alpha = nb::cast<double>(scalars["alpha"]);
  options.correction = stats::correction_from_string(nb::cast<std::string>(scalars["correction"]), "correction");
  options.null_rate_min_change = nb::cast<double>(scalars["null_rate_min_change"]);
  options.null_rate_test = nb::cast<bool>(scalars["null_rate_test"]);
  options.test_time_columns = nb::cast<bool>(scalars["test_time_columns"]);
  options.drift_share = nb::cast<double>(scalars["drift_share"]);
  options.small_sample_limit = nb::cast<std::int64_t>(scalars["small_sample_limit"]);
  options.proportion_floor = nb::cast<double>(scalars["proportion_floor"]);
  options.max_category_bins = nb::cast<std::size_t>(scalars["max_category_bins"]);
  if (test) options.test = stats::drift_test_from_string(*test, "test");
  for (const auto& [column, name] : column_tests) {
    options.columns[column].test = stats::drift_test_from_string(name, fmt::format("test['{}']", column));
  }
  for (const auto& [column, value] : column_thresholds) options.columns[column].threshold = value;
  if (bins) options.bins = *bins;
  for (const auto& [column, value] : column_bins) options.columns[column].bins = value;
  if (threshold) stats::set_test_threshold(options, *threshold);
  return options;
}

std::string compare(const stats::DatasetProfile& reference, const stats::DatasetProfile& current,
                    const stats::DriftOptions& options, const std::vector<std::string>& columns,
                    const std::vector<std::string>& exclude) {
  nb::gil_scoped_release release;
  const auto selected = stats::compared_columns(reference, current, columns, exclude);
  return stats::to_json(stats::compare_profiles(reference, current, options, selected)).dump();
}

// The source name the CLI takes for `path` at a Delta version or timestamp (docs/delta.md): `path@v=N`, `path@ts=T`.
std::string versioned_location(const std::string& path, const std::optional<std::int64_t>& version,
                               const std::optional<std::string>& timestamp) {
  if (!version && !timestamp) return path;
  if (version && timestamp) throw core::InputError("read: give version or timestamp, not both");
  if (!delta::is_delta_table(path)) {
    throw core::InputError(fmt::format(
        "read: version and timestamp select a version of a Delta table, and '{}' is not one (a folder holding "
        "_delta_log)",
        path));
  }
  return version ? fmt::format("{}@v={}", path, *version) : fmt::format("{}@ts={}", path, *timestamp);
}

// A capsule owning an exported Arrow C stream (released with the capsule when the consumer did not take it).
nb::capsule owned_stream_capsule(std::unique_ptr<ArrowArrayStream> stream) {
  return nb::capsule(stream.release(), "arrow_array_stream", [](void* pointer) noexcept {
    auto* owned = static_cast<ArrowArrayStream*>(pointer);
    if (owned->release != nullptr) owned->release(owned);
    delete owned;
  });
}

// The items of a NumPy object array (a pandas object column), given by its __array_interface__, as an Arrow C stream
// of one string column named `name`: each str's UTF-8 bytes, and a null for each missing value as pandas and
// pyarrow's conversion take them (None, a float NaN, `missing` = pandas.NA). None when some item is anything else,
// when no item is a str, or when the bytes outgrow 32-bit offsets: the caller then takes pyarrow's conversion, with
// its types and messages. The same strings as pyarrow's conversion, without its per-item checks.
nb::object strings_from_objects(const nb::dict& interface, std::int64_t length, const std::string& name,
                                nb::handle missing) {
  if (nb::cast<std::string>(interface["typestr"]) != "|O") return nb::none();
  const auto data = nb::cast<nb::tuple>(interface["data"]);
  const auto* base = reinterpret_cast<const char*>(nb::cast<std::uintptr_t>(data[0]));
  std::int64_t stride = static_cast<std::int64_t>(sizeof(PyObject*));
  if (interface.contains("strides") && !interface["strides"].is_none()) {
    stride = nb::cast<std::int64_t>(nb::cast<nb::tuple>(interface["strides"])[0]);
  }
  core::Column column(core::DataType::string());
  column.reserve(length);
  bool any_text = false;
  for (std::int64_t row = 0; row < length; ++row) {
    PyObject* item = *reinterpret_cast<PyObject* const*>(base + row * stride);
    if (PyUnicode_Check(item)) {
      Py_ssize_t size = 0;
      const char* text = PyUnicode_AsUTF8AndSize(item, &size);
      if (text == nullptr) {  // not encodable (a lone surrogate): pyarrow says so
        PyErr_Clear();
        return nb::none();
      }
      column.append_string(std::string_view(text, static_cast<std::size_t>(size)));
      any_text = true;
    } else if (item == Py_None || item == missing.ptr() ||
               (PyFloat_CheckExact(item) && std::isnan(PyFloat_AS_DOUBLE(item)))) {
      column.append_null();
    } else {
      return nb::none();
    }
  }
  if (!any_text || column.bytes.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    return nb::none();
  }
  core::RecordBatch batch;
  batch.schema.fields.push_back(core::Field{name, core::DataType::string(), true, std::nullopt});
  batch.num_rows = length;
  batch.columns.push_back(std::move(column));
  auto stream = std::make_unique<ArrowArrayStream>();
  auto schema = batch.schema;
  std::vector<core::RecordBatch> batches;
  batches.push_back(std::move(batch));
  core::export_arrow_stream(std::move(schema), std::move(batches), stream.get());
  return owned_stream_capsule(std::move(stream));
}

// Reads a CSV, Parquet or Delta source whole, with the readers of `driftgov cat`, into an Arrow C stream capsule.
// Reading happens here, not as the consumer pulls, so that every error is raised by this call with the library's
// message and kind.
nb::capsule read_source(const std::string& path, const std::optional<std::int64_t>& version,
                        const std::optional<std::string>& timestamp, const std::vector<std::string>& columns) {
  auto stream = std::make_unique<ArrowArrayStream>();
  {
    nb::gil_scoped_release release;
    io::SourceOptions options;
    options.columns = columns;
    auto source = monitor::open_source(versioned_location(path, version, timestamp), options);
    std::vector<core::RecordBatch> batches;
    while (auto batch = source->next()) batches.push_back(std::move(*batch));
    core::export_arrow_stream(source->schema(), std::move(batches), stream.get());
  }
  return owned_stream_capsule(std::move(stream));
}

// A configuration with principals is refused (its refreshes are signed by an acting principal's key, which is the
// CLI's --as), and one with lineage (the CLI sends the OpenLineage run events around the refresh: a refresh run from
// here would leave a gap in the lineage).
void refuse_signed_or_lineage(const monitor::Config& config, const std::string& config_path, const std::string& name,
                              const std::string& function) {
  if (!config.principals.empty()) {
    throw core::InputError(fmt::format(
        "{}: {} declares principals, so each refresh is signed by an acting principal; run "
        "`driftgov monitor run {} --as NAME` instead",
        function, config_path, name));
  }
  if (config.lineage.enabled()) {
    throw core::InputError(fmt::format(
        "{}: {} declares lineage, whose run events `driftgov monitor run {}` sends; run it instead", function,
        config_path, name));
  }
}

// Refreshes one monitor as `driftgov monitor run NAME --json` does; returns its summary as JSON text. A configuration
// with principals is refused (its refreshes are signed by an acting principal's key, which is the CLI's --as), and
// one with lineage (the CLI sends the OpenLineage run events around the refresh).
std::string run_monitor(const std::string& config_path, const std::string& name, const std::string& target,
                        const std::map<std::string, std::string>& variables, bool full, double wait_seconds) {
  nb::gil_scoped_release release;
  monitor::LoadOptions load;
  load.target = target;
  load.variables = variables;
  const auto config = monitor::load_config(config_path, load);
  refuse_signed_or_lineage(config, config_path, name, "monitor.run");
  monitor::RefreshOptions options;
  options.full = full;
  options.wait_seconds = wait_seconds;
  options.driftgov_version = DRIFTGOV_VERSION;
  return monitor::summary_json(monitor::refresh_monitor(config, config.monitor(name), options)).dump();
}

// The configuration of driftgov.spark.run_monitor: its text and file name (its folder resolves relative paths), so
// that executors need no copy of the file.
monitor::Config load_config_text(const std::string& text, const std::string& file_name, const std::string& target,
                                 const std::map<std::string, std::string>& variables) {
  monitor::LoadOptions load;
  load.target = target;
  load.variables = variables;
  return monitor::load_config_text(text, file_name, load);
}

nb::tuple monitor_table_scan(const std::string& text, const std::string& file_name, const std::string& target,
                             const std::map<std::string, std::string>& variables, const std::string& name) {
  monitor::TableScan scan;
  {
    nb::gil_scoped_release release;
    const auto config = load_config_text(text, file_name, target, variables);
    refuse_signed_or_lineage(config, file_name, name, "spark.run_monitor");
    scan = monitor::refresh_table_scan(config, config.monitor(name));
  }
  return nb::make_tuple(scan.table, scan.version, scan.columns);
}

// Executor side: the partial state of the rows of an Arrow C stream, as a stream of the state table's rows.
nb::tuple monitor_partial_state(const std::string& text, const std::string& file_name, const std::string& target,
                                const std::map<std::string, std::string>& variables, const std::string& name,
                                std::int64_t version, nb::handle capsule) {
  auto* input = stream_from_capsule(capsule);
  auto output = std::make_unique<ArrowArrayStream>();
  monitor::PartialState partial;
  {
    nb::gil_scoped_release release;  // the stream's producer takes the GIL itself when it needs Python
    const auto config = load_config_text(text, file_name, target, variables);
    ArrowSource source(input, {}, "Arrow data of " + name);
    partial = monitor::partial_state(config, config.monitor(name), version, source);
    std::vector<core::RecordBatch> batches;
    const auto schema = partial.rows.schema;
    batches.push_back(std::move(partial.rows));
    core::export_arrow_stream(schema, std::move(batches), output.get());
  }
  return nb::make_tuple(owned_stream_capsule(std::move(output)), partial.rows_read, partial.null_timestamp_rows);
}

// Driver side: a full refresh from the partial states (streams of state rows, merged in this order).
std::string monitor_refresh_from_states(const std::string& text, const std::string& file_name,
                                        const std::string& target,
                                        const std::map<std::string, std::string>& variables, const std::string& name,
                                        std::int64_t version, nb::handle capsule, std::int64_t rows_read,
                                        std::int64_t null_timestamp_rows, double wait_seconds) {
  auto* stream = stream_from_capsule(capsule);
  nb::gil_scoped_release release;
  const auto config = load_config_text(text, file_name, target, variables);
  refuse_signed_or_lineage(config, file_name, name, "spark.run_monitor");
  monitor::TableState state;
  state.version = version;
  state.rows_read = rows_read;
  state.null_timestamp_rows = null_timestamp_rows;
  core::ArrowStreamReader reader(stream, {});
  while (auto batch = reader.next()) state.rows.push_back(std::move(*batch));
  monitor::RefreshOptions options;
  options.full = true;
  options.wait_seconds = wait_seconds;
  options.driftgov_version = DRIFTGOV_VERSION;
  return monitor::summary_json(monitor::refresh_monitor_from_state(config, config.monitor(name), state, options))
      .dump();
}

}  // namespace
}  // namespace driftgov::python

NB_MODULE(_core, module) {
  using namespace driftgov;
  module.doc() = "driftgov's C++ core (use the driftgov package, which wraps this module)";
  module.attr("__version__") = DRIFTGOV_VERSION;

  // Error classes: the library's three kinds of failure as Python's built-in kinds (docs/python.md, Errors).
  static nb::object input_error = nb::steal(PyErr_NewExceptionWithDoc(
      "driftgov.InputError", "Bad input: an option, a column or data that is not what driftgov expects.",
      PyExc_ValueError, nullptr));
  static nb::object unsupported_error = nb::steal(PyErr_NewExceptionWithDoc(
      "driftgov.UnsupportedError", "Valid input using a feature driftgov does not implement (an Arrow type, ...).",
      input_error.ptr(), nullptr));
  static nb::object storage_error = nb::steal(PyErr_NewExceptionWithDoc(
      "driftgov.StorageError", "The operating system or the storage failed an operation.", PyExc_OSError, nullptr));
  static nb::object internal_error = nb::steal(PyErr_NewExceptionWithDoc(
      "driftgov.InternalError", "A broken invariant in driftgov: please report it.", PyExc_RuntimeError, nullptr));
  module.attr("InputError") = input_error;
  module.attr("UnsupportedError") = unsupported_error;
  module.attr("StorageError") = storage_error;
  module.attr("InternalError") = internal_error;
  nb::register_exception_translator([](const std::exception_ptr& failure, void*) {
    try {
      std::rethrow_exception(failure);
    } catch (const core::UnsupportedError& error) {
      PyErr_SetString(unsupported_error.ptr(), error.message_with(python::python_spelling).c_str());
    } catch (const core::InputError& error) {
      PyErr_SetString(input_error.ptr(), error.message_with(python::python_spelling).c_str());
    } catch (const core::IOError& error) {
      nb::object value = nb::steal(Py_BuildValue("(is)", error.error_number(), error.what()));
      PyErr_SetObject(storage_error.ptr(), value.ptr());
    } catch (const core::InternalError& error) {
      PyErr_SetString(internal_error.ptr(), error.what());
    }
  });

  nb::class_<stats::DatasetProfile>(module, "Profile",
                                    "A mergeable summary of every column of a data set (docs/profiles.md).")
      .def_prop_ro("row_count", [](const stats::DatasetProfile& profile) { return profile.row_count; },
                   "Rows profiled.")
      .def_prop_ro("source", [](const stats::DatasetProfile& profile) { return profile.source; },
                   "What was profiled.")
      .def_prop_ro("column_names",
                   [](const stats::DatasetProfile& profile) {
                     std::vector<std::string> names;
                     for (const auto& column : profile.columns) names.push_back(column.name);
                     return names;
                   },
                   "The profiled columns, in order.")
      .def("merge",
           [](const stats::DatasetProfile& profile, const stats::DatasetProfile& other) {
             nb::gil_scoped_release release;
             auto merged = profile;
             merged.merge(other);
             return merged;
           },
           "other"_a,
           "A new profile of both data sets (this one is unchanged). Counts, nulls, min, max and exact category "
           "counts are exact; quantiles, frequent items and distinct counts within their sketches' bounds.")
      .def("to_bytes",
           [](const stats::DatasetProfile& profile) {
             std::string text;
             {
               nb::gil_scoped_release release;
               text = monitor::profile_text(profile);
             }
             return nb::bytes(text.data(), text.size());
           },
           "The profile file's content (JSON, the format `driftgov profile -o FILE` writes).")
      .def_static("from_bytes",
                  [](nb::bytes data) {
                    std::string text(static_cast<const char*>(data.data()), data.size());
                    nb::gil_scoped_release release;
                    return monitor::parse_profile(text, "profile bytes");
                  },
                  "data"_a, "The profile held by bytes from to_bytes or a profile file.")
      .def("save",
           [](const stats::DatasetProfile& profile, const std::filesystem::path& path) {  // str or os.PathLike
             nb::gil_scoped_release release;
             monitor::save_profile(profile, path.string());
           },
           "path"_a, "Writes the profile file atomically (readable by `driftgov compare` and Profile.load).")
      .def_static("load",
                  [](const std::filesystem::path& path) {  // str or os.PathLike
                    nb::gil_scoped_release release;
                    return monitor::load_profile(path.string());
                  },
                  "path"_a, "Reads a profile file written by Profile.save or `driftgov profile -o`.")
      .def("_to_json_text", [](const stats::DatasetProfile& profile) { return profile.to_json().dump(); });

  module.def("_profile_stream", &python::profile_stream, "stream"_a, "description"_a, "columns"_a, "sketch_k"_a,
             "category_cap"_a, "kind"_a, "exact_limit"_a, "threads"_a, "nan_as_null"_a = std::vector<std::string>{},
             "Profiles an Arrow C stream capsule (driftgov.profile converts its data to one); NaN in the floating "
             "columns `nan_as_null` names counts as null.");
  module.def("_strings_from_objects", &python::strings_from_objects, "interface"_a, "length"_a, "name"_a, "missing"_a,
             "The str items of a NumPy object array as an Arrow C stream of one string column, or None.");
  module.def("_read", &python::read_source, "path"_a, "version"_a, "timestamp"_a, "columns"_a,
             "Reads a CSV, Parquet or Delta source into an Arrow C stream capsule (driftgov.read wraps it).");
  module.def("_run_monitor", &python::run_monitor, "config"_a, "name"_a, "target"_a, "variables"_a, "full"_a,
             "wait"_a, "Refreshes a monitor of a configuration file; returns the summary as JSON text.");
  module.def("_monitor_table_scan", &python::monitor_table_scan, "config_text"_a, "config_file"_a, "target"_a,
             "variables"_a, "name"_a,
             "What run_monitor's tasks read: (monitored table, its current version, the columns a refresh reads).");
  module.def("_monitor_partial_state", &python::monitor_partial_state, "config_text"_a, "config_file"_a, "target"_a,
             "variables"_a, "name"_a, "version"_a, "stream"_a,
             "Profiles an Arrow C stream of the monitored table's rows into a partial state: (stream capsule of "
             "the state table's rows, rows read, rows with a null timestamp).");
  module.def("_monitor_refresh_from_states", &python::monitor_refresh_from_states, "config_text"_a, "config_file"_a,
             "target"_a, "variables"_a, "name"_a, "version"_a, "stream"_a, "rows_read"_a, "null_timestamp_rows"_a,
             "wait"_a,
             "A full refresh at `version` from partial states (a stream of state rows, merged in order); returns "
             "the summary as JSON text.");
  module.def(
      "_compare",
      [](const stats::DatasetProfile& reference, const stats::DatasetProfile& current,
         const std::vector<std::string>& columns, const std::vector<std::string>& exclude,
         const std::optional<std::string>& test, const std::map<std::string, std::string>& column_tests,
         const std::optional<double>& threshold, const std::map<std::string, double>& column_thresholds,
         const std::optional<int>& bins, const std::map<std::string, int>& column_bins, const nb::dict& scalars) {
        const auto options =
            python::drift_options(test, column_tests, threshold, column_thresholds, bins, column_bins, scalars);
        return python::compare(reference, current, options, columns, exclude);
      },
      "reference"_a, "current"_a, "columns"_a, "exclude"_a, "test"_a, "column_tests"_a, "threshold"_a,
      "column_thresholds"_a, "bins"_a, "column_bins"_a, "scalars"_a,
      "Compares two profiles; returns the result as JSON text (the format of `driftgov compare --json`).");
}

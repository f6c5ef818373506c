#include "driftgov/delta/checkpoint.hpp"

#include <fmt/format.h>

#include "driftgov/core/error.hpp"

namespace driftgov::delta {
namespace {

std::vector<Action> read_parquet_actions(const std::filesystem::path& file) {
  throw core::UnsupportedError(
      fmt::format("{}: reading Parquet checkpoints needs the Parquet reader, not in this build", file.string()));
}

}  // namespace

void write_checkpoint(const Snapshot& snapshot) {
  throw core::UnsupportedError(fmt::format(
      "{}: writing checkpoints needs the Parquet writer, not in this build", snapshot.table_root().string()));
}

std::vector<Action> parse_json_checkpoint(std::string_view text, const std::string& file_name) {
  return parse_commit(text, file_name);
}

std::vector<Action> read_checkpoint(const CheckpointFiles& checkpoint, const LogListing& listing) {
  std::vector<Action> actions;
  for (const auto& file : checkpoint.files) {
    std::vector<Action> part;
    if (file.extension() == ".json") {
      part = parse_json_checkpoint(read_file_text(file), "_delta_log/" + file.filename().string());
    } else {
      part = read_parquet_actions(file);
    }
    for (auto& action : part) {
      if (const auto* sidecar = std::get_if<SidecarFile>(&action)) {
        const std::string decoded = decode_path(sidecar->path, file.filename().string());
        const std::filesystem::path sidecar_path = decoded.find(':') != std::string::npos || decoded.starts_with("/")
                                                       ? std::filesystem::path(decoded)
                                                       : listing.log_directory / "_sidecars" / decoded;
        for (auto& sidecar_action : read_parquet_actions(sidecar_path)) actions.push_back(std::move(sidecar_action));
        continue;
      }
      actions.push_back(std::move(action));
    }
  }
  return actions;
}

}  // namespace driftgov::delta

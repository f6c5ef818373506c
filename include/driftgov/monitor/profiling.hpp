#pragma once
// Turning a location into a profile: a stored profile file is loaded, any data source is read and profiled.

#include <string>

#include "driftgov/io/storage.hpp"
#include "driftgov/io/source.hpp"
#include "driftgov/stats/profile.hpp"

namespace driftgov::monitor {

// True when `location` is a file holding a driftgov profile (JSON whose "format" is driftgov.profile).
bool is_profile_file(const std::string& location);

// The profile file's text (docs/profiles.md), and the profile in such a text; `context` names the text in messages.
std::string profile_text(const stats::DatasetProfile& profile);
stats::DatasetProfile parse_profile(const std::string& text, const std::string& context);

stats::DatasetProfile load_profile(const std::string& path);
// Writes atomically (io::write_file_atomically): the previous file stays until the new one is complete.
// Throws core::IOError on a storage failure.
void save_profile(const stats::DatasetProfile& profile, const std::string& path,
                  io::Storage& storage = io::local_storage());

inline constexpr int kMaxThreads = 1024;

// Loads a profile file, or reads the data source and profiles it on `threads` workers besides the reading
// thread (threads 0: one per remaining core, at least one; at most kMaxThreads). Validates every option first
// (ProfileOptions::validate, SourceOptions::validate), whichever the location is.
stats::DatasetProfile profile_location(const std::string& location, const io::SourceOptions& source_options,
                                       const stats::ProfileOptions& profile_options, int threads = 0);

// Profiles every batch of an open source on `threads` workers besides the calling thread, which reads (threads as
// for profile_location). Used for sources that are not locations, such as an Arrow stream handed over in memory.
stats::DatasetProfile profile_source(io::Source& source, const stats::ProfileOptions& profile_options,
                                     int threads = 0);

}  // namespace driftgov::monitor

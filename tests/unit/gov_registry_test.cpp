// The model registry's commits (docs/governance.md, "Model registry and promotion"): a commit decided from a read
// of the table loses to any commit made since that read (Delta optimistic concurrency through
// TableWriteOptions::read_version), the events of one commit are one Delta version, and the verifier catches a
// version registered twice or an alias naming no version. Expectations are written by hand from the documented
// rules.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "driftgov/delta/snapshot.hpp"
#include "driftgov/gov/registry.hpp"

namespace driftgov::gov {
namespace {

namespace fs = std::filesystem;

class TemporaryLakehouse {
 public:
  TemporaryLakehouse() {
    path_ = fs::temp_directory_path() /
            ("driftgov_registry_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TemporaryLakehouse() { fs::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

KeyPair key_of(unsigned char byte) {
  std::array<unsigned char, kSeedBytes> seed{};
  seed.fill(byte);
  return KeyPair::from_seed(seed);
}

RegistryEvent event(const char* kind, std::int64_t version, const char* alias = "") {
  RegistryEvent e;
  e.event = kind;
  e.model = "churn";
  e.version = version;
  e.alias = alias;
  e.artefact_sha256 = std::string(64, 'a');
  e.approvals = "{}";
  e.details = "{}";
  return e;
}

TEST(GovRegistry, ACommitDecidedFromAStaleReadLosesAndWritesNothing) {
  const TemporaryLakehouse lakehouse;
  const auto key = key_of(7);
  IncidentContext context{lakehouse.path(), "prod", "olga", &key, 30.0, std::int64_t{1764633600000000}};
  const auto table = registry_table(lakehouse.path());

  const auto empty = read_registry(table);
  EXPECT_EQ(empty.table_version, -1);
  // Two writers read the same (empty) registry; the first commits both events of its promotion in one version.
  std::vector<RegistryEvent> first{event("version_registered", 1), event("alias_set", 1, "champion")};
  ASSERT_TRUE(commit_registry_events(context, empty, first));
  EXPECT_EQ(delta::Snapshot::load(table).version(), 0);
  // The second writer's commit would take seqs 1 to 3, past the first's last seq 2, so the idempotent transaction
  // id alone would not stop it: the read version does.
  std::vector<RegistryEvent> second{event("version_registered", 1), event("alias_set", 1, "champion"),
                                    event("alias_set", 1, "challenger")};
  EXPECT_FALSE(commit_registry_events(context, empty, second));
  auto read = read_registry(table);
  ASSERT_EQ(read.events.size(), 2u);
  EXPECT_EQ(read.table_version, 0);
  EXPECT_EQ(read.events[0].seq, 1);
  EXPECT_EQ(read.events[1].prev_hash, read.events[0].event_hash);
  EXPECT_EQ(read.events[0].event_hash, sha256_hex(canonical_registry_text(read.events[0])));

  // Decided again from the new read, it commits after the first.
  std::vector<RegistryEvent> retried{event("version_registered", 2), event("alias_set", 2, "champion")};
  ASSERT_TRUE(commit_registry_events(context, read, retried));
  read = read_registry(table);
  ASSERT_EQ(read.events.size(), 4u);
  EXPECT_EQ(read.table_version, 1);
  EXPECT_EQ(read.events[2].seq, 3);

  Principals principals;
  principals["olga"] = Principal{"olga", PrincipalType::kServicePrincipal, key.public_key(), {}};
  EXPECT_TRUE(verify_registry_events(read.events, principals).ok());
  const auto models = fold_registry(read.events);
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].aliases.at("champion"), 2);
  EXPECT_EQ(models[0].versions.size(), 2u);
  EXPECT_EQ(models[0].alias_history.size(), 2u);
}

TEST(GovRegistry, VerifierCatchesAVersionRegisteredTwiceAndAnAliasOfNoVersion) {
  const TemporaryLakehouse lakehouse;
  const auto key = key_of(9);
  IncidentContext context{lakehouse.path(), "prod", "olga", &key, 30.0, std::int64_t{1764633600000000}};
  Principals principals;
  principals["olga"] = Principal{"olga", PrincipalType::kServicePrincipal, key.public_key(), {}};
  const auto table = registry_table(lakehouse.path());
  std::vector<RegistryEvent> events{event("version_registered", 1), event("version_registered", 1)};
  ASSERT_TRUE(commit_registry_events(context, read_registry(table), events));
  auto verdict = verify_registry_events(read_registry(table).events, principals);
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(*verdict.bad_seq, 2);
  EXPECT_EQ(verdict.problem, "model 'churn' registers version 1; the next version is 2");

  const TemporaryLakehouse other;
  context.lakehouse = other.path();
  std::vector<RegistryEvent> dangling{event("alias_set", 3, "champion")};
  ASSERT_TRUE(commit_registry_events(context, read_registry(registry_table(other.path())), dangling));
  verdict = verify_registry_events(read_registry(registry_table(other.path())).events, principals);
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(verdict.problem, "alias 'champion' names version 3 of model 'churn', which is not registered");
}

}  // namespace
}  // namespace driftgov::gov

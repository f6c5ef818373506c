// Incidents (docs/governance.md, "Incidents"): the state machine against the graph the issue states, the canonical
// text, opening and attaching, legal and illegal transitions, concurrent openers, and the verifier on tampered
// histories. Expectations are written by hand from the documented rules.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "driftgov/gov/audit_log.hpp"
#include "driftgov/gov/incidents.hpp"

namespace driftgov::gov {
namespace {

namespace fs = std::filesystem;
using S = IncidentState;

class TemporaryLakehouse {
 public:
  TemporaryLakehouse() {
    path_ = fs::temp_directory_path() /
            ("driftgov_incidents_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TemporaryLakehouse() { fs::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

TEST(GovIncidents, TransitionsAreExactlyTheIssuesGraph) {
  // open -> staging -> staged -> training -> evaluated -> awaiting_approval -> approved | rejected; approved ->
  // promoted; every state but promoted and closed may be closed (rejected too).
  const std::set<std::pair<S, S>> legal = {
      {S::kOpen, S::kStaging},        {S::kStaging, S::kStaged},
      {S::kStaged, S::kTraining},     {S::kTraining, S::kEvaluated},
      {S::kEvaluated, S::kAwaitingApproval}, {S::kAwaitingApproval, S::kApproved},
      {S::kAwaitingApproval, S::kRejected},  {S::kApproved, S::kPromoted},
      {S::kOpen, S::kClosed},         {S::kStaging, S::kClosed},
      {S::kStaged, S::kClosed},       {S::kTraining, S::kClosed},
      {S::kEvaluated, S::kClosed},    {S::kAwaitingApproval, S::kClosed},
      {S::kApproved, S::kClosed},     {S::kRejected, S::kClosed}};
  const auto& names = incident_state_names();
  ASSERT_EQ(names.size(), 10u);
  for (std::size_t from = 0; from < names.size(); ++from) {
    for (std::size_t to = 0; to < names.size(); ++to) {
      const auto pair = std::make_pair(static_cast<S>(from), static_cast<S>(to));
      EXPECT_EQ(is_legal_transition(pair.first, pair.second), legal.contains(pair)) << names[from] << " -> "
                                                                                    << names[to];
    }
    EXPECT_EQ(parse_incident_state(names[from]), static_cast<S>(from));
  }
  EXPECT_FALSE(parse_incident_state("Open"));
  for (const auto state : {S::kClosed, S::kPromoted, S::kRejected}) EXPECT_FALSE(is_active(state));
  for (const auto state : {S::kOpen, S::kStaging, S::kAwaitingApproval, S::kApproved}) EXPECT_TRUE(is_active(state));
}

TEST(GovIncidents, CanonicalTextIsLengthPrefixedLinesInTheDocumentedOrder) {
  IncidentRecord record;
  record.seq = 2;
  record.incident_id = "INC-1";
  record.time_us = 1700000000000001;
  record.actor = "sam";
  record.target = "prod";
  record.event = "transition";
  record.monitor = "sales";
  record.model = "";
  record.state = "closed";
  record.previous_state = "open";
  record.reason = "a\nb";
  record.details = "{}";
  record.breach_ids = "[]";
  record.prev_hash = std::string(64, 'a');
  record.record_hash = "not hashed";
  record.signature = "not hashed";
  EXPECT_EQ(canonical_incident_text(record), "driftgov-incident-v1\n"
                                             "seq 1 2\n"
                                             "incident_id 5 INC-1\n"
                                             "time 16 1700000000000001\n"
                                             "actor 3 sam\n"
                                             "target 4 prod\n"
                                             "event 10 transition\n"
                                             "monitor 5 sales\n"
                                             "model 0 \n"
                                             "state 6 closed\n"
                                             "previous_state 4 open\n"
                                             "reason 3 a\nb\n"
                                             "details 2 {}\n"
                                             "breach_ids 2 []\n"
                                             "prev_hash 64 " +
                                                 std::string(64, 'a') + "\n");
}

struct Actors {
  KeyPair alice = KeyPair::generate();
  KeyPair sam = KeyPair::generate();
  Principals principals() const {
    Principals p;
    p["alice"] = Principal{"alice", PrincipalType::kUser, alice.public_key(), {}};
    p["sam"] = Principal{"sam", PrincipalType::kUser, sam.public_key(), {}};
    return p;
  }
};

IncidentContext context_of(const TemporaryLakehouse& lake, const std::string& actor, const KeyPair& key) {
  IncidentContext context;
  context.lakehouse = lake.path();
  context.target = "prod";
  context.actor = actor;
  context.key = &key;
  return context;
}

BreachBatch batch_of(std::vector<std::string> ids, std::string model = "") {
  return BreachBatch{"sales", std::move(model), std::move(ids), "r1", "t"};
}

TEST(GovIncidents, ABreachOpensOneIncidentLaterBreachesAttachAndKnownBreachesAreSkipped) {
  const TemporaryLakehouse lake;
  const Actors actors;
  const auto alice = context_of(lake, "alice", actors.alice);
  const auto first = record_breaches(alice, batch_of({"b1", "b2", "b1"}));
  EXPECT_EQ(first.incident_id, "INC-1");
  EXPECT_TRUE(first.opened);
  EXPECT_EQ(first.recorded, (std::vector<std::string>{"b1", "b2"}));
  const auto second = record_breaches(alice, batch_of({"b2", "b3"}));
  EXPECT_EQ(second.incident_id, "INC-1");
  EXPECT_FALSE(second.opened);
  EXPECT_EQ(second.recorded, (std::vector<std::string>{"b3"}));
  const auto nothing = record_breaches(alice, batch_of({"b1", "b3"}));
  EXPECT_TRUE(nothing.incident_id.empty());
  EXPECT_TRUE(nothing.recorded.empty());
  const auto other_model = record_breaches(alice, batch_of({"c1"}, "v2"));
  EXPECT_EQ(other_model.incident_id, "INC-2");
  EXPECT_TRUE(other_model.opened);

  const auto incidents = fold_incidents(read_incident_records(incidents_table(lake.path())));
  ASSERT_EQ(incidents.size(), 2u);
  EXPECT_EQ(incidents[0].breach_ids, (std::vector<std::string>{"b1", "b2", "b3"}));
  EXPECT_EQ(incidents[0].history.size(), 2u);
  EXPECT_EQ(incidents[1].model, "v2");
  // Each event appended a signed audit entry, and both tables verify.
  std::vector<std::string> actions;
  for (const auto& entry : read_audit_log(audit_log_table(lake.path()))) actions.push_back(entry.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"incident.open", "incident.attach", "incident.open"}));
  EXPECT_TRUE(verify_audit_log(audit_log_table(lake.path()), actors.principals()).ok());
  const auto verified = verify_incidents(incidents_table(lake.path()), actors.principals());
  EXPECT_TRUE(verified.ok()) << verified.problem;
  EXPECT_EQ(verified.records, 3);
}

TEST(GovIncidents, TransitionsFollowTheChainAndAnIllegalOneIsRefusedNamingIncidentAndStates) {
  const TemporaryLakehouse lake;
  const Actors actors;
  const auto alice = context_of(lake, "alice", actors.alice);
  const auto sam = context_of(lake, "sam", actors.sam);
  record_breaches(alice, batch_of({"b1"}));
  try {
    transition_incident(sam, "INC-1", S::kApproved, "skip ahead");
    ADD_FAILURE() << "no error";
  } catch (const IncidentError& error) {
    EXPECT_STREQ(error.what(), "incident INC-1 is 'open'; it cannot move to 'approved' (from 'open' it can move to: "
                               "staging, closed)");
  }
  EXPECT_THROW(transition_incident(sam, "INC-1", S::kStaging, ""), IncidentError);  // a reason is required
  EXPECT_THROW(transition_incident(sam, "INC-7", S::kStaging, "x"), IncidentError);
  for (const auto to : {S::kStaging, S::kStaged, S::kTraining, S::kEvaluated, S::kAwaitingApproval, S::kApproved,
                        S::kPromoted}) {
    const auto record = transition_incident(sam, "INC-1", to, std::string("to ") + to_string(to));
    EXPECT_EQ(record.state, to_string(to));
    EXPECT_EQ(record.actor, "sam");
  }
  try {
    transition_incident(sam, "INC-1", S::kClosed, "too late");
    ADD_FAILURE() << "no error";
  } catch (const IncidentError& error) {
    EXPECT_NE(std::string(error.what()).find("none: it is final"), std::string::npos) << error.what();
  }
  // Promoted is not active: the next breach opens a new incident.
  EXPECT_EQ(record_breaches(alice, batch_of({"b2"})).incident_id, "INC-2");
  const auto records = read_incident_records(incidents_table(lake.path()));
  EXPECT_EQ(records.size(), 9u);
  std::vector<std::string> states;
  const auto incidents = fold_incidents(records);
  for (const auto& r : incidents[0].history) states.push_back(r.previous_state + ">" + r.state);
  EXPECT_EQ(states, (std::vector<std::string>{">open", "open>staging", "staging>staged", "staged>training",
                                              "training>evaluated", "evaluated>awaiting_approval",
                                              "awaiting_approval>approved", "approved>promoted"}));
  EXPECT_TRUE(verify_incident_records(records, actors.principals()).ok());
}

TEST(GovIncidents, ConcurrentOpenersInThreadsProduceOneIncident) {
  const TemporaryLakehouse lake;
  const Actors actors;
  const auto alice = context_of(lake, "alice", actors.alice);
  std::vector<BreachOutcome> outcomes(4);
  std::vector<std::thread> threads;
  for (std::size_t index = 0; index < outcomes.size(); ++index) {
    threads.emplace_back([&, index] { outcomes[index] = record_breaches(alice, batch_of({"b" + std::to_string(index)})); });
  }
  for (auto& thread : threads) thread.join();
  int opened = 0;
  for (const auto& outcome : outcomes) {
    EXPECT_EQ(outcome.incident_id, "INC-1");
    opened += outcome.opened ? 1 : 0;
  }
  EXPECT_EQ(opened, 1);
  const auto incidents = fold_incidents(read_incident_records(incidents_table(lake.path())));
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].breach_ids.size(), 4u);
}

TEST(GovIncidents, VerifierNamesTheFirstBadRecord) {
  const TemporaryLakehouse lake;
  const Actors actors;
  const auto alice = context_of(lake, "alice", actors.alice);
  record_breaches(alice, batch_of({"b1"}));
  record_breaches(alice, batch_of({"b2"}));
  transition_incident(context_of(lake, "sam", actors.sam), "INC-1", S::kClosed, "done");
  const auto original = read_incident_records(incidents_table(lake.path()));
  const auto principals = actors.principals();
  ASSERT_TRUE(verify_incident_records(original, principals).ok());
  const auto check = [&principals](std::vector<IncidentRecord> records, std::int64_t seq, const std::string& words) {
    const auto result = verify_incident_records(std::move(records), principals);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.bad_seq, seq) << result.problem;
    EXPECT_EQ(result.incident_id, "INC-1");
    EXPECT_NE(result.problem.find(words), std::string::npos) << result.problem;
  };
  auto edited = original;
  edited[1].breach_ids = "[\"b9\"]";
  check(edited, 2, "record_hash does not match");
  auto dropped = original;
  dropped.erase(dropped.begin() + 1);
  check(dropped, 2, "record seq 2 is missing (deleted)");
  // Signed by the right key but forbidden by the state machine: a second opening, and a skipped state.
  const auto resign = [](IncidentRecord& record, const KeyPair& key) {
    record.record_hash = sha256_hex(canonical_incident_text(record));
    const auto signature = key.sign(record.record_hash);
    record.signature = to_hex(signature.data(), signature.size());
  };
  auto skipped = original;
  skipped[2].state = "staged";
  resign(skipped[2], actors.sam);
  check(skipped, 3, "'open' -> 'staged' is not a legal transition");
  auto wrong_key = original;
  wrong_key[2].reason = "other";
  resign(wrong_key[2], actors.alice);  // alice's key, sam's name
  check(wrong_key, 3, "signature is not valid for actor 'sam'");
}

TEST(GovIncidents, VerifierKeepsOneActiveIncidentPerMonitorAndModel) {
  const TemporaryLakehouse lake;
  const Actors actors;
  const auto alice = context_of(lake, "alice", actors.alice);
  const auto sam = context_of(lake, "sam", actors.sam);
  record_breaches(alice, batch_of({"b1"}));
  for (const auto to : {S::kStaging, S::kStaged, S::kTraining, S::kEvaluated, S::kAwaitingApproval, S::kRejected}) {
    transition_incident(sam, "INC-1", to, "step");
  }
  EXPECT_EQ(record_breaches(alice, batch_of({"b2"})).incident_id, "INC-2");  // INC-1 rejected: not active
  transition_incident(sam, "INC-1", S::kClosed, "tidy");  // rejected -> closed; INC-2 stays the active one
  auto records = read_incident_records(incidents_table(lake.path()));
  ASSERT_TRUE(verify_incident_records(records, actors.principals()).ok());
  // A validly signed third opening for the same monitor and model while INC-2 is active.
  IncidentRecord forged = records.front();
  forged.seq = records.back().seq + 1;
  forged.incident_id = "INC-3";
  forged.breach_ids = "[\"b3\"]";
  forged.prev_hash = records.back().record_hash;
  forged.record_hash = sha256_hex(canonical_incident_text(forged));
  const auto signature = actors.alice.sign(forged.record_hash);
  forged.signature = to_hex(signature.data(), signature.size());
  records.push_back(forged);
  const auto result = verify_incident_records(records, actors.principals());
  EXPECT_EQ(result.bad_seq, forged.seq);
  EXPECT_NE(result.problem.find("a second active incident of monitor 'sales'"), std::string::npos) << result.problem;
}

}  // namespace
}  // namespace driftgov::gov

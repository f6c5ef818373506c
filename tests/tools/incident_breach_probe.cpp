// incident_breach_probe LAKEHOUSE TARGET ACTOR MONITOR MODEL BREACH_ID...: records the breaches
// (gov::record_breaches) signed with the key text in DRIFTGOV_KEY and prints "<incident id> opened|attached|none".
// The Python tests start several at once to check that concurrent openers produce one incident.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "driftgov/gov/incidents.hpp"

int main(int argc, char** argv) {
  if (argc < 7 || std::getenv("DRIFTGOV_KEY") == nullptr) {
    std::fprintf(stderr, "usage: DRIFTGOV_KEY=... incident_breach_probe LAKEHOUSE TARGET ACTOR MONITOR MODEL ID...\n");
    return 2;
  }
  try {
    const auto key = driftgov::gov::KeyPair::parse(std::getenv("DRIFTGOV_KEY"), "DRIFTGOV_KEY");
    driftgov::gov::IncidentContext context;
    context.lakehouse = argv[1];
    context.target = argv[2];
    context.actor = argv[3];
    context.key = &key;
    driftgov::gov::BreachBatch batch;
    batch.monitor = argv[4];
    batch.model = argv[5];
    for (int index = 6; index < argc; ++index) batch.breach_ids.emplace_back(argv[index]);
    batch.refresh_id = "probe";
    const auto outcome = driftgov::gov::record_breaches(context, batch);
    std::printf("%s %s\n", outcome.incident_id.empty() ? "-" : outcome.incident_id.c_str(),
                outcome.incident_id.empty() ? "none" : outcome.opened ? "opened" : "attached");
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "incident_breach_probe: %s\n", error.what());
    return 1;
  }
}

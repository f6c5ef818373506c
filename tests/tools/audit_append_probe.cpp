// audit_append_probe TABLE ACTOR ACTION TARGET SUBJECT DETAILS: appends one audit entry signed with the key text in
// DRIFTGOV_KEY (gov::append_audit_entry) and prints its seq. The Python tests build logs with it, then tamper with
// them and check `driftgov audit verify`.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "driftgov/gov/audit_log.hpp"

int main(int argc, char** argv) {
  if (argc != 7 || std::getenv("DRIFTGOV_KEY") == nullptr) {
    std::fprintf(stderr, "usage: DRIFTGOV_KEY=... audit_append_probe TABLE ACTOR ACTION TARGET SUBJECT DETAILS\n");
    return 2;
  }
  try {
    const auto key = driftgov::gov::KeyPair::parse(std::getenv("DRIFTGOV_KEY"), "DRIFTGOV_KEY");
    driftgov::gov::AppendRequest request;
    request.action = argv[3];
    request.target = argv[4];
    request.subject = argv[5];
    request.details = argv[6];
    const auto entry = driftgov::gov::append_audit_entry(argv[1], argv[2], key, request);
    std::printf("%lld\n", static_cast<long long>(entry.seq));
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "audit_append_probe: %s\n", error.what());
    return 1;
  }
}

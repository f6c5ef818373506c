// Keys, the canonical serialization of audit entries and the chain check (docs/governance.md), against RFC 8032's
// and FIPS 180-2's published test vectors and hand-written expectations.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/gov/audit_log.hpp"
#include "driftgov/gov/checkpoint.hpp"
#include "driftgov/gov/keys.hpp"

namespace driftgov::gov {
namespace {

std::array<unsigned char, kSeedBytes> seed_from_hex(const std::string& hex) {
  std::array<unsigned char, kSeedBytes> seed{};
  EXPECT_TRUE(from_hex(hex, seed.data(), seed.size()));
  return seed;
}

TEST(GovKeys, Rfc8032TestVectorOne) {
  const auto pair = KeyPair::from_seed(seed_from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  EXPECT_EQ(to_hex(pair.public_key().bytes.data(), kPublicKeyBytes),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const auto signature = pair.sign("");
  EXPECT_EQ(to_hex(signature.data(), signature.size()),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bb"
            "e24655141438e7a100b");
  EXPECT_TRUE(verify_signature(pair.public_key(), "", signature));
  EXPECT_FALSE(verify_signature(pair.public_key(), "x", signature));
}

TEST(GovKeys, TextFormsRoundTripAndBadTextIsRefused) {
  const auto pair = KeyPair::generate();
  const auto again = KeyPair::parse(pair.secret_text(), "test");
  EXPECT_EQ(again.public_key(), pair.public_key());
  EXPECT_EQ(parse_public_key(pair.public_key().text(), "test"), pair.public_key());
  EXPECT_EQ(pair.public_key().text().size(), 8u + 44u);  // "ed25519:" + base64 of 32 bytes
  EXPECT_THROW(parse_public_key("ed25519:" + std::string(43, 'A'), "k"), core::InputError);   // no padding
  EXPECT_THROW(parse_public_key("ed25519:" + std::string(43, 'A') + "= ", "k"), core::InputError);  // trailing text
  EXPECT_THROW(parse_public_key("ed25519:AAAA", "k"), core::InputError);  // 3 bytes
  // Non-zero bits after the last byte: a second spelling of one key is refused, so the text is canonical.
  EXPECT_NO_THROW(parse_public_key("ed25519:p8QQG/wGGD0WWV3Xs3wPPqVKhUNLN1cS6xvlfaHYxbA=", "k"));
  EXPECT_THROW(parse_public_key("ed25519:p8QQG/wGGD0WWV3Xs3wPPqVKhUNLN1cS6xvlfaHYxbB=", "k"), core::InputError);
  EXPECT_THROW(KeyPair::parse(pair.public_key().text(), "k"), core::InputError);
  try {
    (void)KeyPair::parse("ed25519-secret:c2VjcmV0", "DRIFTGOV_KEY");
    ADD_FAILURE() << "no error";
  } catch (const core::InputError& error) {
    EXPECT_EQ(std::string(error.what()).find("c2VjcmV0"), std::string::npos) << "the secret text is echoed";
  }
}

TEST(GovKeys, Sha256OfAbc) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

AuditEntry sample_entry() {
  AuditEntry entry;
  entry.seq = 1;
  entry.time_us = 1700000000123456;
  entry.actor = "alice";
  entry.action = "monitor.refresh";
  entry.target = "prod";
  entry.subject = "sales";
  entry.details = "{\"a\":\"é\"}";
  entry.prev_hash = genesis_hash();
  return entry;
}

TEST(GovAudit, CanonicalSerializationIsLengthPrefixedLines) {
  const std::string expected = "driftgov-audit-v1\n"
                               "seq 1 1\n"
                               "time 16 1700000000123456\n"
                               "actor 5 alice\n"
                               "action 15 monitor.refresh\n"
                               "target 4 prod\n"
                               "subject 5 sales\n"
                               "details 10 {\"a\":\"é\"}\n"  // é is two bytes
                               "prev_hash 64 " + std::string(64, '0') + "\n";
  EXPECT_EQ(canonical_entry_text(sample_entry()), expected);
  // A value holding a newline cannot pass for two fields: its length says where it ends.
  auto tricky = sample_entry();
  tricky.subject = "sales\naction 3 bad";
  EXPECT_NE(canonical_entry_text(tricky), canonical_entry_text(sample_entry()));
}

// `count` entries signed by `key`, each with `details` (default: the sample's).
std::vector<AuditEntry> chain(const KeyPair& key, int count, const std::string& details = sample_entry().details) {
  std::vector<AuditEntry> entries;
  std::string previous = genesis_hash();
  for (int seq = 1; seq <= count; ++seq) {
    auto entry = sample_entry();
    entry.seq = seq;
    entry.subject = "s" + std::to_string(seq);
    entry.details = details;
    entry.prev_hash = previous;
    entry.entry_hash = sha256_hex(canonical_entry_text(entry));
    const auto signature = key.sign(entry.entry_hash);
    entry.signature = to_hex(signature.data(), signature.size());
    previous = entry.entry_hash;
    entries.push_back(entry);
  }
  return entries;
}

Principals alice_only(const KeyPair& key) {
  Principals principals;
  principals["alice"] = Principal{"alice", PrincipalType::kUser, key.public_key(), {}};
  return principals;
}

TEST(GovAudit, ChainVerifiesInSeqOrderWhateverTheRowOrder) {
  const auto key = KeyPair::generate();
  auto entries = chain(key, 4);
  std::swap(entries[0], entries[3]);  // rows come back in any order; seq orders them
  const auto result = verify_audit_entries(entries, alice_only(key));
  EXPECT_TRUE(result.ok()) << result.problem;
  EXPECT_EQ(result.entries, 4);
  EXPECT_TRUE(verify_audit_entries({}, alice_only(key)).ok());
}

TEST(GovAudit, FirstBadEntryIsNamed) {
  const auto key = KeyPair::generate();
  const auto principals = alice_only(key);
  const auto check = [&principals](std::vector<AuditEntry> entries, std::int64_t seq, const std::string& words) {
    const auto result = verify_audit_entries(std::move(entries), principals);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.bad_seq, seq) << result.problem;
    EXPECT_NE(result.problem.find(words), std::string::npos) << result.problem;
  };
  auto edited = chain(key, 4);
  edited[2].details = "{\"a\":\"f\"}";
  edited[3].details = "{}";  // a later problem is not the one reported
  check(edited, 3, "edited");
  auto dropped = chain(key, 4);
  dropped.erase(dropped.begin() + 1);
  check(dropped, 2, "entry seq 2 is missing (deleted); the next entry is seq 3");
  auto duplicated = chain(key, 4);
  duplicated.push_back(duplicated[1]);
  check(duplicated, 2, "seq 2 appears more than once");
  auto zero = chain(key, 2);
  zero[0].seq = 0;
  check(zero, 0, "not a positive number");
  auto rechained = chain(key, 3);  // entry 2 swapped for a re-hashed copy: prev_hash no longer links
  rechained[1].prev_hash = std::string(64, 'f');
  rechained[1].entry_hash = sha256_hex(canonical_entry_text(rechained[1]));
  check(rechained, 2, "prev_hash is not the entry_hash of entry seq 1");
  const auto other = KeyPair::generate();
  auto forged = chain(key, 3);
  const auto forged_signature = other.sign(forged[2].entry_hash);
  forged[2].signature = to_hex(forged_signature.data(), forged_signature.size());
  check(forged, 3, "signature is not valid for actor 'alice'");
  auto uppercase = chain(key, 2);
  for (auto& c : uppercase[1].signature) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  check(uppercase, 2, "lowercase hex");
  auto stranger = chain(key, 2);
  stranger[0].actor = "mallory";
  stranger[0].entry_hash = sha256_hex(canonical_entry_text(stranger[0]));
  check(stranger, 1, "actor 'mallory' is not a principal");
}

// SHA-256 of the prefix byte followed by the given parts (hex parts decoded to their bytes).
std::string hash_of(unsigned char prefix, const std::vector<std::string>& raw, const std::vector<std::string>& hex) {
  std::string bytes(1, static_cast<char>(prefix));
  for (const auto& part : raw) bytes += part;
  for (const auto& part : hex) {
    std::string decoded(part.size() / 2, '\0');
    EXPECT_TRUE(from_hex(part, reinterpret_cast<unsigned char*>(decoded.data()), decoded.size()));
    bytes += decoded;
  }
  return sha256_hex(bytes);
}

TEST(GovCheckpoint, MerkleTreeHashFollowsRfc9162) {
  const auto key = KeyPair::generate();
  const auto entries = chain(key, 3);
  EXPECT_EQ(merkle_tree_hash(entries, 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // A leaf is the entry's hash and its signature: the checkpoint binds both.
  const auto leaf = [&entries](int index) {
    return hash_of(0x00, {entries[index].entry_hash + entries[index].signature}, {});
  };
  EXPECT_EQ(merkle_tree_hash(entries, 1), leaf(0));
  EXPECT_EQ(merkle_tree_hash(entries, 2), hash_of(0x01, {}, {leaf(0), leaf(1)}));
  // Three leaves split at two: ((0, 1), 2).
  EXPECT_EQ(merkle_tree_hash(entries, 3), hash_of(0x01, {}, {hash_of(0x01, {}, {leaf(0), leaf(1)}), leaf(2)}));
}

TEST(GovCheckpoint, EveryPrefixRootFromTheLevelTreeEqualsTheRecursiveOne) {
  const auto alice = KeyPair::generate();
  const auto ci = KeyPair::generate();
  Principals principals;
  principals["alice"] = Principal{"alice", PrincipalType::kUser, alice.public_key(), {}};
  principals["ci"] = Principal{"ci", PrincipalType::kServicePrincipal, ci.public_key(), {}};
  const auto entries = chain(alice, 19);
  for (std::int64_t size = 1; size <= 19; ++size) {
    AuditCheckpoint c{"prod", size, merkle_tree_hash(entries, static_cast<std::size_t>(size)), 1, "ci", "", ""};
    c.checkpoint_hash = sha256_hex(canonical_checkpoint_text(c));
    const auto signature = ci.sign(c.checkpoint_hash);
    c.signature = to_hex(signature.data(), signature.size());
    EXPECT_TRUE(verify_audit_checkpoints(entries, {c}, "prod", principals).ok()) << size;
    EXPECT_EQ(attested_entries(entries, {c}, "prod", principals), size);
    // Signed by a user, or for another target: it attests nothing.
    auto by_user = c;
    by_user.signer = "alice";
    EXPECT_EQ(attested_entries(entries, {by_user}, "prod", principals), 0);
    EXPECT_EQ(attested_entries(entries, {c}, "dev", principals), 0);
  }
}

TEST(GovCheckpoint, TruncationRewritingAndAUsersSignatureAreCaught) {
  const auto alice = KeyPair::generate();
  const auto ci = KeyPair::generate();
  Principals principals;
  principals["alice"] = Principal{"alice", PrincipalType::kUser, alice.public_key(), {}};
  principals["ci"] = Principal{"ci", PrincipalType::kServicePrincipal, ci.public_key(), {}};
  const auto entries = chain(alice, 5);
  const auto sign = [](AuditCheckpoint c, const KeyPair& key) {
    c.checkpoint_hash = sha256_hex(canonical_checkpoint_text(c));
    const auto signature = key.sign(c.checkpoint_hash);
    c.signature = to_hex(signature.data(), signature.size());
    return c;
  };
  const auto checkpoint = sign({"prod", 4, merkle_tree_hash(entries, 4), 1, "ci", "", ""}, ci);
  EXPECT_TRUE(verify_audit_checkpoints(entries, {checkpoint}, "prod", principals).ok());
  const std::vector<AuditEntry> truncated(entries.begin(), entries.begin() + 3);
  auto result = verify_audit_checkpoints(truncated, {checkpoint}, "prod", principals);
  EXPECT_EQ(result.bad_seq, 4);
  EXPECT_NE(result.problem.find("the newest entries were dropped"), std::string::npos) << result.problem;
  // A log rebuilt with other contents (and re-signed) verifies as a chain, not against the checkpoint.
  const auto rewritten = chain(alice, 5, "{\"x\":1}");
  result = verify_audit_checkpoints(rewritten, {checkpoint}, "prod", principals);
  EXPECT_EQ(result.bad_seq, 4);
  EXPECT_NE(result.problem.find("do not hash to the root_hash"), std::string::npos) << result.problem;
  result = verify_audit_checkpoints(entries, {sign({"prod", 4, merkle_tree_hash(entries, 4), 1, "alice", "", ""},
                                                   alice)},
                                    "prod", principals);
  EXPECT_NE(result.problem.find("not a service principal"), std::string::npos) << result.problem;
  result = verify_audit_checkpoints(entries, {checkpoint}, "dev", principals);
  EXPECT_NE(result.problem.find("not 'dev'"), std::string::npos) << result.problem;
  const auto text = checkpoint_json(checkpoint);
  const auto parsed = parse_checkpoint(text, "c.json");
  EXPECT_EQ(parsed.root_hash, checkpoint.root_hash);
  EXPECT_EQ(parsed.signature, checkpoint.signature);
  EXPECT_THROW(parse_checkpoint("[]", "c.json"), core::InputError);
}

}  // namespace
}  // namespace driftgov::gov

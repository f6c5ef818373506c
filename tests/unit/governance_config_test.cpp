// `principals:` in driftgov.yaml (docs/governance.md): resolved principals of a valid file, and one test per kind of
// mistake, each asserting the 1-based line and column of the offending YAML node (counted by hand in the text) and
// the message.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "driftgov/gov/keys.hpp"
#include "driftgov/monitor/config.hpp"

namespace driftgov::monitor {
namespace {

const std::string kFile = "/srv/models/driftgov.yaml";

std::string public_key_text(unsigned char fill) {
  std::array<unsigned char, gov::kSeedBytes> seed{};
  seed.fill(fill);
  return gov::KeyPair::from_seed(seed).public_key().text();
}

// Line 1..8; `principal` replaces lines 4..7 (alice's body is at lines 5..7).
std::string with_principals(const std::string& principals) {
  return "project: p\ntargets: {dev: {lakehouse: /lake, default: true}, prod: {lakehouse: /prod}}\nprincipals:\n" + principals +
         "monitors: {}\n";
}

std::string alice(const std::string& type, const std::string& key, const std::string& roles) {
  return "  alice:\n    type: " + type + "\n    public_key: \"" + key + "\"\n    roles: " + roles + "\n";
}

ConfigIssue only_issue(const std::string& text, int line, int column) {
  try {
    (void)load_config_text(text, kFile);
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.issues().size(), 1u) << error.what();
    const auto& issue = error.issues().front();
    EXPECT_EQ(issue.where.line, line) << issue.message;
    EXPECT_EQ(issue.where.column, column) << issue.message;
    return issue;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return {};
}

TEST(GovernanceConfig, PrincipalsResolveWithTypesKeysAndRolesPerTarget) {
  const auto text = with_principals(alice("user", public_key_text(1), "{prod: [viewer, operator], dev: [admin]}") +
                                    "  ci-bot@example:\n    type: service_principal\n    public_key: " +
                                    public_key_text(2) + "\n");
  const auto config = load_config_text(text, kFile);
  ASSERT_EQ(config.principals.size(), 2u);
  const auto& a = config.principals.at("alice");
  EXPECT_EQ(a.type, gov::PrincipalType::kUser);
  EXPECT_EQ(a.public_key.text(), public_key_text(1));
  EXPECT_EQ(a.roles.at("prod"), (std::set<gov::Role>{gov::Role::kViewer, gov::Role::kOperator}));
  EXPECT_EQ(a.roles.at("dev"), (std::set<gov::Role>{gov::Role::kAdmin}));
  const auto& bot = config.principals.at("ci-bot@example");
  EXPECT_EQ(bot.type, gov::PrincipalType::kServicePrincipal);
  EXPECT_TRUE(bot.roles.empty());

  EXPECT_NO_THROW(gov::require_role(config.principals, "alice", "prod", gov::Role::kOperator));
  try {
    gov::require_role(config.principals, "alice", "dev", gov::Role::kViewer);  // admin does not imply viewer
    ADD_FAILURE() << "no refusal";
  } catch (const gov::AccessDeniedError& error) {
    EXPECT_EQ(std::string(error.what()), "refused: principal 'alice' needs role 'viewer' on target 'dev'");
    EXPECT_EQ(error.role(), gov::Role::kViewer);
  }
  EXPECT_THROW(gov::require_role(config.principals, "alcie", "dev", gov::Role::kViewer), core::InputError);
}

TEST(GovernanceConfig, UnknownKeyGetsDidYouMean) {
  const auto issue = only_issue(with_principals("  alice:\n    type: user\n    public_key: \"" + public_key_text(1) +
                                                "\"\n    rolse: {prod: [viewer]}\n"),
                                7, 5);
  EXPECT_EQ(issue.message, "principals.alice: unknown key 'rolse'; did you mean 'roles'?");
}

TEST(GovernanceConfig, UnknownTargetIsNamed) {
  const auto issue = only_issue(with_principals(alice("user", public_key_text(1), "{prd: [viewer]}")), 7, 13);
  EXPECT_EQ(issue.message, "principals.alice.roles: unknown target 'prd'; did you mean 'prod'?");
}

TEST(GovernanceConfig, UnknownRoleListsTheRoles) {
  const auto issue = only_issue(with_principals(alice("user", public_key_text(1), "{prod: [veiwer]}")), 7, 20);
  EXPECT_EQ(issue.message, "principals.alice.roles.prod[0]: expected one of viewer, operator, steward, trainer, "
                           "approver, admin, found 'veiwer'; did you mean 'viewer'?");
}

TEST(GovernanceConfig, RoleListedTwice) {
  const auto issue = only_issue(with_principals(alice("user", public_key_text(1), "{prod: [viewer, viewer]}")), 7, 28);
  EXPECT_EQ(issue.message, "principals.alice.roles.prod[1]: role 'viewer' is listed twice");
}

TEST(GovernanceConfig, MalformedPublicKeys) {
  // Not base64 of 32 bytes (31 here), and an OpenSSH-style key.
  const auto short_key = only_issue(with_principals(alice("user", "ed25519:" + std::string(40, 'A') + "==", "{}")), 6, 17);
  EXPECT_NE(short_key.message.find("principals.alice.public_key: expected 'ed25519:' followed by the standard base64"),
            std::string::npos)
      << short_key.message;
  const auto ssh = only_issue(with_principals(alice("user", "ssh-ed25519 AAAAC3Nza", "{}")), 6, 17);
  EXPECT_NE(ssh.message.find("expected an Ed25519 public key 'ed25519:<base64 of 32 bytes>', found 'ssh-ed25519"),
            std::string::npos)
      << ssh.message;
}

TEST(GovernanceConfig, TypeIsRequiredAndChecked) {
  const auto missing = only_issue(with_principals("  alice:\n    public_key: \"" + public_key_text(1) + "\"\n"), 4, 3);
  EXPECT_EQ(missing.message, "principals.alice: missing key 'type' (user or service_principal)");
  const auto wrong = only_issue(with_principals(alice("usr", public_key_text(1), "{}")), 5, 11);
  EXPECT_EQ(wrong.message, "principals.alice.type: expected one of user, service_principal, found 'usr'; did you mean "
                           "'user'?");
}

TEST(GovernanceConfig, KeyIsRequiredAndNotShared) {
  const auto missing = only_issue(with_principals("  alice:\n    type: user\n"), 4, 3);
  EXPECT_NE(missing.message.find("missing key 'public_key'"), std::string::npos) << missing.message;
  const auto shared = only_issue(
      with_principals(alice("user", public_key_text(1), "{}") + "  bob:\n    type: user\n    public_key: \"" +
                      public_key_text(1) + "\"\n"),
      10, 17);
  EXPECT_EQ(shared.message, "principals.bob.public_key: the same public key as principal 'alice'; each principal needs "
                            "its own key");
}

TEST(GovernanceConfig, PrincipalNameMustBePlain) {
  const auto issue = only_issue(with_principals("  \"al ice\":\n    type: user\n    public_key: \"" +
                                                public_key_text(1) + "\"\n"),
                                4, 3);
  EXPECT_EQ(issue.message, "principals: expected a principal name (letters, digits, '_', '-', '.', '@'), found 'al ice'");
}

}  // namespace
}  // namespace driftgov::monitor

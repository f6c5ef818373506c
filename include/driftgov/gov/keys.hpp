#pragma once
// Ed25519 keys of principals (docs/governance.md, "Keys"), on libsodium.
//
// Text forms (base64 is RFC 4648's standard alphabet with padding):
//   public key  "ed25519:<base64 of the 32-byte public key>"          (driftgov.yaml, NAME.pub)
//   secret key  "ed25519-secret:<base64 of the 32-byte seed>"         (NAME.key, DRIFTGOV_KEY)
// The seed is what RFC 8032 calls the private key; the key pair is derived from it, so a seed written by another
// Ed25519 implementation (PyNaCl, Python's cryptography, Go's crypto/ed25519) loads here and signs the same.
//
// A KeyPair owns its secret: copies are not possible, and the secret bytes are wiped (sodium_memzero) when the
// object is destroyed or moved from. Signing and verifying are thread-safe.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace driftgov::gov {

inline constexpr std::size_t kPublicKeyBytes = 32;
inline constexpr std::size_t kSeedBytes = 32;
inline constexpr std::size_t kSignatureBytes = 64;

using Signature = std::array<unsigned char, kSignatureBytes>;

struct PublicKey {
  std::array<unsigned char, kPublicKeyBytes> bytes{};
  // "ed25519:<base64>"
  std::string text() const;
  friend bool operator==(const PublicKey&, const PublicKey&) = default;
};

// Parses "ed25519:<base64>". Throws core::InputError naming `what` (e.g. "principals.alice.public_key") and
// saying what was expected: the prefix, valid base64, 32 bytes.
PublicKey parse_public_key(std::string_view text, const std::string& what);

class KeyPair {
 public:
  // A new key pair from the operating system's random source.
  static KeyPair generate();
  // The key pair of a 32-byte seed.
  static KeyPair from_seed(const std::array<unsigned char, kSeedBytes>& seed);
  // Parses "ed25519-secret:<base64 of the seed>" (surrounding white space, as a file's final newline, is
  // ignored). Throws core::InputError naming `what` (the key file, or DRIFTGOV_KEY) without echoing the text.
  static KeyPair parse(std::string_view text, const std::string& what);

  KeyPair(KeyPair&& other) noexcept;
  KeyPair& operator=(KeyPair&& other) noexcept;
  KeyPair(const KeyPair&) = delete;
  KeyPair& operator=(const KeyPair&) = delete;
  ~KeyPair();

  const PublicKey& public_key() const { return public_key_; }
  // "ed25519-secret:<base64 of the seed>" followed by a newline: the contents of a key file. The caller should
  // not keep the text longer than needed.
  std::string secret_text() const;
  // The Ed25519 signature of `message`.
  Signature sign(std::string_view message) const;

 private:
  KeyPair() = default;
  void wipe() noexcept;

  PublicKey public_key_;
  // libsodium's secret key: the seed followed by the public key.
  std::array<unsigned char, 64> secret_{};
};

// Whether `signature` is public_key's valid signature of `message`.
bool verify_signature(const PublicKey& public_key, std::string_view message, const Signature& signature);

// Lowercase hex of bytes (sodium_bin2hex).
std::string to_hex(const unsigned char* bytes, std::size_t length);
// Fills `out` from exactly 2 * out_length hex digits; false for any other text.
bool from_hex(std::string_view hex, unsigned char* out, std::size_t out_length);

// SHA-256 of `bytes` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

}  // namespace driftgov::gov

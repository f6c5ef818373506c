#include "driftgov/gov/keys.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <utility>

#include "driftgov/core/error.hpp"

namespace driftgov::gov {
namespace {

constexpr std::string_view kPublicPrefix = "ed25519:";
constexpr std::string_view kSecretPrefix = "ed25519-secret:";
constexpr int kBase64Variant = sodium_base64_VARIANT_ORIGINAL;

void ensure_sodium() {
  static const int status = sodium_init();  // thread-safe, and safe to call again
  if (status < 0) throw core::InternalError("libsodium could not be initialised (sodium_init failed)");
}

std::string base64(const unsigned char* bytes, std::size_t length) {
  std::string text(sodium_base64_encoded_len(length, kBase64Variant), '\0');
  sodium_bin2base64(text.data(), text.size(), bytes, length, kBase64Variant);
  text.resize(text.size() - 1);  // the terminating NUL
  return text;
}

// Decodes exactly `length` bytes of strict base64 (no white space inside, padding required); false otherwise.
bool decode_base64(std::string_view text, unsigned char* out, std::size_t length) {
  std::size_t decoded = 0;
  const char* end = nullptr;
  unsigned char buffer[kSeedBytes + kPublicKeyBytes + 3];
  if (text.size() > sodium_base64_encoded_len(sizeof(buffer), kBase64Variant)) return false;
  const int status = sodium_base642bin(buffer, sizeof(buffer), text.data(), text.size(), nullptr, &decoded, &end,
                                       kBase64Variant);
  const bool ok = status == 0 && end == text.data() + text.size() && decoded == length;
  if (ok) std::copy(buffer, buffer + length, out);
  sodium_memzero(buffer, sizeof(buffer));
  return ok;
}

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace

std::string PublicKey::text() const { return std::string(kPublicPrefix) + base64(bytes.data(), bytes.size()); }

PublicKey parse_public_key(std::string_view text, const std::string& what) {
  ensure_sodium();
  if (!text.starts_with(kPublicPrefix)) {
    throw core::InputError(fmt::format("{}: expected an Ed25519 public key 'ed25519:<base64 of 32 bytes>', found '{}'",
                                       what, text.substr(0, 40)));
  }
  PublicKey key;
  if (!decode_base64(text.substr(kPublicPrefix.size()), key.bytes.data(), key.bytes.size())) {
    throw core::InputError(fmt::format("{}: expected 'ed25519:' followed by the standard base64 (with padding) of "
                                       "exactly 32 bytes, found '{}'",
                                       what, text.substr(0, 80)));
  }
  return key;
}

KeyPair KeyPair::generate() {
  ensure_sodium();
  std::array<unsigned char, kSeedBytes> seed{};
  randombytes_buf(seed.data(), seed.size());
  auto pair = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return pair;
}

KeyPair KeyPair::from_seed(const std::array<unsigned char, kSeedBytes>& seed) {
  ensure_sodium();
  KeyPair pair;
  if (crypto_sign_seed_keypair(pair.public_key_.bytes.data(), pair.secret_.data(), seed.data()) != 0) {
    throw core::InternalError("crypto_sign_seed_keypair failed");
  }
  return pair;
}

KeyPair KeyPair::parse(std::string_view text, const std::string& what) {
  ensure_sodium();
  text = trimmed(text);
  if (!text.starts_with(kSecretPrefix)) {
    // The text is a secret (or meant to be one): never echo it.
    throw core::InputError(fmt::format("{}: expected an Ed25519 secret key 'ed25519-secret:<base64 of the 32-byte "
                                       "seed>' (as `driftgov principal keygen` writes it){}",
                                       what, text.starts_with(kPublicPrefix) ? "; found a public key" : ""));
  }
  std::array<unsigned char, kSeedBytes> seed{};
  if (!decode_base64(text.substr(kSecretPrefix.size()), seed.data(), seed.size())) {
    throw core::InputError(fmt::format("{}: expected 'ed25519-secret:' followed by the standard base64 (with "
                                       "padding) of exactly 32 bytes",
                                       what));
  }
  auto pair = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return pair;
}

KeyPair::KeyPair(KeyPair&& other) noexcept : public_key_(other.public_key_), secret_(other.secret_) { other.wipe(); }

KeyPair& KeyPair::operator=(KeyPair&& other) noexcept {
  if (this != &other) {
    public_key_ = other.public_key_;
    secret_ = other.secret_;
    other.wipe();
  }
  return *this;
}

KeyPair::~KeyPair() { wipe(); }

void KeyPair::wipe() noexcept { sodium_memzero(secret_.data(), secret_.size()); }

std::string KeyPair::secret_text() const {
  // The seed is the first half of libsodium's secret key.
  return std::string(kSecretPrefix) + base64(secret_.data(), kSeedBytes) + "\n";
}

Signature KeyPair::sign(std::string_view message) const {
  Signature signature{};
  crypto_sign_detached(signature.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_.data());
  return signature;
}

bool verify_signature(const PublicKey& public_key, std::string_view message, const Signature& signature) {
  ensure_sodium();
  return crypto_sign_verify_detached(signature.data(), reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), public_key.bytes.data()) == 0;
}

std::string to_hex(const unsigned char* bytes, std::size_t length) {
  std::string hex(length * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, length);
  hex.pop_back();
  return hex;
}

bool from_hex(std::string_view hex, unsigned char* out, std::size_t out_length) {
  if (hex.size() != out_length * 2) return false;
  for (const char c : hex) {
    // Lowercase only: the text is canonical, so "AB" and "ab" must not both verify.
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  std::size_t decoded = 0;
  const char* end = nullptr;
  return sodium_hex2bin(out, out_length, hex.data(), hex.size(), nullptr, &decoded, &end) == 0 &&
         decoded == out_length && end == hex.data() + hex.size();
}

std::string sha256_hex(std::string_view bytes) {
  ensure_sodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return to_hex(digest, sizeof(digest));
}

}  // namespace driftgov::gov

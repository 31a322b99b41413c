#pragma once

// Authentication of the nodes of a multi-host run: every node holds the
// same secret (`--secret-file`) and proves it by signing a fresh random
// challenge, so the secret itself never crosses the network. Over
// OpenSSL's libcrypto.
//
// Nothing this returns (errors, warnings) contains the secret.

#include <string>

namespace tdd::exec {

/// A shared secret read from a file (`--secret-file`).
struct secret_file {
  /// The contents without trailing whitespace/newlines; "" on error.
  std::string secret;
  /// "" on success; names the file, e.g. "cannot read secret file /x/y: No
  /// such file or directory", "secret file /x/y is empty".
  std::string error;
  /// "" or e.g. "secret file /x/y is readable by other users (mode 0644):
  /// chmod 600 /x/y"; always "" on error.
  std::string warning;
};

/// Reads the secret at `path`. A directory, an unreadable file, a file of
/// only whitespace and one over 64 KiB are errors; group or other
/// permission bits (mode & 077) give a warning.
[[nodiscard]] secret_file read_secret_file(const std::string& path);

/// 32 random bytes (OpenSSL RAND_bytes) as 64 lowercase hex characters;
/// throws std::runtime_error when RAND_bytes fails.
[[nodiscard]] std::string random_challenge();

/// What a node signs to prove the secret: "tdd-orchestrator node v1\n" +
/// challenge + "\n" + host.
[[nodiscard]] std::string auth_message(const std::string& challenge,
                                       const std::string& host);

/// Lowercase hex of HMAC-SHA256(key, message) (OpenSSL's one-shot HMAC()
/// with EVP_sha256()); throws std::runtime_error when OpenSSL fails.
[[nodiscard]] std::string hmac_sha256_hex(const std::string& key,
                                          const std::string& message);

/// Constant-time equality (CRYPTO_memcmp); strings of different length are
/// unequal (only the length can leak through timing).
[[nodiscard]] bool equal_constant_time(const std::string& a,
                                       const std::string& b);

} // namespace tdd::exec

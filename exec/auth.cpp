#include "exec/auth.hpp"

#include "exec/unique_fd.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace tdd::exec {

namespace {

/// A secret is a line or a key, not a document: the cap keeps a path
/// such as /dev/zero from reading forever.
constexpr size_t max_secret = 64 * 1024;

std::string to_hex(const unsigned char* data, size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0x0f];
  }
  return out;
}

std::string cannot_read(const std::string& path, int err) {
  return "cannot read secret file " + path + ": " + std::strerror(err);
}

/// "" when only the owner has access.
std::string permission_warning(const std::string& path, mode_t mode) {
  if ((mode & 077) == 0) {
    return {};
  }
  char octal[8];
  std::snprintf(octal, sizeof(octal), "%04o",
                static_cast<unsigned>(mode & 07777));
  const char* access = (mode & 044) != 0 ? "readable by" : "accessible to";
  return "secret file " + path + " is " + access + " other users (mode " + octal
         + "): chmod 600 " + path;
}

/// The whole file into `out`; 0 or an errno value (EFBIG past the cap).
int read_all(int fd, std::string& out) {
  char buffer[4096];
  for (;;) {
    const auto n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return errno;
    }
    if (n == 0) {
      break;
    }
    out.append(buffer, static_cast<size_t>(n));
    if (out.size() > max_secret) {
      break;
    }
  }
  // Leave no copy of the secret on the stack.
  OPENSSL_cleanse(buffer, sizeof(buffer));
  return out.size() > max_secret ? EFBIG : 0;
}

void trim_right(std::string& text) {
  const auto end = text.find_last_not_of(" \t\r\n\v\f");
  text.erase(end == std::string::npos ? 0 : end + 1);
}

} // namespace

secret_file read_secret_file(const std::string& path) {
  secret_file result;
  unique_fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!fd.is_open()) {
    result.error = cannot_read(path, errno);
    return result;
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    result.error = cannot_read(path, errno);
    return result;
  }
  if (S_ISDIR(info.st_mode)) {
    result.error = cannot_read(path, EISDIR);
    return result;
  }
  std::string text;
  if (const int err = read_all(fd.get(), text); err != 0) {
    OPENSSL_cleanse(text.data(), text.size());
    result.error = err == EFBIG ? "secret file " + path + " is larger than "
                                    + std::to_string(max_secret) + " bytes"
                                : cannot_read(path, err);
    return result;
  }
  trim_right(text);
  if (text.empty()) {
    result.error = "secret file " + path + " is empty";
    return result;
  }
  result.secret = std::move(text);
  result.warning = permission_warning(path, info.st_mode);
  return result;
}

std::string random_challenge() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    throw std::runtime_error("RAND_bytes failed: no random challenge");
  }
  return to_hex(bytes, sizeof(bytes));
}

std::string auth_message(const std::string& challenge,
                         const std::string& host) {
  return "tdd-orchestrator node v1\n" + challenge + "\n" + host;
}

std::string hmac_sha256_hex(const std::string& key,
                            const std::string& message) {
  if (key.size() > static_cast<size_t>(INT_MAX)) {
    throw std::runtime_error("HMAC-SHA256 key too long");
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()),
           message.size(), digest, &size)
      == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return to_hex(digest, size);
}

bool equal_constant_time(const std::string& a, const std::string& b) {
  return a.size() == b.size()
         && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace tdd::exec

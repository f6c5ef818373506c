#include "driftgov/io/http.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <memory>
#include <mutex>

#include "driftgov/core/error.hpp"

namespace driftgov::io {
namespace {

constexpr std::size_t kMaxResponseBytes = 64 * 1024;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw core::IOError("libcurl", "initialise", 0, "curl_global_init failed");
  });
}

std::size_t keep_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t bytes = size * count;
  if (body->size() < kMaxResponseBytes) body->append(data, std::min(bytes, kMaxResponseBytes - body->size()));
  return bytes;
}

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct HeaderListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

HttpResponse http_post(const std::string& url, std::string_view body, const std::vector<std::string>& headers,
                       double timeout_seconds) {
  return http_request("POST", url, body, headers, timeout_seconds);
}

HttpResponse http_request(const std::string& method, const std::string& url, std::string_view body,
                          const std::vector<std::string>& headers, double timeout_seconds) {
  if (!(url.starts_with("http://") || url.starts_with("https://"))) {
    throw core::InputError(fmt::format("HTTP: '{}': expected an http:// or https:// URL", url));
  }
  global_init();
  std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  if (!handle) throw core::IOError(url, method, 0, "libcurl could not make a handle");
  std::unique_ptr<curl_slist, HeaderListDeleter> header_list;
  for (const auto& line : headers) {
    curl_slist* extended = curl_slist_append(header_list.get(), line.c_str());
    if (extended == nullptr) throw core::IOError(url, method, 0, "out of memory for the headers");
    (void)header_list.release();
    header_list.reset(extended);
  }
  HttpResponse response;
  char error_text[CURL_ERROR_SIZE] = {0};
  const long timeout_ms = std::lround(std::max(timeout_seconds, 0.001) * 1000.0);
  CURL* h = handle.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (method == "POST" || !body.empty()) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  if (method != "POST" && method != "GET") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_text);
  const CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) {
    throw core::IOError(url, method, 0, error_text[0] != '\0' ? error_text : curl_easy_strerror(code));
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::string url_encode(std::string_view text) {
  std::string encoded;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded.push_back(c);
    } else {
      encoded += fmt::format("%{:02X}", byte);
    }
  }
  return encoded;
}

}  // namespace driftgov::io

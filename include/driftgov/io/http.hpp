#pragma once
// Outgoing HTTP requests (lineage events, the MLflow registry mirror), on libcurl from Debian. Only http:// and https://
// URLs; redirects are not followed; every call has a timeout.
#include <string>
#include <string_view>
#include <vector>

namespace driftgov::io {

struct HttpResponse {
  long status = 0;   // the HTTP status code
  std::string body;  // at most 64 KiB of the response body are kept
};

// POSTs `body` to `url` with the given header lines ("Content-Type: application/json", ...). Throws core::IOError
// naming the URL and the cause (no connection, timeout, a malformed URL); any HTTP status is returned, not thrown.
HttpResponse http_post(const std::string& url, std::string_view body, const std::vector<std::string>& headers,
                       double timeout_seconds);

// Any method ("GET", "POST", "PATCH", "DELETE"); `body` is sent unless empty (a DELETE may carry one, as MLflow's
// REST API expects). Errors as http_post.
HttpResponse http_request(const std::string& method, const std::string& url, std::string_view body,
                          const std::vector<std::string>& headers, double timeout_seconds);

// `text` percent-encoded for a URL's query (RFC 3986 unreserved characters kept).
std::string url_encode(std::string_view text);

}  // namespace driftgov::io

#include "net/http_connect.hpp"

#include <fmt/format.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <charconv>

#include "base/strings.hpp"

namespace tern::net {
namespace {

constexpr std::size_t kMaxResponseHead = 16 * 1024;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

Result<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > 65535) {
    return Error{fmt::format("bad proxy port \"{}\"", text)};
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

Result<ProxyAddress> parse_proxy_url(std::string_view url) {
  std::string_view rest = url;
  std::size_t scheme_end = rest.find("://");
  if (scheme_end != std::string_view::npos) {
    if (!iequals(rest.substr(0, scheme_end), "http")) {
      return Error{fmt::format("unsupported proxy scheme in \"{}\" (only http:// proxies)", url)};
    }
    rest.remove_prefix(scheme_end + 3);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/@?#") != std::string_view::npos) {
    return Error{fmt::format("bad proxy address \"{}\" (expected http://host:port)", url)};
  }
  ProxyAddress proxy;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return Error{fmt::format("bad proxy address \"{}\"", url)};
    proxy.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Error{fmt::format("bad proxy address \"{}\"", url)};
      port = after.substr(1);
    }
  } else {
    std::size_t colon = rest.rfind(':');
    proxy.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (proxy.host.empty()) return Error{fmt::format("no proxy host in \"{}\"", url)};
  if (!port.empty() || rest.ends_with(':')) {
    auto number = parse_port(port);
    if (!number) return number.error();
    proxy.port = *number;
  }
  return proxy;
}

std::string http_connect_request(std::string_view host, std::uint16_t port) {
  std::string authority = host.find(':') != std::string_view::npos
                              ? fmt::format("[{}]:{}", host, port)
                              : fmt::format("{}:{}", host, port);
  return fmt::format("CONNECT {0} HTTP/1.1\r\nHost: {0}\r\n\r\n", authority);
}

std::size_t http_response_head_length(std::string_view received) {
  std::size_t end = received.find("\r\n\r\n");
  if (end != std::string_view::npos) return end + 4;
  // Some proxies end lines with a bare LF (RFC 9112 §2.2 lets a recipient accept it).
  end = received.find("\n\n");
  return end == std::string_view::npos ? 0 : end + 2;
}

Status check_http_connect_response(std::string_view head) {
  std::string_view status_line = head.substr(0, head.find('\n'));
  if (status_line.ends_with('\r')) status_line.remove_suffix(1);
  // "HTTP/1.1 200 Connection established"
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ') {
    return Error{fmt::format("proxy sent no HTTP response: \"{}\"", printable_ascii(status_line))};
  }
  std::string_view status = status_line.substr(9);
  char first = status.front();
  if (first < '1' || first > '5' || status.size() < 3) {
    return Error{
        fmt::format("proxy sent a malformed status line: \"{}\"", printable_ascii(status_line))};
  }
  if (first != '2') return Error{fmt::format("proxy refused CONNECT: {}", printable_ascii(status))};
  return ok_status();
}

asio::awaitable<Status> http_connect(asio::ip::tcp::socket& socket, std::string_view host,
                                     std::uint16_t port) {
  std::string request = http_connect_request(host, port);
  auto [write_error, written] =
      co_await asio::async_write(socket, asio::buffer(request), use_tuple);
  if (write_error) {
    co_return Error{fmt::format("proxy connection lost: {}", write_error.message())};
  }
  // One octet at a time: whatever follows the head is the SMTP server's and must stay unread.
  std::string head;
  char octet = 0;
  while (http_response_head_length(head) == 0) {
    if (head.size() >= kMaxResponseHead) co_return Error{"proxy response head too long"};
    auto [error, count] = co_await socket.async_read_some(asio::buffer(&octet, 1), use_tuple);
    if (error || count == 0) {
      co_return Error{fmt::format("proxy closed the connection before answering CONNECT{}",
                                  error ? ": " + error.message() : std::string())};
    }
    head.push_back(octet);
  }
  co_return check_http_connect_response(head);
}

}  // namespace tern::net

// ESMTP parameters of MAIL and RCPT: SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531),
// RET/ENVID and NOTIFY/ORCPT (RFC 3461 §4). Keywords are case-insensitive; each may appear once;
// unknown ones are 555.
#include "smtp/parameters.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>

#include "base/strings.hpp"

namespace tern::smtp {
namespace {

Reply bad(std::string_view what) {
  return make_reply(501, "5.5.4", std::string(what));
}
Reply unsupported(std::string_view keyword) {
  return make_reply(555, "5.5.4", fmt::format("Unsupported option: {}", keyword));
}

struct Parameter {
  std::string keyword;  // upper case
  std::string value;
  bool has_value = false;
};

std::vector<std::string> split_list_by_space(std::string_view text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

// Splits "KEY=VALUE KEY2" into parameters, refusing duplicates and empty keywords.
Result<std::vector<Parameter>, Reply> split_parameters(std::string_view text) {
  std::vector<Parameter> parameters;
  std::set<std::string> seen;
  for (const std::string& word : split_list_by_space(text)) {
    Parameter parameter;
    std::size_t equals = word.find('=');
    parameter.keyword = to_upper_ascii(std::string_view(word).substr(0, equals));
    if (equals != std::string::npos) {
      parameter.has_value = true;
      parameter.value = word.substr(equals + 1);
    }
    if (parameter.keyword.empty()) return bad("Bad parameter syntax");
    if (!seen.insert(parameter.keyword).second) {
      return bad(fmt::format("Duplicate {} parameter", parameter.keyword));
    }
    parameters.push_back(std::move(parameter));
  }
  return parameters;
}

bool is_xtext_char(unsigned char c) {
  return c >= 33 && c <= 126 && c != '+' && c != '=';
}

}  // namespace

std::optional<std::string> xtext_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '+') {
      if (i + 2 >= text.size()) return std::nullopt;
      unsigned value = 0;
      std::string_view hex = text.substr(i + 1, 2);
      if (hex.size() != 2) return std::nullopt;
      for (char h : hex) {
        bool upper_hex = (h >= '0' && h <= '9') || (h >= 'A' && h <= 'F');
        if (!upper_hex) return std::nullopt;
      }
      std::from_chars(hex.data(), hex.data() + 2, value, 16);
      out += static_cast<char>(value);
      i += 2;
    } else if (is_xtext_char(c)) {
      out += static_cast<char>(c);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::string xtext_encode(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (is_xtext_char(static_cast<unsigned char>(c))) {
      out += c;
    } else {
      out += fmt::format("+{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

Result<MailParameters, Reply> parse_mail_parameters(std::string_view text) {
  auto parameters = split_parameters(text);
  if (!parameters) return parameters.error();
  MailParameters result;
  for (const Parameter& parameter : parameters.value()) {
    const std::string& value = parameter.value;
    if (parameter.keyword == "SIZE") {
      // RFC 1870 allows 20 digits, more than 64 bits hold: a valid but huge size saturates, so
      // it meets the size limit's 552 rather than a syntax error.
      bool digits =
          !value.empty() && value.size() <= 20 &&
          std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits) return bad("Bad message size syntax");
      std::uint64_t size = 0;
      auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), size);
      (void)end;
      result.size = error == std::errc::result_out_of_range
                        ? std::numeric_limits<std::uint64_t>::max()
                        : size;
    } else if (parameter.keyword == "BODY") {
      if (iequals(value, "7BIT")) {
        result.body = Body::SevenBit;
      } else if (iequals(value, "8BITMIME")) {
        result.body = Body::EightBitMime;
      } else if (iequals(value, "BINARYMIME")) {
        return unsupported("BODY=BINARYMIME");
      } else {
        return bad("Bad BODY keyword syntax");
      }
    } else if (parameter.keyword == "SMTPUTF8") {
      if (parameter.has_value) return bad("Bad SMTPUTF8 parameter syntax");
      result.smtputf8 = true;
    } else if (parameter.keyword == "RET") {
      if (iequals(value, "FULL")) {
        result.ret = Ret::Full;
      } else if (iequals(value, "HDRS")) {
        result.ret = Ret::Headers;
      } else {
        return bad("Bad RET parameter syntax");
      }
    } else if (parameter.keyword == "ENVID") {
      auto decoded = xtext_decode(value);
      if (value.empty() || value.size() > 100 || !decoded) return bad("Bad ENVID parameter syntax");
      result.envid = std::move(*decoded);
    } else {
      return unsupported(parameter.keyword);
    }
  }
  return result;
}

namespace {

Result<std::uint8_t, Reply> parse_notify(std::string_view value) {
  std::uint8_t flags = 0;
  std::vector<std::string_view> words;
  while (true) {
    std::size_t comma = value.find(',');
    words.push_back(value.substr(0, comma));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  for (std::string_view word : words) {
    if (iequals(word, "NEVER")) {
      flags |= NotifyNever;
    } else if (iequals(word, "SUCCESS")) {
      flags |= NotifySuccess;
    } else if (iequals(word, "FAILURE")) {
      flags |= NotifyFailure;
    } else if (iequals(word, "DELAY")) {
      flags |= NotifyDelay;
    } else {
      return bad("Error: Bad NOTIFY parameter syntax");
    }
  }
  // RFC 3461 §4.1: NEVER stands alone.
  if ((flags & NotifyNever) && flags != NotifyNever) {
    return bad("Error: Bad NOTIFY parameter syntax");
  }
  return flags;
}

}  // namespace

Result<RcptParameters, Reply> parse_rcpt_parameters(std::string_view text) {
  auto parameters = split_parameters(text);
  if (!parameters) return parameters.error();
  RcptParameters result;
  for (const Parameter& parameter : parameters.value()) {
    const std::string& value = parameter.value;
    if (parameter.keyword == "NOTIFY") {
      auto notify = parse_notify(value);
      if (!notify) return notify.error();
      result.notify = notify.value();
    } else if (parameter.keyword == "ORCPT") {
      std::size_t semicolon = value.find(';');
      if (semicolon == std::string::npos || semicolon == 0) {
        return bad("Error: Bad ORCPT parameter syntax");
      }
      std::string type = to_lower_ascii(std::string_view(value).substr(0, semicolon));
      if (type != "rfc822" && type != "utf-8") return bad("Error: Bad ORCPT address type");
      auto address = xtext_decode(std::string_view(value).substr(semicolon + 1));
      if (!address || address->empty() || value.size() > 500) {
        return bad("Error: Bad ORCPT parameter syntax");
      }
      result.orcpt_type = type;
      result.orcpt_address = std::move(*address);
    } else {
      return unsupported(parameter.keyword);
    }
  }
  return result;
}

}  // namespace tern::smtp

// RFC 5321 §4.1.2 paths and mailboxes: dot-atom or quoted local parts, domains and address literals,
// source routes (accepted and ignored, §C), the null reverse path <>, the special "postmaster" recipient, and
// UTF-8 in local parts and domains only when SMTPUTF8 was requested (RFC 6531 §3.3). Lengths are limited per
// §4.5.3.1: local part 64 octets, domain 255, path 256.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tern::smtp {

struct Mailbox {
  std::string local_part;  // as written (with quotes if it was quoted), for replies and logs
  std::string domain;      // as written; address literals keep their brackets: "[127.0.0.1]"
  bool is_null = false;    // the reverse path <>

  bool is_postmaster() const;  // "postmaster" without a domain (RFC 5321 §4.5.1)
  bool has_utf8() const;
  std::string address() const;  // "local@domain", "postmaster", or "" for <>
};

enum class AddressError {
  Syntax,       // 501 5.1.3 Bad address syntax / 501 5.1.7 for senders
  TooLong,      // 501 5.1.3 / 552? RFC 5321 §4.5.3.1.x: path too long
  Utf8Needs8,   // 553 5.6.7 UTF-8 address without SMTPUTF8
};

struct AddressFailure {
  AddressError kind;
  std::string detail;  // short reason for logs
};

// Parses "<...>" (or a bare address). `allow_null` is true for reverse paths; `allow_utf8` when the
// transaction used SMTPUTF8.
Result<Mailbox, AddressFailure> parse_path(std::string_view text, bool allow_null, bool allow_utf8);

// The local part without quotes, with quoted-pair escapes resolved: used for lookups in tables.
std::string unquoted_local_part(std::string_view local_part);

}  // namespace tern::smtp

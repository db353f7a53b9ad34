// The Received: trace header a receiving MTA prepends (RFC 5321 §4.4), worded as Postfix writes it:
//   Received: from helo (name [address])
//   	(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))
//   	by myhostname (tern) with ESMTP id QUEUEID
//   	for <rcpt>; date
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace tern::mime {

struct ReceivedFacts {
  std::string helo;         // may be empty when the client sent none
  std::string client_name;  // "unknown" when not looked up
  std::string client_address;
  std::string protocol;  // "SMTP", "ESMTP", "ESMTPS", "ESMTPSA", "UTF8SMTP"...
  std::string tls;       // "TLSv1.3 with cipher ... (256/256 bits)", empty without TLS
  std::string queue_id;
  std::string single_recipient;  // "for <...>" only when the message has exactly one recipient
  std::time_t time = 0;
};

// The header with its CRLF line endings, folded with a TAB as Postfix does.
std::string received_header(const ReceivedFacts& facts, std::string_view hostname);

}  // namespace tern::mime

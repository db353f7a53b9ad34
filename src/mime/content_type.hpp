// The media type of an attachment from its file name's extension (case ignored), as mailers and
// web servers map them (IANA media types; the common extensions of Debian's /etc/mime.types).
// Guarantees: always a valid "type/subtype"; application/octet-stream when the extension is
// unknown or missing, which every reader treats as "save it, do not display it".
#pragma once

#include <string>
#include <string_view>

namespace tern::mime {

std::string content_type_for_filename(std::string_view filename);

}  // namespace tern::mime

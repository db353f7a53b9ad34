#include "mime/content_type.hpp"

#include <utility>

#include "base/strings.hpp"

namespace tern::mime {
namespace {

// Extension (lower case) to media type; short enough to search in order.
constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
    {"txt", "text/plain"},
    {"text", "text/plain"},
    {"log", "text/plain"},
    {"md", "text/markdown"},
    {"csv", "text/csv"},
    {"html", "text/html"},
    {"htm", "text/html"},
    {"css", "text/css"},
    {"ics", "text/calendar"},
    {"vcf", "text/vcard"},
    {"xml", "application/xml"},
    {"json", "application/json"},
    {"js", "text/javascript"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tgz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"xz", "application/x-xz"},
    {"bz2", "application/x-bzip2"},
    {"7z", "application/x-7z-compressed"},
    {"eml", "message/rfc822"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
    {"odp", "application/vnd.oasis.opendocument.presentation"},
    {"rtf", "application/rtf"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"svg", "image/svg+xml"},
    {"bmp", "image/bmp"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"ico", "image/vnd.microsoft.icon"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"wav", "audio/wav"},
    {"flac", "audio/flac"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"mov", "video/quicktime"},
    {"pem", "application/x-pem-file"},
    {"asc", "application/pgp-signature"},
    {"sig", "application/pgp-signature"},
};

}  // namespace

std::string content_type_for_filename(std::string_view filename) {
  std::size_t dot = filename.rfind('.');
  std::size_t slash = filename.rfind('/');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == filename.size() ||
      (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  std::string extension = to_lower_ascii(filename.substr(dot + 1));
  for (const auto& [known, type] : kTypes) {
    if (extension == known) return std::string(type);
  }
  return "application/octet-stream";
}

}  // namespace tern::mime

// Attachment media types by extension.
#include "mime/content_type.hpp"

#include <gtest/gtest.h>

namespace tern::mime {
namespace {

TEST(ContentTypeTest, KnownExtensionsIgnoringCase) {
  EXPECT_EQ(content_type_for_filename("report.pdf"), "application/pdf");
  EXPECT_EQ(content_type_for_filename("PHOTO.JPG"), "image/jpeg");
  EXPECT_EQ(content_type_for_filename("notes.txt"), "text/plain");
  EXPECT_EQ(content_type_for_filename("page.html"), "text/html");
  EXPECT_EQ(content_type_for_filename("archive.tar.gz"), "application/gzip");
  EXPECT_EQ(content_type_for_filename("dir.d/image.png"), "image/png");
}

TEST(ContentTypeTest, UnknownOrMissingExtensionIsOctetStream) {
  EXPECT_EQ(content_type_for_filename("data.xyz"), "application/octet-stream");
  EXPECT_EQ(content_type_for_filename("Makefile"), "application/octet-stream");
  EXPECT_EQ(content_type_for_filename(".bashrc"), "application/octet-stream");
  EXPECT_EQ(content_type_for_filename("trailing."), "application/octet-stream");
  EXPECT_EQ(content_type_for_filename("dir.d/noext"), "application/octet-stream");
}

}  // namespace
}  // namespace tern::mime

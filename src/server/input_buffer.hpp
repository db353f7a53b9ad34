// The bytes a session has read from its client and not yet consumed. Its capacity follows what the
// session is doing: small while it waits for command lines, so an idle connection costs a few KiB
// (10,000 of them fit in tens of MiB), and large only while a message streams in. Storage is never
// zero-filled: only the bytes actually read touch memory.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

namespace tern::server {

class InputBuffer {
 public:
  explicit InputBuffer(std::size_t capacity);

  std::string_view data() const { return {storage_.get() + start_, end_ - start_}; }
  std::size_t size() const { return end_ - start_; }
  std::size_t capacity() const { return capacity_; }

  void consume(std::size_t count) { start_ += count; }
  void clear() { start_ = end_ = 0; }

  // Room for the next read, with the buffer resized to `capacity` first: grown, or shrunk when the
  // unread bytes fit (otherwise kept until they are consumed). Unread bytes are moved to the front
  // when that makes room. Empty only when the unread bytes fill the whole buffer.
  std::span<char> prepare(std::size_t capacity);
  // `count` bytes were read into the span prepare() returned.
  void commit(std::size_t count) { end_ += count; }

 private:
  void reallocate(std::size_t capacity);

  std::unique_ptr<char[]> storage_;
  std::size_t capacity_ = 0;
  std::size_t start_ = 0;
  std::size_t end_ = 0;
};

}  // namespace tern::server

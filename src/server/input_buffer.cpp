// Session input buffer: resizing keeps the unread bytes (pipelined commands after a message) in
// order; make_unique_for_overwrite leaves new storage untouched until a read fills it.
#include "server/input_buffer.hpp"

#include <cstring>

namespace tern::server {

InputBuffer::InputBuffer(std::size_t capacity)
    : storage_(std::make_unique_for_overwrite<char[]>(capacity)), capacity_(capacity) {}

std::span<char> InputBuffer::prepare(std::size_t capacity) {
  if (capacity > capacity_ || (capacity < capacity_ && size() < capacity)) reallocate(capacity);
  if (start_ > 0 && (end_ == capacity_ || start_ > capacity_ / 2)) {
    std::memmove(storage_.get(), storage_.get() + start_, size());
    end_ -= start_;
    start_ = 0;
  }
  return {storage_.get() + end_, capacity_ - end_};
}

void InputBuffer::reallocate(std::size_t capacity) {
  auto replacement = std::make_unique_for_overwrite<char[]>(capacity);
  std::size_t unread = size();
  std::memcpy(replacement.get(), storage_.get() + start_, unread);
  storage_ = std::move(replacement);
  capacity_ = capacity;
  start_ = 0;
  end_ = unread;
}

}  // namespace tern::server

// Awaiting the spool's group commit from a session coroutine: the committer thread's callback is
// posted back to the session's own event loop, so the session resumes on its thread.
#pragma once

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>
#include <utility>

#include "queue/spool.hpp"

namespace tern::server {

inline auto async_commit(queue::Spool& spool, queue::IncomingMessage message) {
  auto initiation = [&spool](auto handler, queue::IncomingMessage pending) {
    using Handler = decltype(handler);
    auto shared = std::make_shared<Handler>(std::move(handler));
    spool.commit(std::move(pending), [shared](Status status) {
      auto executor = asio::get_associated_executor(*shared);
      asio::post(executor,
                 [shared, status = std::move(status)]() mutable { (*shared)(std::move(status)); });
    });
  };
  return asio::async_initiate<const asio::use_awaitable_t<>, void(Status)>(
      initiation, asio::use_awaitable, std::move(message));
}

}  // namespace tern::server

// spdlog configured for mail logs: timestamp, program tag and pid, then the Postfix-style message,
// with "warning: "/"error: " prefixes as Postfix writes them (plain info lines carry none). Every
// line is flushed, so a crash never hides the events just before it.
#include "base/logging.hpp"

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace tern {
namespace {

// %* : the severity as Postfix words it, empty for informational lines.
class SeverityPrefix : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& destination) override {
    std::string_view prefix;
    switch (message.level) {
      case spdlog::level::warn:
        prefix = "warning: ";
        break;
      case spdlog::level::err:
        prefix = "error: ";
        break;
      case spdlog::level::critical:
        prefix = "fatal: ";
        break;
      case spdlog::level::debug:
      case spdlog::level::trace:
        prefix = "debug: ";
        break;
      default:
        break;
    }
    destination.append(prefix.data(), prefix.data() + prefix.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SeverityPrefix>();
  }
};

}  // namespace

Status init_logging(const std::string& program, const std::string& file) {
  std::shared_ptr<spdlog::logger> logger;
  try {
    spdlog::drop(program);
    if (file.empty()) {
      logger = spdlog::stderr_logger_mt(program);
    } else {
      logger = spdlog::basic_logger_mt(program, file);
    }
  } catch (const spdlog::spdlog_ex& failure) {
    return Error{fmt::format("cannot open log {}: {}", file, failure.what())};
  }
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<SeverityPrefix>('*').set_pattern("%b %d %H:%M:%S %n[%P]: %*%v");
  logger->set_formatter(std::move(formatter));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return ok_status();
}

}  // namespace tern

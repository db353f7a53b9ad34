// Every main.cf parameter tern knows: its default (main.cf text, expanded like a value from the
// file) and whether it takes effect in tern or is a Postfix parameter accepted without effect.
#pragma once

#include <span>
#include <string_view>

namespace tern::config {

enum class ParameterKind {
  Effective,        // read by tern
  PostfixNoEffect,  // Postfix has it; tern accepts it and says it has no effect
};

struct ParameterInfo {
  std::string_view name;
  std::string_view default_value;
  ParameterKind kind;
};

const ParameterInfo* find_parameter(std::string_view name);
std::span<const ParameterInfo> all_parameters();

}  // namespace tern::config

// The `tern` command line: one subcommand per tool; only commands that work are listed.
#pragma once

namespace tern::cli {

int run_tern_cli(int argc, char** argv);

}  // namespace tern::cli

// tern: the command-line toolkit.
#include "cli/tern_cli.hpp"

int main(int argc, char** argv) {
  return tern::cli::run_tern_cli(argc, argv);
}

// tern: the command-line toolkit. Installed as (or linked to) `sendmail` it is `tern sendmail`, and
// as `mailq` it is `tern sendmail -bp`, so programs that call those names find them.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/sendmail_command.hpp"
#include "cli/tern_cli.hpp"

int main(int argc, char** argv) {
  std::string_view invoked = argc > 0 ? argv[0] : "";
  invoked.remove_prefix(invoked.rfind('/') + 1);  // npos + 1 == 0: no directory part
  if (invoked == "sendmail" || invoked == "mailq") {
    std::vector<std::string> arguments(argv + 1, argv + argc);
    if (invoked == "mailq") arguments.insert(arguments.begin(), "-bp");
    return tern::cli::run_sendmail_command(arguments, std::cin, std::cout, std::cerr);
  }
  return tern::cli::run_tern_cli(argc, argv);
}

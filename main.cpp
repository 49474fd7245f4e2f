// agor: one binary, many subcommands; everything but dispatch lives in the library.
#include "cmd/command.h"

int main(int argc, char** argv) {
  return agor::RunMain(argc, argv);
}

// The hesscov command: a thin dispatcher over the library (DESIGN.md "apps").
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "apps/commands.hpp"
#include "bench/bench.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return hesscov::apps::dispatch(argc, argv, args, {{"bench", hesscov::bench::run_bench}});
}

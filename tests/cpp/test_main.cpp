// rnndyn_tests: runs every TEST registered in this directory's files, or those whose names
// contain one of the arguments; returns 1 if any check failed.
//
//   rnndyn_tests [name-part ...]

#include <cstdio>
#include <exception>
#include <string>

#include "check.hpp"

int main(int argc, char** argv) {
    int run = 0;
    for (const check::Test& test : check::registry()) {
        bool chosen = argc == 1;
        for (int i = 1; i < argc; ++i)
            chosen = chosen || std::string(test.name).find(argv[i]) != std::string::npos;
        if (!chosen) continue;
        const int before = check::failures();
        try {
            test.run();
        } catch (const std::exception& error) {
            check::fail(test.name, 0, std::string("unexpected exception: ") + error.what());
        }
        std::printf("%s %s\n", check::failures() == before ? "ok    " : "FAILED", test.name);
        ++run;
    }
    std::printf("%d tests, %d failed checks\n", run, check::failures());
    return run > 0 && check::failures() == 0 ? 0 : 1;
}

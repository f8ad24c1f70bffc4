// The tables of options.hpp, which Python reads through the bindings: every method's name
// leads back to it, the tables follow their enums' order, and an unknown name's error lists the
// names that are known.
#include <stdexcept>
#include <string>

#include <rnndyn/options.hpp>

#include "check.hpp"

TEST(method_names_round_trip) {
    for (std::size_t k = 0; k < rnndyn::kMethods.size(); ++k) {
        const rnndyn::MethodInfo& info = rnndyn::kMethods[k];
        const check::Context context(info.name);
        CHECK(std::size_t(info.method) == k);
        CHECK(rnndyn::method_from_name(info.name) == info.method);
        CHECK(&rnndyn::method_info(info.method) == &info);
        CHECK(info.default_max_iter > 0);
    }
    CHECK(rnndyn::method_info(rnndyn::Method::ConjugateGradient).default_max_iter == 20000);
}

TEST(unknown_method_names_list_the_known_ones) {
    try {
        rnndyn::method_from_name("bfgs");
        CHECK(false);
    } catch (const std::invalid_argument& error) {
        CHECK(std::string(error.what()) ==
              "method must be 'newton', 'trust-ncg', 'lm', 'cg' or 'adam', got 'bfgs'");
    }
}

TEST(stop_reasons_are_listed_by_code) {
    for (std::size_t k = 0; k < rnndyn::kStopReasons.size(); ++k)
        CHECK(std::size_t(rnndyn::kStopReasons[k].reason) == k);
    CHECK(std::string(rnndyn::kStopReasons[4].name) == "non_finite");
}

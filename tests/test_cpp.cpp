// test_cpp.cpp - the C++ wrapper (include/ebench.hpp), built with g++: a
// bench that closes itself, a scoped window, errors as exceptions with the
// eb_error code, moves.
#include <cstdio>
#include <cstring>
#include <string>

#include "ebench.hpp"

static int failures;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);                        \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

int main()
{
    eb_config cfg;
    eb_config_init(&cfg);
    cfg.manual = 1;
    cfg.sources = EB_SOURCE_CPUMODEL; /* /proc/stat: on every machine */
    ebench::bench b(&cfg);
    CHECK(b.get() != nullptr);
    CHECK(eb_domain_count(b.get()) == 1);
    {
        auto w = b.window("step");
        eb_tick(b.get());
    } // ends here
    eb_domain_energy d[EB_MAX_DOMAINS];
    eb_result r;
    eb_result_init(&r, d, EB_MAX_DOMAINS);
    CHECK(eb_window_result(b.get(), "step", 0, &r) == EB_OK);
    b.add_work("step", 1e12, "flop");

    int code = 0;
    std::string what;
    try {
        b.end("never begun");
    } catch (const ebench::error &e) {
        code = e.code();
        what = e.what();
    }
    CHECK(code == EB_ENOTOPEN);
    CHECK(what.compare(0, 8, "eb_end: ") == 0);
    CHECK(what.find("never begun") != std::string::npos);

    std::FILE *f = std::tmpfile();
    b.print_results(f);
    std::rewind(f);
    char text[4096] = "";
    size_t n = std::fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    std::fclose(f);
    CHECK(std::strstr(text, "step") != nullptr);

    ebench::bench moved(std::move(b));
    CHECK(b.get() == nullptr);
    CHECK(moved.get() != nullptr);
    moved.stop();
    std::printf("%s\n", failures ? "C++ wrapper: FAILED" : "C++ wrapper: ok");
    return failures ? 1 : 0;
}

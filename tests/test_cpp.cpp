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
    CHECK(what.compare(0, std::strlen("eb_end: "), "eb_end: ") == 0);
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
    what.clear();
    try {
        b.begin("x");
    } catch (const ebench::error &e) {
        what = e.what();
    }
    CHECK(what == "eb_begin: this bench was moved from");

    /* a window open while its bench moves ends on the handle it began on */
    {
        ebench::bench first(&cfg);
        {
            auto w = first.window("moving");
            ebench::bench second(std::move(first));
            eb_tick(second.get());
            w.end(&r);
            CHECK(r.duration_s >= 0);
            bool threw = false;
            try {
                w.end();
            } catch (const ebench::error &e) {
                threw = std::string(e.what()).find("already ended") != std::string::npos;
            }
            CHECK(threw);
            eb_stats st;
            eb_stat e[EB_MAX_DOMAINS];
            eb_stats_init(&st, e, EB_MAX_DOMAINS);
            CHECK(eb_window_stats(second.get(), "moving", &st) == EB_OK && st.n == 1);
        }
    }
    /* a scoped window ended early is not ended again by its scope: the outer
     * one of the same name stays open */
    {
        auto outer = moved.window("same");
        {
            auto inner = moved.window("same");
            inner.end();
        }
        eb_stats st;
        eb_stat e[EB_MAX_DOMAINS];
        eb_stats_init(&st, e, EB_MAX_DOMAINS);
        CHECK(eb_window_stats(moved.get(), "same", &st) == EB_OK && st.n == 1);
    }
    /* eb_open's reason, not only its code */
    eb_config bad = cfg;
    bad.size = 3;
    what.clear();
    try {
        ebench::bench nope(&bad);
    } catch (const ebench::error &e) {
        what = e.what();
    }
    const std::string expect = "eb_open: eb_config of 3 bytes";
    CHECK(what.compare(0, expect.size(), expect) == 0);
    moved.stop();
    std::printf("%s\n", failures ? "C++ wrapper: FAILED" : "C++ wrapper: ok");
    return failures ? 1 : 0;
}

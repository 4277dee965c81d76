/*
 * ebench.hpp - libebench for C++: a bench object that closes itself, and a
 * window that ends when its scope does. Header-only, over the C API
 * (ebench.h); errors are exceptions carrying the eb_error code.
 *
 *     #include <ebench.hpp>
 *
 *     ebench::bench bench;                        // every sensor ebench can read
 *     {
 *         auto w = bench.window("step");          // measured until the scope ends
 *         train_step();
 *     }
 *     bench.add_work("step", 2.4e12, "flop");     // the last "step" did this much
 *     bench.print_results();
 *
 * Link with `pkg-config --libs ebench`, or target_link_libraries(app
 * ebench::ebench) after find_package(ebench). C++14 or later. A window must
 * not outlive its bench; a window's end() ends it early (and its figures
 * come back), after which its scope's end does nothing.
 */
#ifndef EBENCH_HPP
#define EBENCH_HPP

#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>

#include "ebench.h"

namespace ebench {

/* A failed call: what() names the call and the reason, code() the eb_error. */
class error : public std::runtime_error {
  public:
    error(int code, const std::string &what) : std::runtime_error(what), code_(code) {}
    int code() const noexcept { return code_; }

  private:
    int code_;
};

class bench {
  public:
    /* cfg: NULL for the defaults, else filled with eb_config_init() first */
    explicit bench(const eb_config *cfg = nullptr)
    {
        int rc = eb_open(&b_, cfg);
        if (rc != EB_OK) {
            const char *detail = eb_last_detail(nullptr); /* no bench: the thread's */
            throw error(rc, std::string("eb_open: ") +
                                (detail && *detail ? detail : eb_strerror(rc)));
        }
    }
    ~bench() { eb_close(b_); }
    bench(const bench &) = delete;
    bench &operator=(const bench &) = delete;
    bench(bench &&o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
    bench &operator=(bench &&o) noexcept
    {
        if (this != &o) {
            eb_close(b_);
            b_ = std::exchange(o.b_, nullptr);
        }
        return *this;
    }

    /* The C handle, for the rest of ebench.h. */
    eb_bench *get() const noexcept { return b_; }

    void begin(const std::string &name) { check(eb_begin(b_, name.c_str()), "eb_begin"); }
    void end(const std::string &name) { check(eb_end(b_, name.c_str(), nullptr), "eb_end"); }
    void add_work(const std::string &window, double amount, const std::string &unit)
    {
        check(eb_add_work(b_, window.c_str(), amount, unit.c_str()), "eb_add_work");
    }
    void print_results(std::FILE *out = stdout) { check(eb_print_results(b_, out), "eb_print_results"); }
    void save_json(const std::string &path)
    {
        check(eb_save_json(b_, path.c_str(), nullptr), "eb_save_json");
    }
    void stop() { check(eb_stop(b_), "eb_stop"); }

    /* A window from here to the end of the scope it is kept in, on the
     * handle it was opened on (a bench moved meanwhile keeps it). */
    class scoped_window {
      public:
        scoped_window(bench &b, std::string name) : h_(b.handle("window")), name_(std::move(name))
        {
            b.begin(name_);
        }
        ~scoped_window()
        {
            if (h_)
                eb_end(h_, name_.c_str(), nullptr); /* a destructor does not throw */
        }
        scoped_window(const scoped_window &) = delete;
        scoped_window &operator=(const scoped_window &) = delete;
        scoped_window(scoped_window &&o) noexcept
            : h_(std::exchange(o.h_, nullptr)), name_(std::move(o.name_))
        {
        }
        scoped_window &operator=(scoped_window &&) = delete;

        /* Ends the window now; result (eb_result_init) gets its figures if
         * given. The scope's end then does nothing. */
        void end(eb_result *result = nullptr)
        {
            if (!h_)
                throw error(EB_ENOTOPEN, "window '" + name_ + "': already ended");
            eb_bench *h = std::exchange(h_, nullptr);
            int rc = eb_end(h, name_.c_str(), result);
            if (rc != EB_OK) {
                const char *detail = eb_last_detail(h);
                throw error(rc, "eb_end: " + std::string(detail && *detail ? detail
                                                                            : eb_strerror(rc)));
            }
        }

      private:
        eb_bench *h_;
        std::string name_;
    };

    scoped_window window(const std::string &name) { return scoped_window(*this, name); }

  private:
    eb_bench *handle(const char *call) const
    {
        if (!b_)
            throw error(EB_EINVAL, std::string(call) + ": this bench was moved from");
        return b_;
    }
    void check(int rc, const char *call) const
    {
        if (rc == EB_OK)
            return;
        if (!b_)
            throw error(rc, std::string(call) + ": this bench was moved from");
        const char *detail = eb_last_detail(b_);
        throw error(rc, std::string(call) + ": " +
                            (detail && *detail ? detail : eb_strerror(rc)));
    }
    eb_bench *b_ = nullptr;
};

} // namespace ebench

#endif

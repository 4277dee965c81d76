/* shm.c - see shm.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm.h"

double ebsim_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The segment's name for a scenario file; exported so that tests can stand in for another
 * process caught half-way through creating it. */
__attribute__((visibility("default"))) void ebsim_shm_name(const char *config_path, char *name,
                                                           size_t len)
{
    unsigned long h = 5381;
    char real[4096];
    const char *p = realpath(config_path, real) ? real : config_path;
    for (; *p; p++)
        h = h * 33 + (unsigned char)*p;
    snprintf(name, len, "/ebench-sim-%lu-%lx", (unsigned long)getuid(), h);
}

ebsim_shm *ebsim_shm_map(const char *config_path, int create)
{
    char name[64];
    ebsim_shm_name(config_path, name, sizeof name);
    int fd = shm_open(name, create ? O_RDWR | O_CREAT : O_RDWR, 0600);
    if (fd < 0)
        return NULL;
    if (create && ftruncate(fd, sizeof(ebsim_shm)) != 0) {
        close(fd);
        return NULL;
    }
    /* A segment another process has just created but not yet sized (between its shm_open and
     * its ftruncate) has length 0: mapping it and touching it raises SIGBUS. Such a segment is
     * treated as absent; the caller looks again on its next read. */
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(ebsim_shm)) {
        close(fd);
        return NULL;
    }
    void *m = mmap(NULL, sizeof(ebsim_shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return NULL;
    ebsim_shm *s = m;
    if (create && s->magic != EBSIM_SHM_MAGIC)
        s->magic = EBSIM_SHM_MAGIC; /* a new segment is all zeros */
    return s;
}

__attribute__((visibility("default"))) int ebsim_forget(const char *config_path)
{
    char name[64];
    ebsim_shm_name(config_path, name, sizeof name);
    return shm_unlink(name) == 0 || errno == ENOENT ? 0 : -1;
}

__attribute__((visibility("default"))) int ebsim_set_utilization(const char *config_path,
                                                                 unsigned gpu, double util)
{
    if (!config_path || gpu >= EBSIM_MAX_GPUS || !(util >= 0 && util <= 1))
        return -1;
    ebsim_shm *s = ebsim_shm_map(config_path, 1);
    if (!s)
        return -1;
    uint32_t n = __atomic_load_n(&s->gpu[gpu].n, __ATOMIC_ACQUIRE);
    if (n >= EBSIM_SHM_EVENTS) {
        munmap(s, sizeof *s);
        return -1;
    }
    s->gpu[gpu].ev[n] = (ebsim_event){ebsim_mono(), util};
    __atomic_store_n(&s->gpu[gpu].n, n + 1, __ATOMIC_RELEASE);
    munmap(s, sizeof *s);
    return 0;
}

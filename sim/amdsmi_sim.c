/*
 * amdsmi_sim.c - a simulated AMD SMI: libamd_smi.so exporting the subset
 * ebench uses (src/sources/amdsmi_abi.h), on the same physical model as the
 * simulated NVIDIA driver (nvml_sim.c built with EBSIM_AMD, whose NVML
 * functions are hidden here): the scenario's GPUs with "vendor": "amd", the
 * same ground truth (ebsim_true_energy_j), sensor timing and faults.
 *
 * The energy accumulator counts 15.259 uJ units (AMD's usual resolution).
 * A GPU with "package": N shares that package with the others of N (MI250X:
 * two dies, one OAM id); "secondary": true makes it the die that reports
 * 0 W: its accumulator never moves. EBENCH_SIM_AMDSMI_VERSION=Y.M.m makes
 * amdsmi_get_lib_version report another version (24.7.0 by default).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/sources/amdsmi_abi.h"
#include "ebsim.h"
#include "nvml_api.h"

#define API __attribute__((visibility("default")))
#define RESOLUTION_UJ 15.259f

/* Handles: 1 + the GPU's index (0 is never a handle); sockets likewise. */
static amdsmi_processor_handle handle_of(unsigned i)
{
    return (amdsmi_processor_handle)(uintptr_t)(i + 1);
}

static int index_of(amdsmi_processor_handle h, nvmlDevice_t *dev)
{
    uintptr_t v = (uintptr_t)h;
    unsigned n = 0;
    if (v == 0 || nvmlDeviceGetCount_v2(&n) != NVML_SUCCESS || v > n)
        return -1;
    if (dev && nvmlDeviceGetHandleByIndex_v2((unsigned)(v - 1), dev) != NVML_SUCCESS)
        return -1;
    return (int)(v - 1);
}

static amdsmi_status_t status_of(nvmlReturn_t rc)
{
    switch (rc) {
    case NVML_SUCCESS:
        return AMDSMI_STATUS_SUCCESS;
    case NVML_ERROR_NOT_SUPPORTED:
        return AMDSMI_STATUS_NOT_SUPPORTED;
    case NVML_ERROR_NO_PERMISSION:
        return AMDSMI_STATUS_NO_PERM;
    case NVML_ERROR_UNINITIALIZED:
        return AMDSMI_STATUS_NOT_INIT;
    case NVML_ERROR_DRIVER_NOT_LOADED:
        return AMDSMI_STATUS_DRIVER_NOT_LOADED;
    case NVML_ERROR_GPU_IS_LOST:
        return AMDSMI_STATUS_NOT_FOUND;
    default:
        return AMDSMI_STATUS_INVAL;
    }
}

API amdsmi_status_t amdsmi_init(uint64_t flags)
{
    if (!(flags & AMDSMI_INIT_AMD_GPUS))
        return AMDSMI_STATUS_INVAL;
    return status_of(nvmlInit_v2());
}

API amdsmi_status_t amdsmi_shut_down(void)
{
    return status_of(nvmlShutdown());
}

API amdsmi_status_t amdsmi_get_lib_version(amdsmi_version_t *v)
{
    static char build[64];
    unsigned year = 24, major = 7, minor = 0;
    const char *want = getenv("EBENCH_SIM_AMDSMI_VERSION");
    if (!v)
        return AMDSMI_STATUS_INVAL;
    if (want && *want)
        sscanf(want, "%u.%u.%u", &year, &major, &minor);
    snprintf(build, sizeof build, "%u.%u.%u.0 (ebench-sim)", year, major, minor);
    *v = (amdsmi_version_t){year, major, minor, 0, build};
    return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_status_code_to_string(amdsmi_status_t s, const char **text)
{
    if (!text)
        return AMDSMI_STATUS_INVAL;
    *text = s == AMDSMI_STATUS_SUCCESS ? "AMDSMI_STATUS_SUCCESS: Call succeeded"
            : s == AMDSMI_STATUS_NOT_SUPPORTED
                ? "AMDSMI_STATUS_NOT_SUPPORTED: Feature not supported"
            : s == AMDSMI_STATUS_NO_PERM  ? "AMDSMI_STATUS_NO_PERM: Permission Denied"
            : s == AMDSMI_STATUS_NOT_INIT ? "AMDSMI_STATUS_NOT_INIT: Device not initialized"
            : s == AMDSMI_STATUS_DRIVER_NOT_LOADED
                ? "AMDSMI_STATUS_DRIVER_NOT_LOADED: Processor driver not loaded"
            : s == AMDSMI_STATUS_NOT_FOUND ? "AMDSMI_STATUS_NOT_FOUND: Device Not found"
                                           : "AMDSMI_STATUS_INVAL: Invalid parameters";
    return AMDSMI_STATUS_SUCCESS;
}

/* One socket per GPU, as AMD SMI gives for discrete GPUs. */
API amdsmi_status_t amdsmi_get_socket_handles(uint32_t *count, amdsmi_socket_handle *out)
{
    unsigned n = 0;
    if (!count)
        return AMDSMI_STATUS_INVAL;
    nvmlReturn_t rc = nvmlDeviceGetCount_v2(&n);
    if (rc != NVML_SUCCESS)
        return status_of(rc);
    if (out)
        for (unsigned i = 0; i < n && i < *count; i++)
            out[i] = (amdsmi_socket_handle)(uintptr_t)(i + 1);
    *count = n;
    return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_processor_handles(amdsmi_socket_handle socket, uint32_t *count,
                                                 amdsmi_processor_handle *out)
{
    if (!count || index_of(socket, NULL) < 0)
        return AMDSMI_STATUS_INVAL;
    if (out && *count >= 1)
        out[0] = handle_of((unsigned)((uintptr_t)socket - 1));
    *count = 1;
    return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_processor_type(amdsmi_processor_handle h, int *type)
{
    if (!type || index_of(h, NULL) < 0)
        return AMDSMI_STATUS_INVAL;
    *type = AMDSMI_PROCESSOR_TYPE_AMD_GPU;
    return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_gpu_device_bdf(amdsmi_processor_handle h, amdsmi_bdf_t *bdf)
{
    nvmlDevice_t dev;
    nvmlPciInfo_t pci;
    unsigned dom = 0, bus = 0, d = 0, fn = 0;
    if (!bdf || index_of(h, &dev) < 0)
        return AMDSMI_STATUS_INVAL;
    nvmlReturn_t rc = nvmlDeviceGetPciInfo_v3(dev, &pci);
    if (rc != NVML_SUCCESS)
        return status_of(rc);
    sscanf(pci.busId, "%x:%x:%x.%x", &dom, &bus, &d, &fn);
    bdf->as_uint = 0;
    bdf->f.domain_number = dom;
    bdf->f.bus_number = bus;
    bdf->f.device_number = d;
    bdf->f.function_number = fn;
    return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_gpu_device_uuid(amdsmi_processor_handle h, unsigned *len, char *uuid)
{
    nvmlDevice_t dev;
    if (!len || !uuid || index_of(h, &dev) < 0)
        return AMDSMI_STATUS_INVAL;
    return status_of(nvmlDeviceGetUUID(dev, uuid, *len));
}

/* The 24.7 layout (what amdsmi_get_lib_version says by default); another
 * version's layout when EBENCH_SIM_AMDSMI_VERSION asks for 24.1-24.6. */
API amdsmi_status_t amdsmi_get_gpu_asic_info(amdsmi_processor_handle h, void *info)
{
    nvmlDevice_t dev;
    char name[96];
    int package, secondary;
    unsigned minor, major = 7;
    int i = index_of(h, &dev);
    if (!info || i < 0 || ebsim__amd_gpu((unsigned)i, &package, &secondary, &minor) < 0)
        return AMDSMI_STATUS_INVAL;
    nvmlDeviceGetName(dev, name, sizeof name);
    const char *want = getenv("EBENCH_SIM_AMDSMI_VERSION");
    if (want)
        sscanf(want, "%*u.%u", &major);
    uint32_t oam = package >= 0 ? (uint32_t)package : 0xffffffffu;
    if (major >= 7) {
        eb_amdsmi_asic_info_24_7 *a = info;
        memset(a, 0, sizeof *a);
        snprintf(a->market_name, sizeof a->market_name, "%s", name);
        a->oam_id = oam;
    } else {
        eb_amdsmi_asic_info_24_1 *a = info;
        memset(a, 0, major == 6 ? sizeof(eb_amdsmi_asic_info_24_6) : sizeof *a);
        char *market = ((char *)info);
        snprintf(market, major == 6 ? 256 : 64, "%s", name);
        uint16_t o16 = package >= 0 ? (uint16_t)package : 0xffff;
        memcpy((char *)info + (major == 6 ? offsetof(eb_amdsmi_asic_info_24_6, oam_id)
                                          : offsetof(eb_amdsmi_asic_info_24_1, oam_id)),
               &o16, sizeof o16);
    }
    return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_energy_count(amdsmi_processor_handle h, uint64_t *acc,
                                            float *resolution, uint64_t *timestamp)
{
    nvmlDevice_t dev;
    unsigned long long mj;
    int package, secondary;
    unsigned minor;
    int i = index_of(h, &dev);
    if (!acc || !resolution || !timestamp || i < 0)
        return AMDSMI_STATUS_INVAL;
    ebsim__amd_gpu((unsigned)i, &package, &secondary, &minor);
    nvmlReturn_t rc = nvmlDeviceGetTotalEnergyConsumption(dev, &mj);
    if (rc != NVML_SUCCESS)
        return status_of(rc);
    /* the package's second die: a counter that never moves */
    *acc = secondary ? 1000 : (uint64_t)llround((double)mj * 1000.0 / RESOLUTION_UJ);
    *resolution = RESOLUTION_UJ;
    *timestamp = 0;
    return AMDSMI_STATUS_SUCCESS;
}

API amdsmi_status_t amdsmi_get_power_info(amdsmi_processor_handle h, amdsmi_power_info_t *p)
{
    nvmlDevice_t dev;
    unsigned mw = 0, limit = 0;
    if (!p || index_of(h, &dev) < 0)
        return AMDSMI_STATUS_INVAL;
    nvmlReturn_t rc = nvmlDeviceGetPowerUsage(dev, &mw);
    if (rc != NVML_SUCCESS)
        return status_of(rc);
    nvmlDeviceGetEnforcedPowerLimit(dev, &limit);
    memset(p, 0, sizeof *p);
    p->average_socket_power = (uint32_t)lround(mw / 1e3);
    p->current_socket_power = p->average_socket_power;
    p->power_limit = limit / 1000;
    return AMDSMI_STATUS_SUCCESS;
}

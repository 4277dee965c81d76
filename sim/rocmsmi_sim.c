/*
 * rocmsmi_sim.c - a simulated ROCm SMI: librocm_smi64.so.1 exporting the
 * subset ebench uses (src/sources/rocmsmi_abi.h), on the simulated NVIDIA
 * driver's model (nvml_sim.c built with EBSIM_AMD): the scenario's
 * "vendor": "amd" GPUs, their ground truth, timing and faults, as
 * amdsmi_sim.c gives them through AMD SMI.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/sources/rocmsmi_abi.h"
#include "ebsim.h"
#include "nvml_api.h"

#define API __attribute__((visibility("default")))
#define RESOLUTION_UJ 15.259f

/* as rocm_smi.h declares them (rsmi_status_t is an unsigned enum) */
API eb_rsmi_status rsmi_init(uint64_t flags);
API eb_rsmi_status rsmi_shut_down(void);
API eb_rsmi_status rsmi_num_monitor_devices(uint32_t *n);
API eb_rsmi_status rsmi_dev_pci_id_get(uint32_t dv, uint64_t *bdfid);
API eb_rsmi_status rsmi_dev_unique_id_get(uint32_t dv, uint64_t *id);
API eb_rsmi_status rsmi_dev_name_get(uint32_t dv, char *name, size_t len);
API eb_rsmi_status rsmi_dev_energy_count_get(uint32_t dv, uint64_t *acc, float *res,
                                             uint64_t *timestamp);
API eb_rsmi_status rsmi_dev_power_ave_get(uint32_t dv, uint32_t sensor, uint64_t *uw);
API eb_rsmi_status rsmi_status_string(eb_rsmi_status s, const char **text);

static eb_rsmi_status status_of(nvmlReturn_t rc)
{
    return rc == NVML_SUCCESS                   ? EB_RSMI_STATUS_SUCCESS
           : rc == NVML_ERROR_NOT_SUPPORTED     ? EB_RSMI_STATUS_NOT_SUPPORTED
           : rc == NVML_ERROR_NO_PERMISSION     ? EB_RSMI_STATUS_PERMISSION
           : rc == NVML_ERROR_GPU_IS_LOST       ? EB_RSMI_STATUS_NOT_FOUND
           : rc == NVML_ERROR_DRIVER_NOT_LOADED ? EB_RSMI_STATUS_INIT_ERROR
                                                : 1u /* RSMI_STATUS_INVALID_ARGS */;
}

static nvmlReturn_t dev_of(uint32_t dv, nvmlDevice_t *dev)
{
    return nvmlDeviceGetHandleByIndex_v2(dv, dev);
}

API eb_rsmi_status rsmi_init(uint64_t flags)
{
    (void)flags;
    return status_of(nvmlInit_v2());
}

API eb_rsmi_status rsmi_shut_down(void)
{
    return status_of(nvmlShutdown());
}

API eb_rsmi_status rsmi_num_monitor_devices(uint32_t *n)
{
    unsigned count = 0;
    nvmlReturn_t rc = nvmlDeviceGetCount_v2(&count);
    if (n)
        *n = count;
    return status_of(rc);
}

API eb_rsmi_status rsmi_dev_pci_id_get(uint32_t dv, uint64_t *bdfid)
{
    nvmlDevice_t dev;
    nvmlPciInfo_t pci;
    unsigned dom = 0, bus = 0, d = 0, fn = 0;
    nvmlReturn_t rc = dev_of(dv, &dev);
    if (rc == NVML_SUCCESS)
        rc = nvmlDeviceGetPciInfo_v3(dev, &pci);
    if (rc != NVML_SUCCESS || !bdfid)
        return status_of(rc);
    sscanf(pci.busId, "%x:%x:%x.%x", &dom, &bus, &d, &fn);
    *bdfid = ((uint64_t)dom << 32) | (bus << 8) | (d << 3) | fn;
    return EB_RSMI_STATUS_SUCCESS;
}

API eb_rsmi_status rsmi_dev_unique_id_get(uint32_t dv, uint64_t *id)
{
    nvmlDevice_t dev;
    char uuid[96];
    nvmlReturn_t rc = dev_of(dv, &dev);
    if (rc == NVML_SUCCESS)
        rc = nvmlDeviceGetUUID(dev, uuid, sizeof uuid);
    if (rc != NVML_SUCCESS || !id)
        return status_of(rc);
    /* "GPU-<16 hex>" in the scenario: the number ROCr's UUIDs are made of */
    *id = strtoull(strncmp(uuid, "GPU-", 4) == 0 ? uuid + 4 : uuid, NULL, 16);
    return EB_RSMI_STATUS_SUCCESS;
}

API eb_rsmi_status rsmi_dev_name_get(uint32_t dv, char *name, size_t len)
{
    nvmlDevice_t dev;
    nvmlReturn_t rc = dev_of(dv, &dev);
    if (rc == NVML_SUCCESS)
        rc = nvmlDeviceGetName(dev, name, (unsigned)len);
    return status_of(rc);
}

API eb_rsmi_status rsmi_dev_energy_count_get(uint32_t dv, uint64_t *acc, float *res,
                                             uint64_t *timestamp)
{
    nvmlDevice_t dev;
    unsigned long long mj;
    int package, secondary;
    unsigned minor;
    nvmlReturn_t rc = dev_of(dv, &dev);
    if (rc == NVML_SUCCESS)
        rc = nvmlDeviceGetTotalEnergyConsumption(dev, &mj);
    if (rc != NVML_SUCCESS || !acc || !res || !timestamp)
        return status_of(rc);
    ebsim__amd_gpu(dv, &package, &secondary, &minor);
    *acc = secondary ? 1000 : (uint64_t)llround((double)mj * 1000.0 / RESOLUTION_UJ);
    *res = RESOLUTION_UJ;
    *timestamp = 0;
    return EB_RSMI_STATUS_SUCCESS;
}

API eb_rsmi_status rsmi_dev_power_ave_get(uint32_t dv, uint32_t sensor, uint64_t *uw)
{
    nvmlDevice_t dev;
    unsigned mw = 0;
    nvmlReturn_t rc = sensor == 0 ? dev_of(dv, &dev) : NVML_ERROR_INVALID_ARGUMENT;
    if (rc == NVML_SUCCESS)
        rc = nvmlDeviceGetPowerUsage(dev, &mw);
    if (rc != NVML_SUCCESS || !uw)
        return status_of(rc);
    *uw = (uint64_t)mw * 1000;
    return EB_RSMI_STATUS_SUCCESS;
}

API eb_rsmi_status rsmi_status_string(eb_rsmi_status s, const char **text)
{
    if (!text)
        return 1u;
    *text = s == EB_RSMI_STATUS_SUCCESS
                ? "RSMI_STATUS_SUCCESS: The function has been executed successfully."
            : s == EB_RSMI_STATUS_NOT_SUPPORTED
                ? "RSMI_STATUS_NOT_SUPPORTED: The requested information or action is not available"
            : s == EB_RSMI_STATUS_PERMISSION
                ? "RSMI_STATUS_PERMISSION: The user does not have permission"
            : s == EB_RSMI_STATUS_INIT_ERROR
                ? "RSMI_STATUS_INIT_ERROR: An error occurred during initialization"
            : s == EB_RSMI_STATUS_NOT_FOUND
                ? "RSMI_STATUS_NOT_FOUND: An item was searched for but not found"
                : "RSMI_STATUS_INVALID_ARGS: Invalid arguments";
    return EB_RSMI_STATUS_SUCCESS;
}

/*
 * rocmsmi_abi.h - our declarations of the ROCm SMI subset ebench uses
 * (librocm_smi64.so.1, the library before AMD SMI; Debian ships it as
 * librocm-smi64-1), as function pointer types. tests/check_rocmsmi_abi.c
 * assigns the real header's functions to them, so the build fails if one
 * differs (the header: Debian's librocm-smi-dev, /usr/include/rocm_smi).
 * The SONAME's 1 is the ABI ROCm SMI keeps; the calls below take and give
 * only integers, a float and a string, no struct but rsmi_version_t.
 */
#ifndef EB_ROCMSMI_ABI_H
#define EB_ROCMSMI_ABI_H

#include <stddef.h>
#include <stdint.h>

/* rsmi_status_t: an enum whose values reach 0xFFFFFFFF, so unsigned int */
typedef unsigned int eb_rsmi_status;

#define EB_RSMI_STATUS_SUCCESS 0u
#define EB_RSMI_STATUS_NOT_SUPPORTED 2u
#define EB_RSMI_STATUS_PERMISSION 4u
#define EB_RSMI_STATUS_INIT_ERROR 8u
#define EB_RSMI_STATUS_NOT_FOUND 10u

typedef struct {
    uint32_t major;
    uint32_t minor;
    uint32_t patch;
    const char *build;
} eb_rsmi_version;

typedef eb_rsmi_status (*eb_rsmi_init_fn)(uint64_t init_flags);
typedef eb_rsmi_status (*eb_rsmi_shut_down_fn)(void);
typedef eb_rsmi_status (*eb_rsmi_num_devices_fn)(uint32_t *num_devices);
typedef eb_rsmi_status (*eb_rsmi_pci_id_fn)(uint32_t dv_ind, uint64_t *bdfid);
typedef eb_rsmi_status (*eb_rsmi_unique_id_fn)(uint32_t dv_ind, uint64_t *id);
typedef eb_rsmi_status (*eb_rsmi_name_fn)(uint32_t dv_ind, char *name, size_t len);
typedef eb_rsmi_status (*eb_rsmi_energy_count_fn)(uint32_t dv_ind, uint64_t *power,
                                                  float *counter_resolution, uint64_t *timestamp);
typedef eb_rsmi_status (*eb_rsmi_power_ave_fn)(uint32_t dv_ind, uint32_t sensor_ind,
                                               uint64_t *power);
typedef eb_rsmi_status (*eb_rsmi_status_string_fn)(eb_rsmi_status status,
                                                   const char **status_string);

_Static_assert(sizeof(eb_rsmi_version) == 24, "rsmi_version_t");

#endif

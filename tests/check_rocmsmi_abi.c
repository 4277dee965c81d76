/* check_rocmsmi_abi.c - built only where Debian's librocm-smi-dev is
 * installed: each of ROCm SMI's functions that src/sources/rocmsmi.c calls,
 * from the real header, assigned to our declaration of it. A difference is
 * an incompatible pointer type: the build fails (-Werror). */
#include <stddef.h>
#include <stdio.h>

#include <rocm_smi/rocm_smi.h>

#include "sources/rocmsmi_abi.h"

_Static_assert(sizeof(rsmi_version_t) == sizeof(eb_rsmi_version), "rsmi_version_t");
_Static_assert(offsetof(rsmi_version_t, build) == offsetof(eb_rsmi_version, build), "build");
_Static_assert(RSMI_STATUS_SUCCESS == EB_RSMI_STATUS_SUCCESS, "SUCCESS");
_Static_assert(RSMI_STATUS_NOT_SUPPORTED == EB_RSMI_STATUS_NOT_SUPPORTED, "NOT_SUPPORTED");
_Static_assert(RSMI_STATUS_PERMISSION == EB_RSMI_STATUS_PERMISSION, "PERMISSION");
_Static_assert(RSMI_STATUS_INIT_ERROR == EB_RSMI_STATUS_INIT_ERROR, "INIT_ERROR");
_Static_assert(RSMI_STATUS_NOT_FOUND == EB_RSMI_STATUS_NOT_FOUND, "NOT_FOUND");

int main(void)
{
    eb_rsmi_init_fn init = rsmi_init;
    eb_rsmi_shut_down_fn shut_down = rsmi_shut_down;
    eb_rsmi_num_devices_fn num = rsmi_num_monitor_devices;
    eb_rsmi_pci_id_fn pci = rsmi_dev_pci_id_get;
    eb_rsmi_unique_id_fn uid = rsmi_dev_unique_id_get;
    eb_rsmi_name_fn name = rsmi_dev_name_get;
    eb_rsmi_energy_count_fn energy = rsmi_dev_energy_count_get;
    eb_rsmi_power_ave_fn power = rsmi_dev_power_ave_get;
    eb_rsmi_status_string_fn text = rsmi_status_string;
    void *all[] = {(void *)init, (void *)shut_down, (void *)num,   (void *)pci, (void *)uid,
                   (void *)name, (void *)energy,    (void *)power, (void *)text};
    printf("ROCm SMI declarations match rocm_smi.h (%zu functions)\n", sizeof all / sizeof *all);
    return 0;
}

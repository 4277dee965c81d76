/*
 * amdsmi_abi.h - our own declarations of the AMD SMI subset ebench uses
 * (libamd_smi.so, ROCm), written from amdsmi.h and checked against it: the
 * sizes and offsets below are those of the real header for library versions
 * 24.1 to 24.7 (ROCm 6.1 to 6.3; scripts/check-amdsmi-abi compiles them
 * against a given amdsmi.h). AMD SMI changes its structs between versions
 * (amdsmi_asic_info_t three times in 2024), so amdsmi.c asks the library's
 * version first and refuses one it was not checked against.
 */
#ifndef EB_AMDSMI_ABI_H
#define EB_AMDSMI_ABI_H

#include <stddef.h>
#include <stdint.h>

typedef int amdsmi_status_t;
typedef void *amdsmi_processor_handle;
typedef void *amdsmi_socket_handle;

#define AMDSMI_STATUS_SUCCESS 0
#define AMDSMI_STATUS_INVAL 1
#define AMDSMI_STATUS_NOT_SUPPORTED 2
#define AMDSMI_STATUS_NO_PERM 10
#define AMDSMI_STATUS_INIT_ERROR 18
#define AMDSMI_STATUS_NOT_FOUND 31
#define AMDSMI_STATUS_NOT_INIT 32
#define AMDSMI_STATUS_DRIVER_NOT_LOADED 34

#define AMDSMI_INIT_AMD_GPUS (1u << 1)
#define AMDSMI_PROCESSOR_TYPE_AMD_GPU 1
#define AMDSMI_GPU_UUID_SIZE 38

/* The versions whose structs these are: year 24, major 1 to 7. */
#define EB_AMDSMI_YEAR 24
#define EB_AMDSMI_MAJOR_MIN 1
#define EB_AMDSMI_MAJOR_MAX 7

typedef union {
    struct {
        uint64_t function_number : 3;
        uint64_t device_number : 5;
        uint64_t bus_number : 8;
        uint64_t domain_number : 48;
    } f;
    uint64_t as_uint;
} amdsmi_bdf_t;

typedef struct {
    uint32_t year;
    uint32_t major;
    uint32_t minor;
    uint32_t release;
    const char *build;
} amdsmi_version_t;

typedef struct {
    uint32_t current_socket_power; /* W */
    uint32_t average_socket_power; /* W */
    uint32_t gfx_voltage;
    uint32_t soc_voltage;
    uint32_t mem_voltage;
    uint32_t power_limit;
    uint32_t reserved[11];
} amdsmi_power_info_t;

/* amdsmi_asic_info_t as 24.1-24.5, 24.6 and 24.7 lay it out: the market
 * name and the OAM id (the package: an MI250X's two dies share one). */
typedef struct {
    char market_name[64];
    uint32_t vendor_id;
    char vendor_name[64];
    uint32_t subvendor_id;
    uint64_t device_id;
    uint32_t rev_id;
    char asic_serial[32];
    uint16_t oam_id;
    uint16_t reserved[37];
} eb_amdsmi_asic_info_24_1;

typedef struct {
    char market_name[256];
    uint32_t vendor_id;
    char vendor_name[64];
    uint32_t subvendor_id;
    uint64_t device_id;
    uint32_t rev_id;
    char asic_serial[32];
    uint16_t oam_id;
    uint16_t reserved[37];
} eb_amdsmi_asic_info_24_6;

typedef struct {
    char market_name[256];
    uint32_t vendor_id;
    char vendor_name[64];
    uint32_t subvendor_id;
    uint64_t device_id;
    uint32_t rev_id;
    char asic_serial[32];
    uint32_t oam_id;
    uint32_t num_of_compute_units;
    uint64_t target_graphics_version;
    uint32_t reserved[15];
} eb_amdsmi_asic_info_24_7;

/* What the real header gives (x86-64 and aarch64, LP64). */
_Static_assert(sizeof(amdsmi_bdf_t) == 8, "amdsmi_bdf_t");
_Static_assert(sizeof(amdsmi_version_t) == 24, "amdsmi_version_t");
_Static_assert(offsetof(amdsmi_version_t, build) == 16, "amdsmi_version_t.build");
_Static_assert(sizeof(amdsmi_power_info_t) == 68, "amdsmi_power_info_t");
_Static_assert(offsetof(amdsmi_power_info_t, average_socket_power) == 4, "average_socket_power");
_Static_assert(sizeof(eb_amdsmi_asic_info_24_1) == 256, "asic_info 24.1");
_Static_assert(offsetof(eb_amdsmi_asic_info_24_1, oam_id) == 180, "asic_info 24.1 oam_id");
_Static_assert(sizeof(eb_amdsmi_asic_info_24_6) == 448, "asic_info 24.6");
_Static_assert(offsetof(eb_amdsmi_asic_info_24_6, oam_id) == 372, "asic_info 24.6 oam_id");
_Static_assert(sizeof(eb_amdsmi_asic_info_24_7) == 456, "asic_info 24.7");
_Static_assert(offsetof(eb_amdsmi_asic_info_24_7, oam_id) == 372, "asic_info 24.7 oam_id");

/* The largest of them: what amdsmi.c hands the library. */
#define EB_AMDSMI_ASIC_INFO_MAX 1024

/* The functions, as amdsmi.h declares them (the simulator defines them;
 * amdsmi.c takes pointers of these types from dlsym). asic_info's struct
 * depends on the version: a buffer of EB_AMDSMI_ASIC_INFO_MAX bytes. */
amdsmi_status_t amdsmi_init(uint64_t init_flags);
amdsmi_status_t amdsmi_shut_down(void);
amdsmi_status_t amdsmi_get_lib_version(amdsmi_version_t *version);
amdsmi_status_t amdsmi_status_code_to_string(amdsmi_status_t status, const char **status_string);
amdsmi_status_t amdsmi_get_socket_handles(uint32_t *socket_count,
                                          amdsmi_socket_handle *socket_handles);
amdsmi_status_t amdsmi_get_processor_handles(amdsmi_socket_handle socket_handle,
                                             uint32_t *processor_count,
                                             amdsmi_processor_handle *processor_handles);
amdsmi_status_t amdsmi_get_processor_type(amdsmi_processor_handle processor_handle, int *type);
amdsmi_status_t amdsmi_get_gpu_device_bdf(amdsmi_processor_handle processor_handle,
                                          amdsmi_bdf_t *bdf);
amdsmi_status_t amdsmi_get_gpu_device_uuid(amdsmi_processor_handle processor_handle,
                                           unsigned int *uuid_length, char *uuid);
amdsmi_status_t amdsmi_get_gpu_asic_info(amdsmi_processor_handle processor_handle, void *info);
amdsmi_status_t amdsmi_get_energy_count(amdsmi_processor_handle processor_handle,
                                        uint64_t *energy_accumulator, float *counter_resolution,
                                        uint64_t *timestamp);
amdsmi_status_t amdsmi_get_power_info(amdsmi_processor_handle processor_handle,
                                      amdsmi_power_info_t *info);

#endif

/*
 * nvml_abi.h - our own declarations of the part of NVML that ebench uses (no
 * nvml.h), shared by the nvml backend and the simulated driver in sim/.
 * Types, constants and struct layouts follow NVIDIA's public nvml.h; every
 * struct is pinned with _Static_assert so a mistake cannot compile.
 */
#ifndef EB_NVML_ABI_H
#define EB_NVML_ABI_H

#include <stddef.h>

typedef int nvmlReturn_t;
enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NO_PERMISSION = 4,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_TIMEOUT = 10,
    NVML_ERROR_GPU_IS_LOST = 15,
    NVML_ERROR_UNKNOWN = 999,
};

typedef struct nvmlDevice_st *nvmlDevice_t;

/* nvmlValueType_t */
enum {
    NVML_VALUE_TYPE_DOUBLE = 0,
    NVML_VALUE_TYPE_UNSIGNED_INT = 1,
    NVML_VALUE_TYPE_UNSIGNED_LONG = 2,
    NVML_VALUE_TYPE_UNSIGNED_LONG_LONG = 3,
    NVML_VALUE_TYPE_SIGNED_LONG_LONG = 4,
    NVML_VALUE_TYPE_SIGNED_INT = 5,
};

typedef union nvmlValue_t {
    double dVal;
    unsigned int uiVal;
    unsigned long ulVal;
    unsigned long long ullVal;
    signed long long sllVal;
    signed int siVal;
} nvmlValue_t;

typedef struct nvmlFieldValue_t {
    unsigned int fieldId;
    unsigned int scopeId;
    long long timestamp; /* us since the epoch */
    long long latencyUsec;
    int valueType;           /* nvmlValueType_t */
    nvmlReturn_t nvmlReturn; /* this entry's own result */
    nvmlValue_t value;
} nvmlFieldValue_t;

#define NVML_FI_DEV_POWER_AVERAGE 185 /* mW, driver 530+ */
#define NVML_FI_DEV_POWER_INSTANT 186 /* mW, driver 530+ */

typedef struct nvmlUtilization_t {
    unsigned int gpu;    /* % of time a kernel ran */
    unsigned int memory; /* % of time memory was read or written */
} nvmlUtilization_t;

#define NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE 32
#define NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE 16
typedef struct nvmlPciInfo_t {
    char busIdLegacy[NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE];
    unsigned int domain;
    unsigned int bus;
    unsigned int device;
    unsigned int pciDeviceId;
    unsigned int pciSubSystemId;
    char busId[NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE]; /* "00000000:07:00.0" */
} nvmlPciInfo_t;

enum { NVML_CLOCK_GRAPHICS = 0, NVML_CLOCK_SM = 1, NVML_CLOCK_MEM = 2 };
enum { NVML_TEMPERATURE_GPU = 0 };

/* nvmlDeviceArchitecture_t */
enum {
    NVML_DEVICE_ARCH_KEPLER = 2,
    NVML_DEVICE_ARCH_MAXWELL = 3,
    NVML_DEVICE_ARCH_PASCAL = 4,
    NVML_DEVICE_ARCH_VOLTA = 5,
    NVML_DEVICE_ARCH_TURING = 6,
    NVML_DEVICE_ARCH_AMPERE = 7,
    NVML_DEVICE_ARCH_ADA = 8,
    NVML_DEVICE_ARCH_HOPPER = 9,
};

#define NVML_DEVICE_NAME_V2_BUFFER_SIZE 96
#define NVML_DEVICE_UUID_V2_BUFFER_SIZE 96

/* x86-64 and aarch64 (LP64) layouts, as in nvml.h. */
_Static_assert(sizeof(nvmlValue_t) == 8, "nvmlValue_t is 8 bytes");
_Static_assert(sizeof(nvmlFieldValue_t) == 40, "nvmlFieldValue_t is 40 bytes");
_Static_assert(offsetof(nvmlFieldValue_t, fieldId) == 0, "fieldId");
_Static_assert(offsetof(nvmlFieldValue_t, scopeId) == 4, "scopeId");
_Static_assert(offsetof(nvmlFieldValue_t, timestamp) == 8, "timestamp");
_Static_assert(offsetof(nvmlFieldValue_t, latencyUsec) == 16, "latencyUsec");
_Static_assert(offsetof(nvmlFieldValue_t, valueType) == 24, "valueType");
_Static_assert(offsetof(nvmlFieldValue_t, nvmlReturn) == 28, "nvmlReturn");
_Static_assert(offsetof(nvmlFieldValue_t, value) == 32, "value");
_Static_assert(sizeof(nvmlUtilization_t) == 8, "nvmlUtilization_t is 8 bytes");
_Static_assert(offsetof(nvmlUtilization_t, memory) == 4, "memory");
_Static_assert(sizeof(nvmlPciInfo_t) == 68, "nvmlPciInfo_t is 68 bytes");
_Static_assert(offsetof(nvmlPciInfo_t, domain) == 16, "domain");
_Static_assert(offsetof(nvmlPciInfo_t, pciSubSystemId) == 32, "pciSubSystemId");
_Static_assert(offsetof(nvmlPciInfo_t, busId) == 36, "busId");

#endif

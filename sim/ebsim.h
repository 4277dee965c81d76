/*
 * ebsim.h - the simulated NVIDIA driver's own interface, beside the NVML
 * subset it implements (src/sources/nvml_abi.h). Tests use it to read the
 * ground truth; workloads use it to drive a simulated GPU.
 *
 * Scenario: EBENCH_SIM_CONFIG names a JSON file (docs/SIMULATOR.md).
 * Clock: sim time is seconds since nvmlInit; with EBENCH_SIM_CLOCK=manual it
 * stands still until ebsim_set_time() moves it (deterministic tests).
 */
#ifndef EBSIM_H
#define EBSIM_H

#define EBSIM_MAX_GPUS 16

/* "ebench-sim 1": present only in the simulator, so ebench can tell. */
const char *ebsim_version(void);
double ebsim_now(void);
/* One line on GPU gpu's sensor timing and the seed it was drawn from
 * (EBENCH_SIM_SEED repeats a run). Returns 0 or -1. */
int ebsim_describe(unsigned gpu, char *buf, unsigned len);
/* The true update instants of the energy counter (power = 0) or the power
 * sensor (power = 1) in [t0, t1], at most max of them. Returns how many. */
int ebsim_update_instants(unsigned gpu, int power, double t0, double t1, double *out, int max);
void ebsim_set_time(double t_s);
/* The exact integral of the true power over [t0, t1] (sim seconds), in J. */
double ebsim_true_energy_j(unsigned gpu, double t0, double t1);
double ebsim_true_power_w(unsigned gpu, double t_s);
/* Simulated floating-point operations done over [t0, t1]. */
double ebsim_flop(unsigned gpu, double t0, double t1);

/* Live workloads: sets GPU `gpu`'s utilization (0..1) from now on, through
 * shared memory named after the scenario file, so a process measured by
 * ebench can drive the simulated GPU that ebench reads. Returns 0 or -1. */
int ebsim_set_utilization(const char *config_path, unsigned gpu, double util);
/* The same from inside the process that loaded the simulator, at a given sim
 * time (for workloads on the manual clock). Returns 0 or -1. */
int ebsim_set_utilization_at(unsigned gpu, double t_s, double util);
/* Removes the shared memory of a scenario (tests clean up with it). */
int ebsim_forget(const char *config_path);

/* Internal to the simulated AMD SMI (nvml_sim.c built with EBSIM_AMD, read
 * by amdsmi_sim.c): GPU i's package, whether it is its 0 W die, its minor. */
int ebsim__amd_gpu(unsigned i, int *package, int *secondary, unsigned *minor);

#endif

/*
 * analysis.h - pure functions of a timeline (no I/O, no globals).
 */
#ifndef EB_ANALYSIS_H
#define EB_ANALYSIS_H

#include <stddef.h>

#include "../lib/timeline.h"

/* Cumulative energy at time t, interpolated linearly between samples and
 * clamped to the first and last sample. NaN for an empty series. */
double eb__energy_at(const eb__sample *v, size_t n, double t_s);

/* Energy, average and peak power and sample count over [t0, t1], for the
 * part of it the samples cover (covered_s). NaN where they cover none. */
void eb__window_energy(const eb__sample *v, size_t n, double t0, double t1, eb_domain_energy *out);

#endif

/*
 * carbon.c - carbon intensity of electricity by region, gCO2 per kWh.
 *
 * Source: Ember, Yearly Electricity Data (2023), as republished by Our World
 * in Data ("Carbon intensity of electricity generation"), values for 2023,
 * rounded; the world average is Ember's 2023 figure (481 g/kWh; the IEA gave
 * 475 g/kWh for 2019). Only the regions listed here are embedded: for any
 * other, pass --carbon-intensity G with a figure from the grid operator.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "analysis.h"

const char eb__carbon_source[] = "Ember Yearly Electricity Data 2023 via Our World in Data";

const eb__region eb__world = {"WORLD", "world average", 481};

static const eb__region regions[] = {
    {"NO", "Norway", 30},          {"FR", "France", 56},
    {"GB", "United Kingdom", 238}, {"US", "United States", 369},
    {"DE", "Germany", 381},        {"CN", "China", 582},
    {"IN", "India", 713},          {"WORLD", "world average", 481},
};

/* Edit distance, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la >= 63 || lb >= 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0]++;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t sub =
                prev + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            size_t best = row[j] + 1 < row[j - 1] + 1 ? row[j] + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            prev = cur;
        }
    }
    return row[lb];
}

const eb__region *eb__region_find(const char *code, char *near, size_t near_len)
{
    size_t n = sizeof regions / sizeof *regions, used = 0, found = 0;
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(code, regions[i].code) == 0 || strcasecmp(code, regions[i].name) == 0)
            return &regions[i];
    if (strcasecmp(code, "UK") == 0)
        return &regions[2];
    /* up to three close matches, nearest first; else the whole list */
    near[0] = '\0';
    for (size_t d = 0; d <= 2 && found < 3; d++)
        for (size_t i = 0; i < n && found < 3; i++) {
            size_t dc = distance(code, regions[i].code), dn = distance(code, regions[i].name);
            if ((dc < dn ? dc : dn) == d && used + 40 < near_len) {
                used += (size_t)snprintf(near + used, near_len - used, "%s%s (%s)",
                                         used ? ", " : "", regions[i].code, regions[i].name);
                found++;
            }
        }
    for (size_t i = 0; !found && i < n && used + 24 < near_len; i++)
        used += (size_t)snprintf(near + used, near_len - used, "%s%s", used ? ", " : "",
                                 regions[i].code);
    return NULL;
}

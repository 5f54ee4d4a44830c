/* HTS state-duration rounding and speed scaling; see state_durations.h. */
#include "node/engine/acoustic/state_durations.h"

#include <math.h>

static size_t round_at_least_one(double x)
{
    double t = x + 0.5;
    return t < 1.0 ? 1 : (size_t)t;
}

size_t ss_state_durations(const double *mean, const double *vari, size_t n, double speed, size_t *dur)
{
    if (!(speed > 0.0) || isinf(speed) || n == 0)
        return 0;
    size_t sum = 0;
    if (speed == 1.0) {
        for (size_t i = 0; i < n; i++) {
            dur[i] = round_at_least_one(mean[i]);
            sum += dur[i];
        }
        return sum;
    }
    double total_mean = 0.0;
    for (size_t i = 0; i < n; i++)
        total_mean += mean[i];
    return ss_state_durations_fit(mean, vari, n, total_mean / speed, dur);
}

size_t ss_state_durations_fit(const double *mean, const double *vari, size_t n, double frame_length,
                              size_t *dur)
{
    size_t sum = 0;
    if (n == 0 || !(frame_length >= 0.0) || isinf(frame_length))
        return 0;
    size_t target = round_at_least_one(frame_length);
    if (target <= n) {
        for (size_t i = 0; i < n; i++)
            dur[i] = 1;
        return n;
    }
    double sm = 0.0, sv = 0.0;
    for (size_t i = 0; i < n; i++) {
        sm += mean[i];
        sv += vari[i];
    }
    double rho = ((double)target - sm) / sv;
    for (size_t i = 0; i < n; i++) {
        dur[i] = round_at_least_one(mean[i] + rho * vari[i]);
        sum += dur[i];
    }
    while (sum != target) {
        long best = -1;
        double best_dev = 0.0;
        if (target > sum) {
            for (size_t i = 0; i < n; i++) {
                double dev = fabs(rho - ((double)dur[i] + 1 - mean[i]) / vari[i]);
                if (best < 0 || best_dev > dev) {
                    best = (long)i;
                    best_dev = dev;
                }
            }
            dur[best]++;
            sum++;
        } else {
            for (size_t i = 0; i < n; i++) {
                if (dur[i] <= 1)
                    continue;
                double dev = fabs(rho - ((double)dur[i] - 1 - mean[i]) / vari[i]);
                if (best < 0 || best_dev > dev) {
                    best = (long)i;
                    best_dev = dev;
                }
            }
            dur[best]--;
            sum--;
        }
    }
    return sum;
}

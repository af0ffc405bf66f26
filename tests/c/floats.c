/* Floating point: arithmetic, conversions and printf of doubles and floats.
 * Only correctly rounded operations are used (no sin/exp/log, whose last bit
 * differs between libms), so every line is identical on any IEEE machine. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t bits64(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t bits32(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

int main(int argc, char **argv) {
    double scale = argc > 1 ? atof(argv[1]) : 1.0;
    volatile double zero = 0.0;
    double vals[] = {0.1, -2.5, 1e300, 1e-310, 3.0, 123456.789, -0.0, 1.0 / 3.0, 2.0 / 3.0, 5e-324};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        double v = vals[i] * scale;
        printf("%-2zu %%f=%f %%e=%e %%g=%g %%.17g=%.17g bits=%016llx\n", i, v, v, v, v,
               (unsigned long long)bits64(v));
    }
    printf("sqrt(2)=%.17g fma=%.17g\n", sqrt(2.0 * scale), fma(0.1, 10.0, -1.0));
    printf("floor/ceil/trunc/rint(-2.5)= %g %g %g %g\n", floor(-2.5), ceil(-2.5), trunc(-2.5), rint(-2.5));
    printf("nearbyint(3.5)=%g round(2.5)=%g fabs(-7)=%g copysign=%g\n", nearbyint(3.5), round(2.5), fabs(-7.0),
           copysign(3.0, -0.0));
    printf("fmin/fmax=%g %g\n", fmin(1.5, -1.5), fmax(1.5, -1.5));
    double inf = 1.0 / zero, nan_ = zero / zero;
    printf("inf=%f -inf=%f isnan=%d isinf=%d nan==nan:%d\n", inf, -inf, isnan(nan_) != 0, isinf(inf) != 0,
           nan_ == nan_);
    printf("DBL_MAX=%.17g DBL_MIN=%.17g DBL_EPSILON=%.17g\n", DBL_MAX, DBL_MIN, DBL_EPSILON);
    printf("FLT_MAX=%.9g FLT_EPSILON=%.9g\n", (double)FLT_MAX, (double)FLT_EPSILON);

    /* float (f32) arithmetic stays in single precision. */
    volatile float fa = 16777216.0f, fb = 1.0f;
    float fs = fa + fb;
    printf("f32 16777216+1=%.1f bits=%08x\n", (double)fs, bits32(fs));
    float acc = 0.0f;
    for (int i = 1; i <= 1000; i++) acc += 1.0f / (float)i;
    printf("f32 harmonic(1000)=%.9g bits=%08x\n", (double)acc, bits32(acc));
    double dacc = 0.0;
    for (int i = 1; i <= 100000; i++) dacc += 1.0 / ((double)i * i);
    printf("f64 basel(1e5)=%.17g\n", dacc);

    /* Conversions between ints and floats. */
    int64_t big = 9007199254740993LL; /* 2^53 + 1: not representable */
    printf("(double)(2^53+1)=%.1f (float)(2^24+1)=%.1f\n", (double)big, (double)(float)16777217);
    printf("(int64)-1e18=%lld (uint64)1.8e19=%llu (int32)-2.9=%d (uint32)4e9=%u\n", (long long)(-1e18 * scale),
           (unsigned long long)(1.8e19 * scale), (int)(-2.9 * scale), (unsigned)(4e9 * scale));
    printf("(double)UINT64_MAX=%.1f (float)INT64_MIN=%.1f\n", (double)UINT64_MAX, (double)(float)INT64_MIN);
    printf("strtod(\"0x1.8p3\")=%g strtod(\"1e-5\")=%.17g\n", strtod("0x1.8p3", NULL), strtod("1e-5", NULL));

    /* Newton's method for the cube root of 10. */
    double x = 2.0;
    for (int i = 0; i < 20; i++) x = x - (x * x * x - 10.0 * scale) / (3.0 * x * x);
    printf("cbrt(10) by Newton=%.15f\n", x);

    /* Matrix multiply in double. */
    double m[4][4], r[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) m[i][j] = (i + 1) * 0.5 - j * 0.25;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            r[i][j] = 0;
            for (int k = 0; k < 4; k++) r[i][j] += m[i][k] * m[k][j];
        }
    for (int i = 0; i < 4; i++) printf("row %d: %8.4f %8.4f %8.4f %8.4f\n", i, r[i][0], r[i][1], r[i][2], r[i][3]);
    return 0;
}

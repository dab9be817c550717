/*
 * strip_vec.h - the channel strips' vector helpers (strip.c): shuffles,
 * compare-and-select, min/max, a finite mask, fast log2/exp2, the stereo
 * link and an any-lane test on the 8-lane vectors of dsp.h.  Private to
 * the strips; pure expressions, callable on any thread.
 */
#ifndef JMX_STRIP_VEC_H
#define JMX_STRIP_VEC_H

#include <stdint.h>
#include <string.h>

#include "dsp.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))
/* Small fixed loops over lanes, bands and frames in the hot code must be
 * unrolled so that their vectors live in registers; -O2 alone does not. */
#define UNROLL _Pragma("GCC unroll 8")

/* Vector helpers.  They are macros (GNU statement expressions, pure
 * arguments only) rather than inline functions because a function taking
 * a 32-byte vector by value makes GCC print an ABI note for the SSE2
 * build even when it is always inlined. */
/* Two-vector shuffles with constant lane indices (0-7 first operand,
 * 8-15 second): GCC's and clang's builtins spelled alike. */
#ifdef __clang__
#define vshuf(a, b, ...) __builtin_shufflevector((a), (b), __VA_ARGS__)
#else
#define vshuf(a, b, ...) __builtin_shuffle((a), (b), (vi){__VA_ARGS__})
#endif
/* The masks of an 8 x 8 transpose in three rounds (AVX: unpcklps/unpckhps,
 * shufps, vperm2f128). */
#define UNPACK_LO 0, 8, 1, 9, 4, 12, 5, 13
#define UNPACK_HI 2, 10, 3, 11, 6, 14, 7, 15
#define PAIRS_LO  0, 1, 8, 9, 4, 5, 12, 13
#define PAIRS_HI  2, 3, 10, 11, 6, 7, 14, 15
#define HALVES_LO 0, 1, 2, 3, 8, 9, 10, 11
#define HALVES_HI 4, 5, 6, 7, 12, 13, 14, 15

#define vsel(m, a, b) ((vf)(((m) & (vi)(a)) | (~(m) & (vi)(b))))
#define vabs(a)       ((vf)((vi)(a)&0x7fffffff))
/* Compare and select (GCC makes a compare and a blend).  GNU C has no
 * vector min/max operator, and element-wise loops are not reliably
 * vectorised back into maxps. */
#define vmax(a, b)                                                                                           \
	({                                                                                                   \
		vf vmax_a = (a), vmax_b = (b);                                                               \
		vsel(vmax_a > vmax_b, vmax_a, vmax_b);                                                       \
	})
#define vmin(a, b)                                                                                           \
	({                                                                                                   \
		vf vmin_a = (a), vmin_b = (b);                                                               \
		vsel(vmin_a < vmin_b, vmin_a, vmin_b);                                                       \
	})

/* 0 where the float is NaN or infinite. */
#define vfinite(a)                                                                                           \
	({                                                                                                   \
		vi vfin_b = (vi)(a);                                                                         \
		(vf)(vfin_b & ((vfin_b & 0x7f800000) != 0x7f800000));                                        \
	})

/* log2(a) for a >= 0 (0 gives about -127): exponent plus a degree-4
 * minimax polynomial of the mantissa, max error 9e-5 (5e-4 dB). */
#define vlog2(a)                                                                                             \
	({                                                                                                   \
		vi vlog_b = (vi)(a);                                                                         \
		vf vlog_e = __builtin_convertvector(((vlog_b >> 23) & 0xff) - 127, vf);                      \
		vf vlog_t = (vf)((vlog_b & 0x007fffff) | 0x3f800000) - 1.0f;                                 \
		vf vlog_p = -0.0816149192f * vlog_t + 0.318677381f;                                          \
		vlog_p = vlog_p * vlog_t - 0.674941825f;                                                     \
		vlog_p = vlog_p * vlog_t + 1.43770418f;                                                      \
		vlog_p = vlog_p * vlog_t + 8.75979080e-05f;                                                  \
		vlog_e + vlog_p;                                                                             \
	})

/* 2^x for x in [-126, 126]: integer part into the exponent, fraction by
 * a degree-4 polynomial with p(0) = 1 exactly (unity gain stays exact),
 * max relative error 2.9e-6 (2.5e-5 dB). */
#define vexp2(x)                                                                                             \
	({                                                                                                   \
		vf vexp_x = vmin(vmax((x), vf_set1(-126.0f)), vf_set1(126.0f));                              \
		vi vexp_i = __builtin_convertvector(vexp_x, vi);                                             \
		vexp_i += (vi)(__builtin_convertvector(vexp_i, vf) > vexp_x); /* floor */                    \
		vf vexp_f = vexp_x - __builtin_convertvector(vexp_i, vf);                                    \
		vf vexp_p = 0.0134266863f * vexp_f + 0.0522424698f;                                          \
		vexp_p = vexp_p * vexp_f + 0.241280208f;                                                     \
		vexp_p = vexp_p * vexp_f + 0.693044844f;                                                     \
		vexp_p = vexp_p * vexp_f + 1.0f;                                                             \
		(vf)((vi)vexp_p + (vexp_i << 23));                                                           \
	})

/* Louder of the two lanes of a stereo pair, on stereo lanes only. */
#define vlink(a, link)                                                                                       \
	({                                                                                                   \
		vf vlink_a = (a);                                                                            \
		vf vlink_s = vshuf(vlink_a, vlink_a, 1, 0, 3, 2, 5, 4, 7, 6);                                \
		vmax(vlink_a, (vf)((vi)vlink_s & (link)));                                                   \
	})

/* Nonzero if any lane of the comparison result m is true. */
#define vany(m)                                                                                              \
	({                                                                                                   \
		vi vany_m = (m);                                                                             \
		uint64_t vany_w[sizeof(vi) / 8];                                                             \
		memcpy(vany_w, &vany_m, sizeof vany_w);                                                      \
		uint64_t vany_r = 0;                                                                         \
		for (unsigned i_ = 0; i_ < sizeof(vi) / 8; i_++)                                             \
			vany_r |= vany_w[i_];                                                                \
		vany_r != 0;                                                                                 \
	})

#endif

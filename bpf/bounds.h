/* Bounds the verifier can see, written in inline assembly on the very register an access
 * uses. In C, clang drops a check it can prove redundant, or tests one copy of a value and
 * indexes with another (a copy reloaded from the stack, say): the verifiers of older kernels
 * (5.10, 6.1) then see no bound at the access and reject the program. */
#ifndef BPFTRACE_TS_BOUNDS_H
#define BPFTRACE_TS_BOUNDS_H

/* x & mask (mask: a literal, one less than a power of two). */
#define BOUNDED(x, mask) ({ __u64 __v = (x); asm volatile("%0 &= " #mask : "+r"(__v)); __v; })

/* min(x, max) (max: a literal). */
#define CLAMPED(x, max)                                                                   \
	({                                                                                \
		__u64 __v = (x);                                                          \
		asm volatile("if %0 <= " #max " goto l%=; %0 = " #max "; l%=:" : "+r"(__v)); \
		__v;                                                                      \
	})

#endif

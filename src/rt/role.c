/*
 * role.c - the thread-local role word of role.h (debug builds only; an
 * empty object otherwise).
 *
 * Threads: each thread writes only its own copy.
 */
#include "role.h"

#ifdef JMX_DEBUG
_Thread_local unsigned role_current;
#else
/* ISO C wants a translation unit to declare something */
typedef int role_unused;
#endif

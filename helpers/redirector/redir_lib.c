/* snare-redirector's copy of daemon/intercept (the spec compiler and the
 * redirector channel's codec), compiled in because the Makefile links
 * helpers with core, ipc, privsep, policy and proto only.  Remove this file
 * once HELPER_BASE_LIBS (or the redirector's rule) names libsnare-intercept.a;
 * until then the archive's copy is never pulled in, so nothing clashes. */
#include "intercept/intercept_spec.c"
#include "intercept/intercept_proto.c"

/* Test sink `nodescriptor`: a shared object that exports something, but
 * not tacho_sink_nodescriptor_descriptor. */
#include <tacho/common.h>

TACHO_PLUGIN_EXPORT int tacho_sink_nodescriptor_version(void);

int tacho_sink_nodescriptor_version(void)
{
    return 1;
}

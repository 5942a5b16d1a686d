/*
 * Version queries.
 */
#include <tacho/version.h>

unsigned tacho_version(void)
{
    return TACHO_VERSION_HEX;
}

const char *tacho_version_string(void)
{
    return TACHO_VERSION_STRING;
}

/*
 * tacho: metrics for worker processes. The umbrella header.
 */
#ifndef TACHO_TACHO_H
#define TACHO_TACHO_H

#include <tacho/common.h>
#include <tacho/version.h>
#include <tacho/log.h>
#include <tacho/collector.h>
#include <tacho/snapshot.h>
#include <tacho/format.h>
#include <tacho/json.h>
#include <tacho/config.h>
#include <tacho/sink.h>
#include <tacho/host.h>

#endif /* TACHO_TACHO_H */
